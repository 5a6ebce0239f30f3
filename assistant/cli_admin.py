"""Administration commands: staff accounts and data retention."""

from __future__ import annotations

import getpass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.settings import Settings
from assistant.staff import Role, UserExistsError

if TYPE_CHECKING:
    from assistant.container import Container

users_app = typer.Typer(
    help="Staff accounts: caseworkers, editors, managers, admins.", no_args_is_help=True
)
retention_app = typer.Typer(
    help="Delete old conversations, or one on request.", no_args_is_help=True
)


def _container() -> Container:
    from assistant.container import Container

    return Container(Settings())


@users_app.command("add")
def add_user(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[Role, typer.Option(help="What the account may do.")],
    name: Annotated[str | None, typer.Option(help="Name shown to colleagues.")] = None,
    team: Annotated[list[str] | None, typer.Option(help="Caseworker team (repeatable).")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help="Read from the CA_NEW_PASSWORD variable or asked for if not given.",
            envvar="CA_NEW_PASSWORD",
        ),
    ] = None,
) -> None:
    """Create a staff account; the password is asked for twice unless given."""
    if password is None:
        password = getpass.getpass("Password (10+ characters): ")
        if getpass.getpass("Again: ") != password:
            typer.echo("The two passwords differ; nothing was created.", err=True)
            raise typer.Exit(1)
    try:
        user = _container().staff.create(
            username=username, password=password, role=role, display_name=name, teams=team or []
        )
    except (UserExistsError, ValueError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo(f"Created {user.role} {user.username} ({user.display_name}).")


@users_app.command("set-role")
def set_role(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[Role, typer.Option(help="The account's new role.")],
) -> None:
    """Change an account's role; its sign-ins end (it signs in again with the new role)."""
    try:
        user = _container().staff.set_role(username, role, actor="cli")
    except LookupError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo(f"{user.username} is now {user.role}; their sign-ins have ended.")


@users_app.command("remove")
def remove_user(username: Annotated[str, typer.Argument(help="Sign-in name.")]) -> None:
    """Deactivate an account and end its sign-ins (its history keeps its name)."""
    try:
        _container().staff.remove(username, actor="cli")
    except LookupError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo(f"Removed {username}; their sign-ins have ended.")


@users_app.command("list")
def list_users() -> None:
    """List active staff accounts."""
    for user in _container().staff.users():
        teams = ", ".join(user.teams) or "-"
        typer.echo(f"{user.username}\t{user.role}\t{user.display_name}\tteams: {teams}")


@retention_app.command("run")
def retention_run(
    days: Annotated[int | None, typer.Option(help="Override CA_RETENTION_DAYS.")] = None,
) -> None:
    """Delete conversations (and their handoffs) untouched for longer than the setting."""
    container = _container()
    keep = days or container.settings.retention_days
    removed = container.conversation_store.delete_older_than(timedelta(days=keep))
    container.staff.audit(
        actor="cli", action="retention.run", detail={"days": keep, "deleted": removed}
    )
    typer.echo(f"Deleted {removed} conversation(s) older than {keep} days.")


@retention_app.command("erase")
def retention_erase(
    conversation_id: Annotated[
        str,
        typer.Argument(
            help="The conversation id (as the console shows it), or the citizen's session id "
            "(one issued before 2026-12-07 may start with '-': put '--' before it)."
        ),
    ],
) -> None:
    """Erase one conversation on the citizen's request."""
    from assistant.store import conversation_id_for

    container = _container()
    store = container.conversation_store
    # A citizen asking for erasure may quote the session id their browser keeps; the
    # conversation is stored under its hash.
    if not store.delete(conversation_id):
        conversation_id = conversation_id_for(conversation_id)
        if not store.delete(conversation_id):
            typer.echo("No conversation with that id.", err=True)
            raise typer.Exit(1)
    container.staff.audit(actor="cli", action="retention.erase", target=conversation_id[:8])
    typer.echo("Erased the conversation and everything in it.")

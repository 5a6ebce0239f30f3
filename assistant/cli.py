"""The assistant's own commands of ``citizen-assistant``: ingest, ask, the knowledge base,
staff accounts, retention. The commands of the layers above it (serve, eval, tune, the
SMS simulator, the Rasa action server) are wired in by ``server.cli_app``."""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli_admin import retention_app, users_app
from assistant.cli_editor import add_editor_commands
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.container import Container

app = typer.Typer(
    help="Citizen Assistant: grounded, cited answers about government services.",
    no_args_is_help=True,
    add_completion=False,
)
kb_app = typer.Typer(help="Inspect and change the knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(users_app, name="users")
app.add_typer(retention_app, name="retention")


def quiet_libraries() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _container() -> Container:
    from assistant.container import Container

    return Container(Settings())


def configure_logging(level: str = "INFO") -> None:
    from assistant import request_ids

    request_ids.install()
    logging.basicConfig(level=level, format=request_ids.LOG_FORMAT, stream=sys.stderr)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to add or update.")],
) -> None:
    """Add or update documents; unchanged documents are not embedded again."""
    configure_logging("WARNING")
    container = _container()
    report = container.ingest_paths(paths, show_progress=sys.stderr.isatty())
    for error in report.errors:
        typer.echo(f"could not read {error.path}: {error.reason}", err=True)
    typer.echo(report.summary())
    if report.errors and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in your own words.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the same object as POST /api/chat.")
    ] = False,
) -> None:
    """Ask one question against the local knowledge base (no server needed)."""
    from assistant import canned
    from assistant.turns import InboundMessage

    configure_logging("WARNING")
    container = _container()
    if not question.strip():
        typer.echo(canned.EMPTY_MESSAGE, err=True)
        raise typer.Exit(2)
    limit = container.settings.message_max_chars
    if len(question) > limit:
        typer.echo(canned.render(canned.MESSAGE_TOO_LONG, limit=limit), err=True)
        raise typer.Exit(2)
    container.ensure_knowledge_base()
    reply = container.ephemeral_assistant().handle(InboundMessage(channel="cli", text=question))
    if as_json:
        typer.echo(json.dumps(reply.to_json(), indent=2, ensure_ascii=False))
        return
    typer.echo(reply.text)
    for citation in reply.citations:
        where = f" — {citation.section}" if citation.section else ""
        link = f" <{citation.url}>" if citation.url else ""
        typer.echo(f"  [{citation.n}] {citation.title}{where}{link}")
    typer.echo(f"({reply.status}, confidence {reply.confidence:.2f})", err=True)


@kb_app.command("list")
def kb_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the documents in the live index version."""
    container = _container()
    snapshot = container.index_store.snapshot()
    records = list(snapshot.manifest.documents.values()) if snapshot else []
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in records], indent=2))
        return
    if not records:
        typer.echo("The knowledge base is empty. Add documents with `citizen-assistant ingest`.")
        return
    for record in records:
        typer.echo(f"{record.doc_id}\t{record.chunk_count} passages\t{record.title}")
    typer.echo(f"{len(records)} documents, version {snapshot.version if snapshot else '-'}")


@kb_app.command("remove")
def kb_remove(doc_id: Annotated[str, typer.Argument(help="The id shown by `kb list`.")]) -> None:
    """Remove one document from the knowledge base."""
    configure_logging("WARNING")
    container = _container()
    snapshot = container.index_store.snapshot()
    if snapshot is None or doc_id not in snapshot.manifest.documents:
        typer.echo(
            f"No document with id {doc_id!r}. `citizen-assistant kb list` shows the ids.", err=True
        )
        raise typer.Exit(1)
    report = container.ingestor.ingest([], remove=[doc_id])
    typer.echo(
        f"Removed {doc_id}. {report.chunks_total} passages remain (version {report.version})."
    )


add_editor_commands(kb_app, _container)


def main() -> None:
    quiet_libraries()
    app()


if __name__ == "__main__":
    main()

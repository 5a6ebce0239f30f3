"""``citizen-assistant kb …`` for content editors: drafts, preview, publish, restore, reports.

The same operations as the editor console (docs/api.md). Whoever runs the command
already holds the data dir, so no sign-in is asked; the audit log records ``cli:<user>``
(or ``--as``).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from assistant.container import Container
    from assistant.editorial import EditorDesk

AsOption = Annotated[
    str | None, typer.Option("--as", help="Name recorded in the audit log (default cli:<user>).")
]
T = TypeVar("T")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def add_editor_commands(kb_app: typer.Typer, container: Callable[[], Container]) -> None:
    """Register the editing commands on the ``kb`` command group."""

    def desk() -> EditorDesk:
        return container().editor_desk

    def actor(name: str | None) -> str:
        return name or f"cli:{getpass.getuser()}"

    @kb_app.command("show")
    def show(doc_id: Annotated[str, typer.Argument(help="The id shown by `kb list`.")]) -> None:
        """Print a live document as Markdown (edit it, then `kb draft FILE --doc-id ID`)."""
        document = _run(lambda: desk().document(doc_id))
        typer.echo(document.markdown)

    @kb_app.command("draft")
    def draft(
        files: Annotated[list[Path], typer.Argument(help="Markdown, HTML, PDF, DOCX or text.")],
        doc_id: Annotated[
            str | None, typer.Option(help="Update this document (one file only).")
        ] = None,
        agency: Annotated[str | None, typer.Option(help="Agency metadata.")] = None,
        topic: Annotated[str | None, typer.Option(help="Topic metadata.")] = None,
        as_user: AsOption = None,
    ) -> None:
        """Save files as drafts (checked like uploads); nothing changes until `kb publish`."""
        if doc_id and len(files) > 1:
            _fail("--doc-id needs exactly one file.")
        fields = _checked_fields(agency=agency or None, topic=topic or None)
        failed = False
        for path in files:
            try:
                data = path.read_bytes()
            except OSError as error:
                typer.echo(f"{path}: cannot read it ({error.strerror}).", err=True)
                failed = True
                continue
            try:
                saved, created = desk().upload(
                    path.name, data, actor=actor(as_user), doc_id=doc_id, fields=fields
                )
            except Exception as error:  # each file gets its own verdict
                if not _is_editorial(error):
                    raise
                typer.echo(f"{path}: {error}", err=True)
                failed = True
                continue
            verb = "new draft" if created else "draft updated"
            typer.echo(f"{path}: {verb} {saved.id} for {saved.doc_id} ({saved.title})")
            for warning in saved.warnings:
                typer.echo(f"  warning: {warning}", err=True)
        if failed:
            raise typer.Exit(1)

    @kb_app.command("retire")
    def retire(
        doc_id: Annotated[str, typer.Argument(help="The id shown by `kb list`.")],
        as_user: AsOption = None,
    ) -> None:
        """Draft the removal of a document (published with `kb publish`)."""
        saved, _ = _run(lambda: desk().retire(doc_id, actor=actor(as_user)))
        typer.echo(f"draft {saved.id}: retire {doc_id} when published")

    @kb_app.command("drafts")
    def drafts(as_json: JsonOption = False) -> None:
        """List the open drafts."""
        rows = _run(lambda: desk().drafts())
        if as_json:
            typer.echo(json.dumps(plain(rows), indent=2, ensure_ascii=False))
            return
        if not rows:
            typer.echo("No open drafts.")
        for row in rows:
            flag = "  (live document changed since)" if row.conflict else ""
            typer.echo(
                f"{row.id}\t{row.action}\t{row.doc_id}\t{row.title}\t"
                f"{row.updated_by} {row.updated_at[:16]}{flag}"
            )

    @kb_app.command("discard")
    def discard(
        draft_id: Annotated[str, typer.Argument(help="The id shown by `kb drafts`.")],
        as_user: AsOption = None,
    ) -> None:
        """Throw a draft away (it stays in the audit log)."""
        _run(lambda: desk().discard(draft_id, actor=actor(as_user)))
        typer.echo(f"Discarded {draft_id}.")

    @kb_app.command("preview")
    def preview(
        question: Annotated[str, typer.Argument(help="A question as a citizen would ask it.")],
        as_json: JsonOption = False,
    ) -> None:
        """Answer a question from the live knowledge base and as it would be after publishing."""
        result = _run(lambda: desk().preview(question))
        if as_json:
            typer.echo(json.dumps(plain(result), indent=2, ensure_ascii=False))
            return
        for label, answer in (
            ("Citizens get today", result.live),
            ("After publishing", result.draft),
        ):
            typer.echo(f"== {label} ({answer.status}, confidence {answer.confidence:.2f})")
            typer.echo(answer.reply.text)
            for citation in answer.reply.citations:
                typer.echo(f"  [{citation.n}] {citation.title} ({citation.doc_id})")
            typer.echo("")

    @kb_app.command("publish")
    def publish(
        draft: Annotated[
            list[str] | None, typer.Option("--draft", help="Publish only these drafts.")
        ] = None,
        as_user: AsOption = None,
    ) -> None:
        """Publish the open drafts: re-index what changed and switch every server to it."""
        result = _run(lambda: desk().publish(actor=actor(as_user), draft_ids=draft or None))
        typer.echo(
            f"Published version {result.version}: {len(result.added)} added, "
            f"{len(result.updated)} updated, {len(result.removed)} removed; "
            f"{result.embedded} passage(s) embedded in {result.seconds:.1f} s. "
            f"Undo with `citizen-assistant kb restore`."
        )

    @kb_app.command("versions")
    def versions(as_json: JsonOption = False) -> None:
        """Stored index versions (the live one marked) and the publishing history."""
        result = _run(lambda: desk().versions())
        if as_json:
            typer.echo(json.dumps(plain(result), indent=2, ensure_ascii=False))
            return
        for row in result.versions:
            mark = "*" if row.live else " "
            typer.echo(f"{mark} {row.version}\t{row.created_at}\t{row.documents} docs")

    @kb_app.command("restore")
    def restore(
        version: Annotated[
            str | None, typer.Argument(help="A version from `kb versions`; default: undo.")
        ] = None,
        as_user: AsOption = None,
    ) -> None:
        """Make an earlier version live again (without VERSION: undo the last publish)."""
        result = _run(lambda: desk().restore(actor=actor(as_user), version=version))
        typer.echo(f"Version {result.version} is live again (was {result.previous_version}).")

    @kb_app.command("report")
    def report(
        kind: Annotated[str, typer.Argument(help="gaps, stale, cited or feedback.")],
        days: Annotated[int, typer.Option(help="How far back to look.")] = 30,
        as_json: JsonOption = False,
    ) -> None:
        """What citizens could not get answered (gaps), overdue reviews, citations, feedback."""
        reports: dict[str, Callable[[], Any]] = {
            "gaps": lambda: desk().content_gaps(days=days),
            "stale": lambda: desk().stale(),
            "cited": lambda: desk().most_cited(days=days),
            "feedback": lambda: desk().feedback(days=days),
        }
        if kind not in reports:
            _fail(f"Unknown report {kind!r}; choose gaps, stale, cited or feedback.")
        result = _run(reports[kind])
        if as_json:
            typer.echo(json.dumps(plain(result), indent=2, ensure_ascii=False))
            return
        _print_report(kind, result)


def _print_report(kind: str, result: Any) -> None:
    if kind == "gaps":
        typer.echo(f"{result.total} unanswered question(s) in {result.days} days")
        for group in result.groups:
            trend = group.trend
            typer.echo(
                f"{group.count:4d}  {group.label}  "
                f"(this week {trend.this_week}, last week {trend.last_week})"
            )
        return
    if not result:
        typer.echo("Nothing to report.")
    for row in result:
        if kind == "stale":
            typer.echo(f"{row.days_overdue:5d} days overdue  {row.doc_id}  {row.title}")
        elif kind == "cited":
            typer.echo(f"{row.citations:5d}  {row.doc_id}  {row.title}")
        else:
            typer.echo(f"+{row.helpful} -{row.not_helpful}  {row.doc_id}  {row.title}")


def plain(value: Any) -> Any:
    """The desk's answers (pydantic models) as JSON values, keys in the API's order."""
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value.model_dump()


def _checked_fields(**values: str | None) -> dict[str, str]:
    """The metadata options, checked before any file is read: a bad one fails them all."""
    from knowledge_base.metadata import DocumentMetadata, InvalidMetadata

    try:
        return DocumentMetadata.checked(values).given()
    except InvalidMetadata as error:
        _fail(str(error))


def _is_editorial(error: Exception) -> bool:
    from assistant.editorial import EditorialError
    from knowledge_base.uploads import UploadRejected

    return isinstance(error, EditorialError | UploadRejected)


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except Exception as error:
        if _is_editorial(error):
            _fail(str(error))
        raise


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)

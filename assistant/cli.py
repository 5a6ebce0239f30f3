"""The ``citizen-assistant`` command line."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli_admin import retention_app, users_app
from assistant.cli_editor import add_editor_commands
from assistant.settings import Settings
from eval.cli import DialogueHalf, eval_app

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
app.add_typer(eval_app, name="eval")


def _quiet_libraries() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _container() -> Container:
    from assistant.container import Container

    return Container(Settings())


def _configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the web server (ingests the bundled sample knowledge base on first start)."""
    import uvicorn

    from server import create_app

    _configure_logging()
    uvicorn.run(create_app(Settings()), host=host, port=port, log_level="info")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to add or update.")],
) -> None:
    """Add or update documents; unchanged documents are not embedded again."""
    _configure_logging("WARNING")
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

    _configure_logging("WARNING")
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
    _configure_logging("WARNING")
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


@app.command()
def tune(
    pairs: Annotated[
        Path | None,
        typer.Option(
            "--pairs",
            dir_okay=False,
            help="JSONL questions in the doc2dial format (id, dial_id, history, question, "
            "gold {doc_id, start, end, text}); default: the conversation store's answered "
            "questions.",
        ),
    ] = None,
    corpus: Annotated[
        Path | None,
        typer.Option(
            "--corpus", dir_okay=False, help="JSONL documents the --pairs gold spans point into."
        ),
    ] = None,
    half: Annotated[
        DialogueHalf | None,
        typer.Option(
            "--half",
            help="Train on this half of the --pairs dialogues only (measure on the other "
            "with `eval retrieval --half`).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", file_okay=False, help="New folder for the model; default: under the data dir."
        ),
    ] = None,
    epochs: Annotated[int, typer.Option(min=1, max=20, help="Passes over the pairs.")] = 1,
    batch_size: Annotated[
        int, typer.Option(min=2, max=512, help="Pairs per step (the others are wrong answers).")
    ] = 16,
    learning_rate: Annotated[float, typer.Option(min=1e-7, max=1e-2)] = 2e-5,
    max_pairs: Annotated[
        int | None, typer.Option(min=2, help="Use at most this many pairs (a fixed sample).")
    ] = None,
    hard_negatives: Annotated[
        bool,
        typer.Option(help="Add the retriever's best wrong passage to each pair as a negative."),
    ] = True,
) -> None:
    """Fine-tune the embedding model on questions answered well (CPU, offline)."""
    from assistant.tuning_cli import run_tune

    _configure_logging("WARNING")
    run_tune(
        Settings(),
        pairs=pairs,
        corpus=corpus,
        half=half.value if half else None,
        out=out,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        max_pairs=max_pairs,
        hard_negatives=hard_negatives,
        show_progress=sys.stderr.isatty(),
    )


@app.command("sms-sim")
def sms_sim(
    url: Annotated[
        str, typer.Option(help="The running server (`citizen-assistant serve`).")
    ] = "http://127.0.0.1:8000",
    once: Annotated[
        str | None, typer.Option(help="Send this one message, print the reply and exit.")
    ] = None,
    from_: Annotated[
        str, typer.Option("--from", help="The simulated phone number (a fictional 555-01xx).")
    ] = "+15555550100",
    whatsapp: Annotated[bool, typer.Option(help="Write as a WhatsApp user.")] = False,
) -> None:
    """Text a running local server as Twilio would (signed requests); prints each reply."""
    import httpx

    from channels.sms.signing import auth_token_for
    from channels.sms.simulator import SmsSimulator

    settings = Settings()
    sender = f"whatsapp:{from_}" if whatsapp else from_
    simulator = SmsSimulator(
        url=url, auth_token=auth_token_for(settings), public_url=settings.public_url, from_=sender
    )
    try:
        if once is not None:
            exchange = simulator.send(once)
            typer.echo(exchange.describe())
            if exchange.status_code != 200:
                raise typer.Exit(1)
            return
        typer.echo(f"Texting {url} as {sender}. An empty line ends.", err=True)
        simulator.interact(_prompted_lines("you> "), typer.echo)
    except httpx.HTTPError as error:
        typer.echo(f"Could not reach {url}: {error}. Is `citizen-assistant serve` running?")
        raise typer.Exit(1) from error


def _prompted_lines(prompt: str) -> Iterator[str]:
    while True:
        try:
            yield input(prompt)
        except EOFError:
            return


@app.command("rasa-actions")
def rasa_actions(
    host: Annotated[
        str, typer.Option(help="Address to listen on (loopback: Rasa runs beside it).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 5055,
) -> None:
    """Serve the Rasa custom actions (channels/rasa/actions.py) with rasa-sdk."""
    from channels.rasa.server import run_action_server

    run_action_server(host=host, port=port)


def main() -> None:
    _quiet_libraries()
    app()


if __name__ == "__main__":
    main()

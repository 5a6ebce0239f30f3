"""``citizen-assistant tune``: gather pairs, fine-tune, say what to do next."""

from __future__ import annotations

import random
import time
from importlib.util import find_spec
from pathlib import Path

import typer

from assistant.settings import Settings
from knowledge_base.tuning import TrainingPair, TuningConfig, TuningError


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _pairs_from_file(
    pairs: Path, corpus: Path | None, *, half: str | None, hard_negatives: bool, progress: bool
) -> list[TrainingPair]:
    from eval.tuning_pairs import pairs_from_questions

    if corpus is None:
        raise _fail(
            "--pairs needs --corpus: the documents its gold spans point into (the same "
            "JSONL you would give `eval retrieval`)."
        )
    for path in (pairs, corpus):
        if not path.is_file():
            raise _fail(f"Cannot read {path}: there is no such file.")
    try:
        found = pairs_from_questions(
            pairs, corpus, half=half, hard_negatives=hard_negatives, show_progress=progress
        )
    except UnicodeDecodeError as error:
        raise _fail(f"Cannot read {pairs} or {corpus}: it is not UTF-8 text ({error}).") from error
    except OSError as error:
        raise _fail(f"Cannot read a file: {error}.") from error
    except ValueError as error:  # names the file and line of a record that is not a question
        raise _fail(f"{error}. Each line must be one JSON question; fix it and retry.") from error
    scope = f" (half {half} of the dialogues)" if half else ""
    typer.echo(
        f"Questions in {pairs}{scope}: {found.questions}; {len(found.pairs)} pairs, "
        f"{found.no_passage} without a passage overlapping their gold span."
    )
    return found.pairs


def _pairs_from_logs(settings: Settings, *, hard_negatives: bool) -> list[TrainingPair]:
    from assistant.container import Container
    from assistant.tuning_logs import pairs_from_logs

    container = Container(settings)
    snapshot = container.index_store.snapshot()
    if snapshot is None or len(snapshot) == 0:
        raise _fail(
            "The knowledge base is empty, so no cited passage can be found. "
            "Add documents with `citizen-assistant ingest` first."
        )
    found = pairs_from_logs(
        container.conversation_store.engine,  # migrated: the tables exist
        snapshot=snapshot,
        retriever=container.retriever,
        history_turns=settings.history_turns,
        session_history_turns=settings.session_history_turns,
        hard_negatives=hard_negatives,
    )
    typer.echo(
        f"{found.answered} answered questions in the conversation store: "
        f'{len(found.pairs)} pairs ({found.offers_taken} after a yes to "Did you mean …?"); '
        f"left out {found.unhelpful} marked not helpful, "
        f"{found.handed_off} followed by a handoff, {found.passage_gone} whose cited "
        "passage has changed since."
    )
    return found.pairs


def run_tune(
    settings: Settings,
    *,
    pairs: Path | None,
    corpus: Path | None,
    half: str | None,
    out: Path | None,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    max_pairs: int | None,
    hard_negatives: bool,
    show_progress: bool,
) -> Path:
    from knowledge_base.tuning import tune

    if half is not None and pairs is None:
        raise _fail("--half splits the dialogues of a --pairs file; the store has no halves.")
    missing = [name for name in ("datasets", "accelerate") if find_spec(name) is None]
    if missing:
        raise _fail(
            f"Tuning needs the optional packages {' and '.join(missing)}: install them with "
            "`.venv/bin/pip install -c constraints.txt -e '.[tune]'` (`make install-dev` "
            "includes them). Nothing was changed."
        )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = out or settings.data_dir / "tuned-models" / f"minilm-tuned-{stamp}"
    if out.exists():
        raise _fail(f"{out} already exists. Choose a new --out folder; nothing was changed.")
    config = TuningConfig(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate)
    if pairs is not None:
        found = _pairs_from_file(
            pairs, corpus, half=half, hard_negatives=hard_negatives, progress=show_progress
        )
    else:
        found = _pairs_from_logs(settings, hard_negatives=hard_negatives)
    if max_pairs is not None and len(found) > max_pairs:
        found = random.Random(config.seed).sample(found, max_pairs)
    if len(found) < 2:
        source = str(pairs) if pairs else "the conversation store"
        raise _fail(
            f"No usable pairs in {source} ({len(found)} found; at least two are needed). "
            "Tuning needs questions that were answered with a citation."
        )
    base = Path(settings.resolved_embedding_model)
    typer.echo(f"Tuning {base} on {len(found)} pairs, {epochs} epoch(s), CPU…")
    try:
        result = tune(base, found, out, config=config, show_progress=show_progress)
    except TuningError as error:
        raise _fail(str(error)) from error
    typer.echo(
        f"Trained on {result.pairs} pairs ({result.with_history} with conversation history, "
        f"{result.with_negative} with a hard negative) in {result.steps} steps, "
        f"{result.seconds:.0f} s"
        + (f", final loss {result.final_loss:.3f}" if result.final_loss is not None else "")
        + "."
    )
    typer.echo(f"Model saved in {result.model_dir.resolve()}")
    typer.echo(
        "Next: measure it (`citizen-assistant eval retrieval --embedding-model "
        f"{result.model_dir} …`), then set CA_EMBEDDING_MODEL={result.model_dir.resolve()} "
        "and restart the server: the index records the model (and its weights), so the "
        "documents in the live index are embedded again with the new one before it serves."
    )
    return result.model_dir

"""``citizen-assistant eval …``: retrieval and answer quality on a doc2dial-shaped dataset.

Both commands build a throw-away knowledge base from ``--corpus`` in a temporary data
dir (the user's ``CA_DATA_DIR`` is never touched), with the product's own loader,
chunker, embedder and indexes, then write their results to ``--report``.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.settings import Settings

if TYPE_CHECKING:
    from eval.knowledge import EvalKnowledgeBase

eval_app = typer.Typer(
    help="Measure retrieval and answer quality on doc2dial-shaped data.",
    no_args_is_help=True,
    add_completion=False,
)

Corpus = Annotated[
    Path,
    typer.Option(
        "--corpus", exists=True, dir_okay=False, help="JSONL documents: doc_id, title, text."
    ),
]
Questions = Annotated[
    Path,
    typer.Option(
        "--questions",
        exists=True,
        dir_okay=False,
        help="JSONL questions: id, dial_id, history, question, gold {doc_id, start, end, text}.",
    ),
]
ReportDir = Annotated[
    Path, typer.Option("--report", file_okay=False, help="Folder for the JSON, Markdown and PNG.")
]
CacheDir = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        file_okay=False,
        help="Keep embeddings here across runs (keyed by model and text); default: none.",
    ),
]
EmbeddingModel = Annotated[
    Path | None,
    typer.Option(
        "--embedding-model",
        exists=True,
        file_okay=False,
        help="A sentence-transformers model folder (e.g. from `citizen-assistant tune`) "
        "instead of the configured one.",
    ),
]


class DialogueHalf(StrEnum):
    """A half of the dialogues (see :func:`eval.doc2dial.dialogue_half`)."""

    A = "A"
    B = "B"


Half = Annotated[
    DialogueHalf | None,
    typer.Option(
        "--half",
        help="Score only the questions of this half of the dialogues (a stable split by "
        "dialogue): measure a model tuned on the other half.",
    ),
]


def _quiet() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


@contextmanager
def _throwaway_knowledge_base(
    corpus: Path,
    cache_dir: Path | None,
    *,
    show_progress: bool,
    embedding_model: Path | None = None,
) -> Iterator[EvalKnowledgeBase]:
    """A knowledge base built from ``corpus`` in a temporary data dir, never the user's."""
    from eval.knowledge import build_knowledge_base

    overrides = {"embedding_model": str(embedding_model.resolve())} if embedding_model else None
    with tempfile.TemporaryDirectory(prefix="ca-eval-") as data_dir:
        kb = build_knowledge_base(
            corpus,
            Path(data_dir),
            cache_dir=cache_dir,
            overrides=overrides,
            show_progress=show_progress,
        )
        yield kb
        kb.save_cache()


@eval_app.command()
def retrieval(
    corpus: Corpus,
    questions: Questions,
    report: ReportDir = Path("eval-report"),
    cache_dir: CacheDir = None,
    embedding_model: EmbeddingModel = None,
    half: Half = None,
) -> None:
    """Doc and passage recall@1/5/10 and MRR@10: the product against three baselines."""
    _quiet()
    from eval.doc2dial import load_questions, split_halves
    from eval.report import (
        RECALL_PNG,
        RETRIEVAL_JSON,
        recall_chart,
        text_table,
        write_json,
        write_markdown,
    )
    from eval.retrieval import retrieval_report, run_retrieval

    started = time.perf_counter()
    progress = sys.stderr.isatty()
    asked = load_questions(questions)
    if half is not None:
        asked = split_halves(asked)[half.value]
        if not asked:
            typer.echo(f"No questions of {questions} fall into half {half.value}.", err=True)
            raise typer.Exit(1)
    with _throwaway_knowledge_base(
        corpus, cache_dir, show_progress=progress, embedding_model=embedding_model
    ) as kb:
        run = run_retrieval(kb, asked, show_progress=progress)
        data = retrieval_report(kb, run)
        if half is not None:
            data["halves"] = {half.value: data["results"]}  # the other half was not scored
        data["half"] = half.value if half else None
        data["embedding_model"] = kb.container.embedder.name
    data["seconds"]["total"] = round(time.perf_counter() - started, 2)
    write_json(report / RETRIEVAL_JSON, data)
    recall_chart(data["results"], report / RECALL_PNG)
    markdown = write_markdown(report)
    typer.echo(text_table(data["results"]))
    passages = data["passages"]
    scored = f"half {half.value} only: " if half else ""
    typer.echo(
        f"{scored}{data['questions']} questions, {passages['count']} passages "
        f"(median {passages['median_words']:g} words), {data['seconds']['total']:.0f} s. "
        f"Report: {markdown}"
    )


OptionalCorpus = Annotated[
    Path | None,
    typer.Option(
        "--corpus",
        exists=True,
        dir_okay=False,
        help="JSONL documents: doc_id, title, text. Without it: the bundled knowledge base.",
    ),
]
OptionalQuestions = Annotated[
    Path | None,
    typer.Option(
        "--questions",
        exists=True,
        dir_okay=False,
        help="doc2dial-shaped JSONL questions (with --corpus), or the bundled knowledge "
        "base's question set (default: eval/datasets/sample_kb_answers.jsonl).",
    ),
]


@eval_app.command()
def answers(
    corpus: OptionalCorpus = None,
    questions: OptionalQuestions = None,
    report: ReportDir = Path("eval-report"),
    cache_dir: CacheDir = None,
) -> None:
    """What citizens read: token recall and F1, citation accuracy, share answered,
    useful answers and refusals, and the reliability of the confidence."""
    _quiet()
    from eval.answers import answers_report
    from eval.report import (
        ANSWERS_JSON,
        BUNDLED_JSON,
        RELIABILITY_PNG,
        reliability_chart,
        write_json,
        write_markdown,
    )

    started = time.perf_counter()
    progress = sys.stderr.isatty()
    if corpus is None:
        data = _bundled(questions, cache_dir)
        target = BUNDLED_JSON
    else:
        if questions is None:
            typer.echo("--questions is needed with --corpus.", err=True)
            raise typer.Exit(2)
        from eval.doc2dial import load_questions

        asked = load_questions(questions)
        with _throwaway_knowledge_base(corpus, cache_dir, show_progress=progress) as kb:
            data = answers_report(kb, asked, show_progress=progress)
        target = ANSWERS_JSON
    data["seconds"]["total"] = round(time.perf_counter() - started, 2)
    write_json(report / target, data)
    reliability_chart(data["curve"], data["min_confidence"], report / RELIABILITY_PNG)
    markdown = write_markdown(report)
    summary = data["summary"]
    if corpus is None:
        spanish = data.get("spanish", {}).get("splits", {})
        for name, splits in (("", data["splits"]), ("es ", spanish)):
            for split, part in splits.items():
                typer.echo(
                    f"{name}{split}: useful {part['useful']:.3f} of {part['answerable']} "
                    f"answerable (answered {part['answered']:.3f}), refused "
                    f"{part['refused_unanswerable']:.3f} of {part['unanswerable']} it should "
                    f'not answer; with a yes to "Did you mean ...?" useful '
                    f"{part['useful_with_yes']:.3f} (offered to {part['offered_unanswerable']:.3f}"
                    " of the unanswerable)"
                )
    else:
        typer.echo(
            f"answered {summary['answered_share']:.3f}  recall(answered) "
            f"{summary['recall_answered']:.3f}  F1(answered) {summary['f1_answered']:.3f}  "
            f"citation accuracy {summary['citation_accuracy']:.3f}  "
            f"median {summary['median_words']:g} words"
        )
    typer.echo(f"min_confidence {data['min_confidence']:.2f}. Report: {markdown}")


def _bundled(questions: Path | None, cache_dir: Path | None) -> dict[str, Any]:
    """The bundled knowledge base, ingested into a temporary data dir, and its questions."""
    from assistant.container import SAMPLE_KB, Container
    from assistant.settings import Settings
    from eval.answers import bundled_report
    from eval.embedding_cache import CachingEmbedder
    from eval.sample_kb import QUESTIONS, QUESTIONS_ES, load_questions

    with tempfile.TemporaryDirectory(prefix="ca-eval-") as data_dir:
        container = Container(Settings(data_dir=Path(data_dir), sample_kb_on_empty=False))
        cache = CachingEmbedder(container.embedder, cache_dir)
        container.__dict__["embedder"] = cache
        started = time.perf_counter()
        container.ingest_paths([SAMPLE_KB])
        ingest = time.perf_counter() - started
        data = bundled_report(container, load_questions(questions or QUESTIONS))
        if questions is None:
            # The Spanish set, on the same knowledge base (its own figures, in the README).
            spanish = bundled_report(container, load_questions(QUESTIONS_ES))
            data["spanish"] = {k: spanish[k] for k in ("questions", "summary", "splits")}
        data["seconds"]["ingest"] = round(ingest, 2)
        cache.save()
    return data


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
    from eval.tuning_cli import run_tune

    logging.basicConfig(level="WARNING", stream=sys.stderr)
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


def register(app: typer.Typer) -> None:
    """Adds ``eval …`` and ``tune`` to the command line (called by ``server.cli_app``)."""
    app.add_typer(eval_app, name="eval")
    app.command()(tune)


if __name__ == "__main__":
    eval_app()

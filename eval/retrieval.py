"""``eval retrieval``: the product and three baselines ranked on the same passages.

Every method returns its top 10 passages (index rows) per question; the metrics of
:mod:`eval.metrics` are computed per question, then averaged over the whole set and
over each half of the dialogues (split by ``dial_id``; see :func:`eval.doc2dial.dialogue_half`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from eval.baselines import LangChainHybrid, bm25_rows, dense_rows
from eval.conversation import ConversationReplayer, message_texts
from eval.doc2dial import Question, dialogue_half
from eval.knowledge import EvalKnowledgeBase
from eval.metrics import Gold, mean_scores, question_scores

TOP = 10
METHODS = ("product", "bm25", "dense", "langchain_hybrid")

Ranker = Callable[[Question], list[int]]


@dataclass(slots=True)
class RetrievalRun:
    """Per-method, per-question scores and timings of one evaluation run."""

    questions: list[Question]
    scores: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def results(self, half: str | None = None) -> dict[str, dict[str, float]]:
        """Mean metrics per method, over all questions or one half of the dialogues."""
        keep = [half is None or dialogue_half(q.dial_id) == half for q in self.questions]
        return {
            method: {
                metric: round(value, 4)
                for metric, value in mean_scores(
                    s for s, kept in zip(rows, keep, strict=True) if kept
                ).items()
            }
            for method, rows in self.scores.items()
        }

    def half_sizes(self) -> dict[str, int]:
        halves = [dialogue_half(q.dial_id) for q in self.questions]
        return {"A": halves.count("A"), "B": halves.count("B")}


def product_ranker(kb: EvalKnowledgeBase) -> Ranker:
    """The product's retriever, with each question's dialogue replayed as its history."""
    settings = kb.container.settings
    replayer = ConversationReplayer(
        retriever=kb.container.retriever,
        snapshot=kb.snapshot,
        history_turns=settings.history_turns,
        session_history_turns=settings.session_history_turns,
    )

    def rank(question: Question) -> list[int]:
        result = replayer.retrieve(question.history, question.question, k=TOP)
        return [hit.row for hit in result.hits]

    return rank


def rankers(kb: EvalKnowledgeBase, methods: Sequence[str] = METHODS) -> dict[str, Ranker]:
    """The ranker of each method, built over ``kb``'s passages."""
    embedder = kb.container.embedder
    snapshot = kb.snapshot
    built: dict[str, Ranker] = {}
    for method in methods:
        if method == "product":
            built[method] = product_ranker(kb)
        elif method == "bm25":
            built[method] = lambda q: bm25_rows(snapshot, q.question, TOP)
        elif method == "dense":
            built[method] = lambda q: dense_rows(snapshot, embedder, q.question, TOP)
        elif method == "langchain_hybrid":
            built[method] = _langchain_ranker(
                LangChainHybrid(snapshot, embedder, k=TOP, texts=[c.text for c in snapshot.chunks])
            )
        else:
            raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    return built


def _langchain_ranker(hybrid: LangChainHybrid) -> Ranker:
    return lambda q: hybrid.rows(q.question)


def run_retrieval(
    kb: EvalKnowledgeBase,
    questions: Sequence[Question],
    *,
    methods: Sequence[str] = METHODS,
    show_progress: bool = False,
) -> RetrievalRun:
    """Rank every question with every method and score the rankings."""
    run = RetrievalRun(questions=list(questions))
    started = time.perf_counter()
    kb.cache.prefill([t for q in questions for t in message_texts(q.history, q.question)])
    run.seconds["embed_queries"] = round(time.perf_counter() - started, 2)
    for method in methods:
        started = time.perf_counter()
        rank = rankers(kb, [method])[method]
        rows_scores: list[dict[str, float]] = []
        for question in tqdm(
            questions, desc=method, unit="question", disable=not show_progress, leave=False
        ):
            ranking = [kb.passages[row] for row in rank(question)[:TOP]]
            gold = Gold(question.gold.doc_id, question.gold.start, question.gold.end)
            rows_scores.append(question_scores(ranking, gold))
        run.scores[method] = rows_scores
        run.seconds[method] = round(time.perf_counter() - started, 2)
    return run


def retrieval_report(kb: EvalKnowledgeBase, run: RetrievalRun) -> dict[str, Any]:
    """The ``retrieval.json`` object: ``results`` per method, plus context."""
    return {
        "results": run.results(),
        "halves": {half: run.results(half) for half in ("A", "B")},
        "questions": len(run.questions),
        "half_sizes": run.half_sizes(),
        "passages": kb.passage_summary(),
        "settings": kb.settings_used(),
        "seconds": {"ingest": round(kb.ingest_seconds, 2), **run.seconds},
    }

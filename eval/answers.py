"""``eval answers``: what a citizen reads, through the full turn pipeline.

Two question sets, each run exactly as the product answers (the configured
``min_confidence``, the packaged answer model):

- **doc2dial** (``--corpus``/``--questions``): real dialogues, each question replayed
  with its history. On the turns answered: the share of the gold span's tokens the
  answer contains (token recall — what matters once answers quote whole lists), token
  F1, the first citation's document (citation accuracy) and the answer's length; and the
  share answered. Reported for all questions and for each half of the dialogues (A is
  what the answer model was fitted on, B was never looked at).
- **the bundled knowledge base** (no ``--corpus``): ``eval/datasets/sample_kb_answers
  .jsonl``, per split (``dev``, ``heldout``): the useful-answer rate (answered, from a
  right page, with every key fact), the refusal rate on questions it should not answer,
  and the useful rate by style of question.

Both report the reliability curve: for the answers the model scored, the share from a
right page per band of confidence.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from assistant.container import Container
from assistant.turns import InboundMessage, Status, TurnContext
from eval.conversation import ConversationReplayer, message_texts
from eval.doc2dial import Question, dialogue_half
from eval.embedding_cache import CachingEmbedder
from eval.knowledge import EvalKnowledgeBase
from eval.metrics import answer_tokens, strip_citations, token_f1, token_recall
from eval.sample_kb import KbQuestion, run, summarise

BINS = 10


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """One doc2dial question's turn, as the product answered it."""

    half: str
    status: str
    answered: bool
    confidence: float | None  # None: the turn ended before an answer was weighed
    right_page: bool  # the first citation (of the answer given or declined) is the gold page
    recall: float
    f1: float
    words: int
    chars: int


def run_turns(
    kb: EvalKnowledgeBase, questions: Sequence[Question], *, show_progress: bool = False
) -> list[TurnOutcome]:
    """Each question through the product's pipeline, its dialogue as past turns."""
    container = kb.container
    pipeline = container.pipeline
    replayer = ConversationReplayer(
        retriever=container.retriever,
        snapshot=kb.snapshot,
        history_turns=container.settings.history_turns,
        session_history_turns=container.settings.session_history_turns,
    )
    kb.cache.prefill([t for q in questions for t in message_texts(q.history, q.question)])
    outcomes: list[TurnOutcome] = []
    for question in tqdm(questions, desc="answers", unit="question", disable=not show_progress):
        ctx = TurnContext(
            message=InboundMessage(channel="eval", text=question.question),
            text=question.question.strip(),
            history=replayer.past_turns(question.history),
        )
        pipeline.run(ctx)
        outcomes.append(_outcome(ctx, question))
    return outcomes


def _outcome(ctx: TurnContext, question: Question) -> TurnOutcome:
    answered = ctx.status is Status.ANSWERED
    # The answer itself, without notes the assistant adds (how to reach a person).
    reply = strip_citations(ctx.answer.text) if answered and ctx.answer is not None else ""
    weighed = ctx.answer or ctx.declined
    return TurnOutcome(
        half=dialogue_half(question.dial_id),
        status=str(ctx.status),
        answered=answered,
        confidence=ctx.scores.get("confidence"),
        right_page=weighed is not None and weighed.doc_id == question.gold.doc_id,
        recall=token_recall(reply, question.gold.text) if answered else 0.0,
        f1=token_f1(reply, question.gold.text) if answered else 0.0,
        words=len(answer_tokens(reply)),
        chars=len(reply),
    )


def summarise_turns(outcomes: Sequence[TurnOutcome]) -> dict[str, Any]:
    """The headline measures over ``outcomes`` (means over answered turns)."""
    kept = [o for o in outcomes if o.answered]
    n = max(len(kept), 1)
    return {
        "questions": len(outcomes),
        "answered_share": round(len(kept) / max(len(outcomes), 1), 4),
        "recall_answered": round(sum(o.recall for o in kept) / n, 4),
        "f1_answered": round(sum(o.f1 for o in kept) / n, 4),
        "f1_all": round(sum(o.f1 for o in kept) / max(len(outcomes), 1), 4),
        "citation_accuracy": round(sum(o.right_page for o in kept) / n, 4),
        "median_words": statistics.median([o.words for o in kept]) if kept else 0,
        "median_chars": statistics.median([o.chars for o in kept]) if kept else 0,
    }


def reliability_curve(
    pairs: Sequence[tuple[float | None, bool]], bins: int = BINS
) -> list[dict[str, Any]]:
    """For each confidence band: how many answers the model weighed in it, and the share
    of them from a right page (answered or not)."""
    weighed = [(c, right) for c, right in pairs if c is not None]
    curve: list[dict[str, Any]] = []
    for i in range(bins):
        low, high = i / bins, (i + 1) / bins
        inside = [r for c, r in weighed if low <= c < high or (i == bins - 1 and c == 1)]
        share = round(sum(inside) / len(inside), 4) if inside else 0.0
        curve.append({"low": low, "high": high, "count": len(inside), "correct": share})
    return curve


def answers_report(
    kb: EvalKnowledgeBase, questions: Sequence[Question], *, show_progress: bool = False
) -> dict[str, Any]:
    """The ``answers.json`` object for doc2dial-shaped data."""
    started = time.perf_counter()
    outcomes = run_turns(kb, questions, show_progress=show_progress)
    seconds = time.perf_counter() - started
    return {
        "set": "doc2dial",
        "questions": len(outcomes),
        "min_confidence": kb.container.min_confidence,
        "summary": summarise_turns(outcomes),
        "halves": {
            half: summarise_turns([o for o in outcomes if o.half == half]) for half in ("A", "B")
        },
        "statuses": dict(Counter(o.status for o in outcomes).most_common()),
        "curve": reliability_curve([(o.confidence, o.right_page) for o in outcomes]),
        "seconds": {"ingest": round(kb.ingest_seconds, 2), "turns": round(seconds, 2)},
    }


def bundled_report(container: Container, questions: Sequence[KbQuestion]) -> dict[str, Any]:
    """The ``answers.json`` object for the bundled knowledge base's question set."""
    if not isinstance(container.embedder, CachingEmbedder):
        container.__dict__["embedder"] = CachingEmbedder(container.embedder)
    started = time.perf_counter()
    outcomes = run(container, questions, keep_context=True)
    seconds = time.perf_counter() - started
    pairs: list[tuple[float | None, bool]] = []
    for o in outcomes:
        ctx = o.context
        weighed = (ctx.answer or ctx.declined) if ctx is not None else None
        right = (
            o.question.answerable and weighed is not None and weighed.doc_id in o.question.doc_ids
        )
        pairs.append((ctx.scores.get("confidence") if ctx is not None else None, right))
    return {
        "set": "bundled",
        "questions": len(outcomes),
        "min_confidence": container.min_confidence,
        "summary": summarise(outcomes),
        "splits": {
            split: summarise([o for o in outcomes if o.question.split == split])
            for split in ("dev", "heldout")
        },
        "curve": reliability_curve(pairs),
        "seconds": {"turns": round(seconds, 2)},
    }

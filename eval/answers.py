"""``eval answers``: every question through the full turn pipeline, with its dialogue.

The pipeline runs with ``min_confidence = 0`` so every turn that reaches the composer
yields an answer, its confidence and its citations; the configured threshold is then
applied afterwards (a turn is answered only when its confidence reaches it). That is
exactly what the compose stage does, and it lets one run draw the whole reliability
curve: confidence against correctness, where correct means the first citation comes
from the gold document.

Suggested ``min_confidence``: the threshold (in steps of 0.01) that maximises
``correct answers − wrong answers`` over the set — answer only when an answer at that
confidence is more often right than wrong; an abstention scores 0.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from assistant.turns import InboundMessage, Status, TurnContext
from eval.conversation import ConversationReplayer, message_texts
from eval.doc2dial import Question
from eval.knowledge import EvalKnowledgeBase
from eval.metrics import strip_citations, token_f1

BINS = 10
RULE = (
    "Rule: the suggested threshold maximises (correct answers − wrong answers) over all "
    "questions, an abstention counting 0 — i.e. answer only where an answer is more often "
    "right than wrong. Correct = the first citation comes from the gold document."
)


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """One question's turn, before the confidence threshold is applied."""

    status: str
    confidence: float
    composed: bool  # reached an answer (status answered with min_confidence 0)
    reply: str
    first_correct: bool
    any_correct: bool
    f1: float


def run_turns(
    kb: EvalKnowledgeBase, questions: Sequence[Question], *, show_progress: bool = False
) -> list[TurnOutcome]:
    """Each question through the product's pipeline (threshold 0), history as past turns."""
    container = kb.container
    container.settings = container.settings.model_copy(update={"min_confidence": 0.0})
    container.__dict__.pop("pipeline", None)
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
        cited = [c.doc_id for c in ctx.citations]
        composed = ctx.status is Status.ANSWERED
        reply = strip_citations(ctx.reply_text)
        outcomes.append(
            TurnOutcome(
                status=str(ctx.status),
                confidence=float(ctx.confidence),
                composed=composed,
                reply=reply,
                first_correct=bool(cited) and cited[0] == question.gold.doc_id,
                any_correct=question.gold.doc_id in cited,
                f1=token_f1(reply, question.gold.text) if composed else 0.0,
            )
        )
    return outcomes


def answered(outcome: TurnOutcome, threshold: float) -> bool:
    """Whether the product answers this turn at ``min_confidence = threshold``."""
    return outcome.composed and outcome.confidence >= threshold


def status_at(outcome: TurnOutcome, threshold: float) -> str:
    if outcome.composed and not answered(outcome, threshold):
        return str(Status.UNANSWERABLE_LOW_CONFIDENCE)
    return outcome.status


def reliability_curve(outcomes: Sequence[TurnOutcome], bins: int = BINS) -> list[dict[str, Any]]:
    """For each confidence bin: how many composed answers fell in it, and the share correct."""
    curve: list[dict[str, Any]] = []
    composed = [o for o in outcomes if o.composed]
    for i in range(bins):
        low, high = i / bins, (i + 1) / bins
        inside = [
            o
            for o in composed
            if low <= o.confidence < high or (i == bins - 1 and o.confidence == 1)
        ]
        correct = sum(o.first_correct for o in inside) / len(inside) if inside else 0.0
        curve.append({"low": low, "high": high, "count": len(inside), "correct": round(correct, 4)})
    return curve


def at_threshold(outcomes: Sequence[TurnOutcome], threshold: float) -> dict[str, float]:
    """Share answered, and the share of answered turns whose first citation is right."""
    kept = [o for o in outcomes if answered(o, threshold)]
    total = max(len(outcomes), 1)
    return {
        "answered_share": round(len(kept) / total, 4),
        "precision": round(sum(o.first_correct for o in kept) / len(kept), 4) if kept else 0.0,
    }


def suggest_threshold(outcomes: Sequence[TurnOutcome]) -> float:
    """The lowest threshold maximising correct − wrong answers (see the module docstring)."""
    best, best_utility = 0.0, float("-inf")
    for step in range(101):
        threshold = step / 100
        kept = [o for o in outcomes if answered(o, threshold)]
        utility = sum(1 if o.first_correct else -1 for o in kept)
        if utility > best_utility:
            best, best_utility = threshold, utility
    return best


def summarise(outcomes: Sequence[TurnOutcome], threshold: float) -> dict[str, float]:
    """The headline measures at the configured ``min_confidence``."""
    kept = [o for o in outcomes if answered(o, threshold)]
    total = max(len(outcomes), 1)
    n = max(len(kept), 1)
    return {
        "answered_share": round(len(kept) / total, 4),
        "f1_answered": round(sum(o.f1 for o in kept) / n, 4),
        "f1_all": round(sum(o.f1 for o in kept) / total, 4),
        "citation_first": round(sum(o.first_correct for o in kept) / n, 4),
        "citation_any": round(sum(o.any_correct for o in kept) / n, 4),
    }


def answers_report(
    kb: EvalKnowledgeBase,
    questions: Sequence[Question],
    *,
    min_confidence: float,
    show_progress: bool = False,
) -> dict[str, Any]:
    """The ``answers.json`` object."""
    started = time.perf_counter()
    outcomes = run_turns(kb, questions, show_progress=show_progress)
    seconds = time.perf_counter() - started
    suggestion = suggest_threshold(outcomes)
    return {
        "questions": len(outcomes),
        "min_confidence": min_confidence,
        "summary": summarise(outcomes, min_confidence),
        "statuses": dict(Counter(status_at(o, min_confidence) for o in outcomes).most_common()),
        "curve": reliability_curve(outcomes),
        "rule": RULE,
        "suggested_min_confidence": suggestion,
        "at_suggestion": at_threshold(outcomes, suggestion),
        "at_configured": at_threshold(outcomes, min_confidence),
        "seconds": {"ingest": round(kb.ingest_seconds, 2), "turns": round(seconds, 2)},
    }

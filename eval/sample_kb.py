"""Calibrate and check abstention on the bundled knowledge base's labelled questions.

``eval/datasets/sample_kb_questions.jsonl`` holds questions written for the sample
knowledge base: answerable ones (with the documents that answer them), questions about
government services the sample does not cover, and questions that are off topic. Every
question is asked once with abstention switched off, its scores are kept, and each
candidate threshold is judged on the whole set:

    utility = correct answers − 2 × (wrong answers + answers to unanswerable questions)

A wrong or invented answer costs a citizen more than an honest "I don't know" with a
person offered, hence the factor 2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.container import Container
from assistant.settings import Settings
from assistant.turns import InboundMessage, Status

QUESTIONS = Path(__file__).resolve().parent / "datasets" / "sample_kb_questions.jsonl"
WRONG_ANSWER_COST = 2.0


@dataclass(frozen=True, slots=True)
class Outcome:
    question: str
    kind: str
    expected: tuple[str, ...]
    status: Status
    confidence: float
    cited: str | None

    @property
    def right_source(self) -> bool:
        return self.cited is not None and self.cited in self.expected


def load_questions(path: Path = QUESTIONS) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def run(container: Container, path: Path = QUESTIONS) -> list[Outcome]:
    """Ask every question in a fresh conversation; abstention is decided afterwards."""
    service = container.ephemeral_assistant()
    outcomes = []
    for item in load_questions(path):
        reply = service.handle(InboundMessage("eval", str(item["question"])))
        outcomes.append(
            Outcome(
                question=str(item["question"]),
                kind=str(item["kind"]),
                expected=tuple(item["doc_ids"]),  # type: ignore[arg-type]
                status=reply.status,
                confidence=reply.confidence,
                cited=reply.citations[0].doc_id if reply.citations else None,
            )
        )
    return outcomes


def summarise(outcomes: list[Outcome], threshold: float) -> dict[str, float]:
    """What a threshold would do on the set: answered, right, wrong and false answers."""
    answered = [o for o in outcomes if o.status is Status.ANSWERED and o.confidence >= threshold]
    answerable = [o for o in outcomes if o.kind == "answerable"]
    right = sum(1 for o in answered if o.kind == "answerable" and o.right_source)
    wrong = sum(1 for o in answered if o.kind == "answerable" and not o.right_source)
    false = sum(1 for o in answered if o.kind != "answerable")
    unanswerable = len(outcomes) - len(answerable)
    return {
        "threshold": threshold,
        "answerable_answered_right": right / max(len(answerable), 1),
        "answerable_answered_wrong": wrong / max(len(answerable), 1),
        "unanswerable_answered": false / max(unanswerable, 1),
        "utility": right - WRONG_ANSWER_COST * (wrong + false),
    }


def best_threshold(outcomes: list[Outcome]) -> dict[str, float]:
    candidates = np.round(np.arange(0.20, 0.71, 0.01), 2)
    table = [summarise(outcomes, float(t)) for t in candidates]
    return max(table, key=lambda row: (row["utility"], -row["threshold"]))


def main() -> None:  # pragma: no cover - a measurement script
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        container = Container(Settings(data_dir=Path(tmp), min_confidence=0.0))
        container.ensure_knowledge_base()
        outcomes = run(container)
    for o in sorted(outcomes, key=lambda o: o.confidence):
        mark = "ok " if (o.kind == "answerable") == o.right_source else "   "
        print(f"{mark}{o.confidence:.3f} {o.status:28} {o.kind:22} {o.cited} | {o.question}")
    for t in (0.3, 0.35, 0.4, 0.45, 0.5):
        print(summarise(outcomes, t))
    print("best:", best_threshold(outcomes))


if __name__ == "__main__":  # pragma: no cover
    main()

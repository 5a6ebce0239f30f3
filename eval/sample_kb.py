"""The bundled knowledge base's own question set: is the answer useful, or the refusal right?

``eval/datasets/sample_kb_answers.jsonl`` holds questions a citizen would ask about the
sample knowledge base, written from its pages without looking at the assistant's
answers: plain, short, misspelt, statements of a problem, multi-part questions,
follow-ups (with the earlier messages of the conversation), questions naming the
citizen's situation, services the knowledge base does not cover (many close to ones it
does: a gun permit beside a building permit) and off-topic ones. Each answerable
question lists the pages that answer it and the key facts a useful answer contains
(groups of alternatives: every group must be present). ``split`` keeps a held-out half
that weights are never fitted on.

A question is asked in a fresh conversation; its earlier messages, if any, are asked
first, as real turns, so the assistant reads the follow-up with its own earlier answers.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.container import Container
from assistant.pipeline import TurnPipeline
from assistant.turns import InboundMessage, PastTurn, Status, TurnContext

QUESTIONS = Path(__file__).resolve().parent / "datasets" / "sample_kb_answers.jsonl"
# The same kinds of question, asked in Spanish, about the bundled Spanish pages (and
# services that have none); answered from the right page means from the Spanish page.
QUESTIONS_ES = Path(__file__).resolve().parent / "datasets" / "sample_kb_answers_es.jsonl"
KINDS = ("answerable", "unanswerable", "off_topic")
_SPACES = re.compile(r"\s+")
_CITATION = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True, slots=True)
class KbQuestion:
    id: str
    question: str
    history: tuple[str, ...]
    kind: str
    style: str
    doc_ids: tuple[str, ...]
    facts: tuple[tuple[str, ...], ...]
    split: str

    @property
    def answerable(self) -> bool:
        return self.kind == "answerable"


@dataclass(slots=True)
class KbOutcome:
    """One question's last turn, as the citizen saw it."""

    question: KbQuestion
    status: str
    confidence: float
    reply: str
    cited: tuple[str, ...]
    signals: dict[str, float] = field(default_factory=dict)
    context: TurnContext | None = field(default=None, repr=False)
    # A refusal that offered a page ("Did you mean ...?"): the page, and, when it is a
    # right one (the citizen, knowing what they asked, says yes), what the yes got them.
    offered: str | None = None
    confirmed_reply: str | None = None
    confirmed_cited: tuple[str, ...] = ()

    @property
    def answered(self) -> bool:
        return self.status == str(Status.ANSWERED)

    @property
    def right_page(self) -> bool:
        return bool(self.cited) and self.cited[0] in self.question.doc_ids

    @property
    def facts_present(self) -> bool:
        return has_facts(self.reply, self.question.facts)

    @property
    def some_fact(self) -> bool:
        """At least one key fact is in the answer (a weaker measure than ``useful``)."""
        return any(has_facts(self.reply, [group]) for group in self.question.facts)

    @property
    def useful(self) -> bool:
        """Answered, from a right page, with every key fact."""
        return self.answered and self.right_page and self.facts_present

    @property
    def useful_after_yes(self) -> bool:
        """Not answered, but the page offered is a right one and the citizen's yes got an
        answer from it with every key fact."""
        return (
            self.confirmed_reply is not None
            and bool(self.confirmed_cited)
            and self.confirmed_cited[0] in self.question.doc_ids
            and has_facts(self.confirmed_reply, self.question.facts)
        )


def normalise(text: str) -> str:
    return _SPACES.sub(" ", _CITATION.sub("", text)).strip().lower()


def has_facts(reply: str, facts: Sequence[Sequence[str]]) -> bool:
    """Every group of alternatives has one alternative in the reply (case and spaces aside)."""
    text = normalise(reply)
    return all(any(normalise(alt) in text for alt in group) for group in facts)


def load_questions(path: Path = QUESTIONS, *, split: str | None = None) -> list[KbQuestion]:
    questions = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            try:
                question = KbQuestion(
                    id=str(record["id"]),
                    question=str(record["question"]),
                    history=tuple(str(t) for t in record.get("history", [])),
                    kind=str(record["kind"]),
                    style=str(record.get("style", "plain")),
                    doc_ids=tuple(str(d) for d in record.get("doc_ids", [])),
                    facts=tuple(tuple(str(a) for a in g) for g in record.get("facts", [])),
                    split=str(record.get("split", "dev")),
                )
            except (KeyError, TypeError) as exc:
                raise ValueError(f"{path}: line {number} is not a question: {exc}") from exc
            if question.kind not in KINDS:
                raise ValueError(f"{path}: line {number}: unknown kind {question.kind!r}")
            if split is None or question.split == split:
                questions.append(question)
    return questions


def ask(pipeline: TurnPipeline, text: str, history: list[PastTurn]) -> TurnContext:
    """One turn with the given conversation so far (as the service would load it)."""
    ctx = TurnContext(
        message=InboundMessage(channel="eval", text=text), text=text.strip(), history=history
    )
    return pipeline.run(ctx)


def converse(pipeline: TurnPipeline, messages: Iterable[str]) -> tuple[TurnContext, list[PastTurn]]:
    """The messages in one conversation, each a real turn; the last turn and the history."""
    history: list[PastTurn] = []
    ctx: TurnContext | None = None
    for text in messages:
        ctx = ask(pipeline, text, list(history))
        history.append(PastTurn(role="citizen", text=ctx.text))
        history.append(
            PastTurn(
                role="assistant",
                text=ctx.reply_text,
                status=str(ctx.status),
                cited_docs=tuple(dict.fromkeys(c.doc_id for c in ctx.citations)),
                vector=ctx.answer.vector if ctx.answer is not None else None,
                vector_model=ctx.answer.vector_model if ctx.answer is not None else None,
                offered=ctx.offer.doc_id if ctx.offer is not None else None,
            )
        )
    assert ctx is not None, "a conversation needs at least one message"
    return ctx, history


def run(
    container: Container,
    questions: Sequence[KbQuestion] | None = None,
    *,
    pipeline: TurnPipeline | None = None,
    keep_context: bool = False,
) -> list[KbOutcome]:
    """Every question in its own conversation through the product's turn pipeline."""
    pipeline = pipeline or container.pipeline
    outcomes = []
    for question in questions if questions is not None else load_questions():
        ctx, history = converse(pipeline, [*question.history, question.question])
        offered = ctx.offer.doc_id if ctx.offer is not None else None
        confirmed: TurnContext | None = None
        if offered is not None and offered in question.doc_ids:
            # The citizen knows what they asked about: a right page offered gets a yes.
            confirmed = ask(pipeline, "yes", history)
        outcomes.append(
            KbOutcome(
                question=question,
                status=str(ctx.status),
                confidence=float(ctx.confidence),
                reply=_answer_text(ctx),
                cited=tuple(c.doc_id for c in ctx.citations),
                signals=dict(ctx.scores),
                context=ctx if keep_context else None,
                offered=offered,
                confirmed_reply=_answer_text(confirmed)
                if confirmed is not None and confirmed.status is Status.ANSWERED
                else None,
                confirmed_cited=tuple(c.doc_id for c in confirmed.citations) if confirmed else (),
            )
        )
    return outcomes


def _answer_text(ctx: TurnContext) -> str:
    """The answer itself: a note the assistant adds ("a person can help: call 311") must
    not count as a key fact."""
    return ctx.answer.text if ctx.answer is not None else ctx.reply_text


def summarise(outcomes: Sequence[KbOutcome]) -> dict[str, Any]:
    """Useful-answer rate on the answerable, refusal rate on the rest, and their parts."""
    answerable = [o for o in outcomes if o.question.answerable]
    other = [o for o in outcomes if not o.question.answerable]
    n = max(len(answerable), 1)
    answered = [o for o in answerable if o.answered]
    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "unanswerable": len(other),
        "useful": round(sum(o.useful for o in answerable) / n, 4),
        "useful_some_fact": round(
            sum(o.answered and o.right_page and o.some_fact for o in answerable) / n, 4
        ),
        "answered": round(len(answered) / n, 4),
        "right_page": round(sum(o.right_page for o in answered) / n, 4),
        "wrong_page": round(sum(not o.right_page for o in answered) / n, 4),
        "right_page_missing_facts": round(
            sum(o.right_page and not o.facts_present for o in answered) / n, 4
        ),
        "refused_unanswerable": round(sum(not o.answered for o in other) / max(len(other), 1), 4),
        # "Did you mean ...?": the useful answers a yes adds, and how often a refusal of a
        # question nothing answers offered a page (the citizen says no to it).
        "useful_with_yes": round(sum(o.useful or o.useful_after_yes for o in answerable) / n, 4),
        "offered_right_page": round(
            sum(o.offered is not None and o.offered in o.question.doc_ids for o in answerable) / n,
            4,
        ),
        "offered_unanswerable": round(
            sum(o.offered is not None for o in other) / max(len(other), 1), 4
        ),
        "median_answer_chars": _median([len(normalise(o.reply)) for o in answered]),
        "by_style": {
            style: round(
                sum(o.useful for o in answerable if o.question.style == style)
                / max(1, sum(1 for o in answerable if o.question.style == style)),
                4,
            )
            for style in sorted({o.question.style for o in answerable})
        },
        "statuses": dict(Counter(o.status for o in outcomes).most_common()),
    }


def _median(values: list[int]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(
        ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    )


def main() -> None:  # pragma: no cover - a measurement script
    import tempfile

    from assistant.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        container = Container(Settings(data_dir=Path(tmp)))
        container.ensure_knowledge_base()
        outcomes = run(container, load_questions(split="dev"))
    print(json.dumps(summarise(outcomes), indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()

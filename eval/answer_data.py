"""Labelled turns for fitting and measuring the answer weights.

Four sources, each split into a part the weights are fitted on (``dev``) and a part
they never see (``heldout``):

- **doc2dial**: real dialogues about government services (``shared/datasets/
  doc2dial``), replayed with their history; answerable, with the gold span that
  grounds the right answer. Split by dialogue (``eval.doc2dial.dialogue_half``: A is
  dev, B held out).
- **doc2dial, page removed**: the same questions asked of a knowledge base that lacks
  their gold page (the corpus cut in two halves by document, each question asked of the
  half without its page): unanswerable, made honestly from real questions.
- **sample-kb**: the bundled knowledge base's own question set
  (``eval.sample_kb``), answerable, unanswerable and off-topic, with key facts.
- **sample-kb, page removed**: its answerable questions asked of half the bundled
  pages, the half without their page(s): services close to ones still covered (the
  licence renewal question with only the REAL ID and registration pages left).
- **sample-kb-es**: the Spanish question set (``eval.sample_kb.QUESTIONS_ES``), asked of
  the whole bundled knowledge base, for the Spanish answer model.

Every turn runs through the product's own pipeline with ``min_confidence = 0`` (every
composed answer survives, with its signals), and a recorder around the composer keeps
the features of every unit of the chosen page, labelled by whether the unit holds the
answer (overlaps the gold span, or contains a key fact).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.composer import ExtractiveComposer
from assistant.container import SAMPLE_KB, Container
from assistant.settings import Settings
from assistant.stages import Answerability
from assistant.turns import InboundMessage, Status, TurnContext
from assistant.unit_scoring import ScoredPage
from eval.conversation import ConversationReplayer, message_texts
from eval.doc2dial import OffsetMap, Question, dialogue_half, load_questions, load_raw_texts
from eval.embedding_cache import CachingEmbedder
from eval.knowledge import build_knowledge_base
from eval.metrics import answer_tokens, strip_citations, token_f1, token_recall
from eval.sample_kb import QUESTIONS_ES, KbQuestion, converse, has_facts
from eval.sample_kb import load_questions as load_kb_questions
from knowledge_base.outline import Outline
from knowledge_base.retriever import RetrievalResult

__all__ = ["Turn", "UnitExamples", "collect"]


@dataclass(slots=True)
class UnitExamples:
    """The units of one turn's chosen page: features, and which hold the answer."""

    features: np.ndarray
    labels: np.ndarray
    # The chosen page's sections: their features, their own units, and which hold the answer.
    section_features: np.ndarray | None = None
    section_units: list[range] = field(default_factory=list)
    section_labels: np.ndarray | None = None


@dataclass(slots=True)
class Turn:
    source: str  # "doc2dial" | "doc2dial-removed" | "sample-kb" | ... | "sample-kb-es"
    split: str  # "dev" | "heldout"
    answerable: bool
    style: str
    status: str
    composed: bool  # an answer reached the answerability stage
    right_page: bool
    facts: bool  # the key facts are present (sample-kb), or the gold span's words (doc2dial)
    reply: str
    signals: dict[str, float]
    recall: float = 0.0  # doc2dial: share of the gold span's tokens in the reply
    f1: float = 0.0
    words: int = 0
    units: UnitExamples | None = field(default=None, repr=False)
    section: tuple[str, ...] = ()  # the heading path answered from
    shape: str = ""

    @property
    def right(self) -> bool:
        """The label the answerability model learns: an answer from a right page."""
        return self.answerable and self.composed and self.right_page


class _RecordingComposer:
    """The product's composer, keeping the unit features of each turn's chosen page."""

    def __init__(self, inner: ExtractiveComposer) -> None:
        self.inner = inner
        self.last: ScoredPage | None = None

    def compose(self, *, question: str, retrieval: RetrievalResult, context: str = "") -> Any:
        self.last = self.inner.score(question=question, retrieval=retrieval, context=context)
        return self.inner.compose(question=question, retrieval=retrieval, context=context)


class _Undecided:
    """Answers everything: the signals are recorded, the decision is made afterwards."""

    def probability(self, signals: dict[str, float]) -> float:
        return 1.0


def _open(container: Container, answer_model: Path | None) -> _RecordingComposer:
    """Pipeline that answers every composed turn (its signals recorded), optionally with
    other composer weights, the composer recorded."""
    update: dict[str, Any] = {"min_confidence": 0.0}
    if answer_model is not None:
        update["answer_model"] = answer_model
    container.settings = container.settings.model_copy(update=update)
    for name in ("pipeline", "composer", "answerability", "answer_model"):
        container.__dict__.pop(name, None)
    recorder = _RecordingComposer(container.composer)
    container.__dict__["composer"] = recorder
    container.__dict__["answerability"] = Answerability(
        _Undecided(),
        min_confidence=0.0,
        caveat_below=0.0,
        replies=container.replies,
    )
    return recorder


@contextmanager
def collect(
    doc2dial: Path,
    *,
    answer_model: Path | None = None,
    cache_dir: Path | None = None,
    sources: Sequence[str] = (
        "doc2dial",
        "doc2dial-removed",
        "sample-kb",
        "sample-kb-removed",
        "sample-kb-es",
    ),
    kb_questions: Path | None = None,
) -> Iterator[list[Turn]]:
    """Every labelled turn of ``sources`` (knowledge bases built in temporary dirs)."""
    turns: list[Turn] = []
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ca-answers-")))
        corpus = doc2dial / "documents.jsonl"
        wanted = any(s.startswith("doc2dial") for s in sources)
        questions = load_questions(doc2dial / "dev.jsonl") if wanted else []
        if "doc2dial" in sources:
            kb = build_knowledge_base(corpus, tmp / "full", cache_dir=cache_dir)
            turns += _doc2dial_turns(kb.container, questions, corpus, answer_model, removed=False)
            kb.save_cache()
        if "doc2dial-removed" in sources:
            for half in ("0", "1"):
                part = tmp / f"corpus-{half}.jsonl"
                kept = _write_document_half(corpus, part, half)
                kb = build_knowledge_base(part, tmp / f"half-{half}", cache_dir=cache_dir)
                asked = [q for q in questions if q.gold.doc_id not in kept]
                turns += _doc2dial_turns(kb.container, asked, corpus, answer_model, removed=True)
                kb.save_cache()
        asked_kb = load_kb_questions(kb_questions) if kb_questions else load_kb_questions()
        if "sample-kb" in sources or "sample-kb-es" in sources:
            container = _sample_container(tmp / "sample", cache_dir, sorted(SAMPLE_KB.glob("*.md")))
            if "sample-kb" in sources:
                turns += _sample_turns(container, asked_kb, answer_model)
            if "sample-kb-es" in sources:
                spanish = _sample_turns(container, load_kb_questions(QUESTIONS_ES), answer_model)
                for turn in spanish:
                    turn.source = "sample-kb-es"
                turns += spanish
            container.embedder.save()  # type: ignore[attr-defined]
        if "sample-kb-removed" in sources:
            pages = sorted(SAMPLE_KB.glob("*.md"))
            for half in ("0", "1"):
                halved = [page for page in pages if document_half(page.stem) == half]
                container = _sample_container(tmp / f"sample-{half}", cache_dir, halved)
                names = {page.stem for page in halved}
                without = [
                    q for q in asked_kb if q.answerable and not any(d in names for d in q.doc_ids)
                ]
                turns += _sample_turns(container, without, answer_model, removed=True)
                container.embedder.save()  # type: ignore[attr-defined]
        yield turns


def _sample_container(data_dir: Path, cache_dir: Path | None, pages: list[Path]) -> Container:
    container = Container(Settings(data_dir=data_dir, sample_kb_on_empty=False))
    container.__dict__["embedder"] = CachingEmbedder(container.embedder, cache_dir)
    container.ingest_paths(pages)
    return container


def document_half(doc_id: str) -> str:
    """``"0"`` or ``"1"``: a stable split of documents, from a hash of the id."""
    return str(hashlib.blake2b(doc_id.encode("utf-8")).digest()[0] % 2)


def _write_document_half(corpus: Path, target: Path, half: str) -> set[str]:
    kept: set[str] = set()
    with corpus.open(encoding="utf-8") as lines, target.open("w", encoding="utf-8") as out:
        for line in lines:
            if line.strip() and document_half(str(json.loads(line)["doc_id"])) == half:
                kept.add(str(json.loads(line)["doc_id"]))
                out.write(line)
    return kept


def _doc2dial_turns(
    container: Container,
    questions: Sequence[Question],
    corpus: Path,
    answer_model: Path | None,
    *,
    removed: bool,
) -> list[Turn]:
    recorder = _open(container, answer_model)
    pipeline = container.pipeline
    snapshot = container.index_store.snapshot()
    assert snapshot is not None
    replayer = ConversationReplayer(
        retriever=container.retriever,
        snapshot=snapshot,
        history_turns=container.settings.history_turns,
        session_history_turns=container.settings.session_history_turns,
    )
    embedder = container.embedder
    if isinstance(embedder, CachingEmbedder):
        embedder.prefill([t for q in questions for t in message_texts(q.history, q.question)])
    raw = load_raw_texts(corpus)
    maps: dict[str, OffsetMap] = {}
    turns = []
    for question in questions:
        ctx = TurnContext(
            message=InboundMessage(channel="eval", text=question.question),
            text=question.question.strip(),
            history=replayer.past_turns(question.history),
        )
        recorder.last = None
        pipeline.run(ctx)
        # The answer itself: a note the assistant adds ("a person can help: call 311")
        # is neither part of the gold span nor a key fact.
        reply = strip_citations(ctx.answer.text) if ctx.answer is not None else ""
        composed = ctx.answer is not None or ctx.status is Status.ANSWERED
        cited = [c.doc_id for c in ctx.citations]
        right = bool(cited) and cited[0] == question.gold.doc_id
        units = None
        if not removed and recorder.last is not None:
            doc = recorder.last.outline
            if doc.doc_id == question.gold.doc_id:
                if doc.doc_id not in maps:
                    maps[doc.doc_id] = OffsetMap(
                        raw[doc.doc_id], snapshot.documents[doc.doc_id].text
                    )
                labels = _gold_labels(doc, maps[doc.doc_id], question)
                units = _examples(
                    recorder.last,
                    labels,
                    [labels[r].any() for r in recorder.last.page.section_units],
                )
        turns.append(
            Turn(
                source="doc2dial-removed" if removed else "doc2dial",
                split="dev" if dialogue_half(question.dial_id) == "A" else "heldout",
                answerable=not removed,
                style="first" if not question.history else "follow_up",
                status=str(ctx.status),
                composed=composed,
                right_page=right,
                facts=right and token_recall(reply, question.gold.text) >= 0.5,
                reply=reply,
                signals=dict(ctx.scores),
                recall=token_recall(reply, question.gold.text) if composed else 0.0,
                f1=token_f1(reply, question.gold.text) if composed else 0.0,
                words=len(answer_tokens(reply)) if composed else 0,
                units=units,
                section=ctx.answer.section if ctx.answer is not None else (),
                shape=ctx.answer.shape if ctx.answer is not None else "",
            )
        )
    return turns


def _examples(scored: ScoredPage, labels: np.ndarray, sections: Sequence[bool]) -> UnitExamples:
    return UnitExamples(
        scored.features,
        labels,
        scored.section_features,
        list(scored.page.section_units),
        np.asarray(sections, dtype=np.int8),
    )


def _gold_labels(doc: Outline, offsets: OffsetMap, question: Question) -> np.ndarray:
    """1 for each unit that lies mostly inside the gold span (or holds most of it)."""
    labels = np.zeros(len(doc.units), dtype=np.int8)
    gold_start, gold_end = question.gold.start, question.gold.end
    for i, unit in enumerate(doc.units):
        start, end = offsets.raw_span(unit.start, unit.end)
        overlap = min(end, gold_end) - max(start, gold_start)
        if overlap > 0 and (
            overlap >= 0.5 * (end - start) or overlap >= 0.5 * (gold_end - gold_start)
        ):
            labels[i] = 1
    return labels


def _sample_turns(
    container: Container,
    questions: Sequence[KbQuestion],
    answer_model: Path | None,
    *,
    removed: bool = False,
) -> list[Turn]:
    recorder = _open(container, answer_model)
    pipeline = container.pipeline
    turns = []
    for question in questions:
        recorder.last = None
        ctx, _ = converse(pipeline, [*question.history, question.question])
        # The answer itself: a note the assistant adds ("a person can help: call 311")
        # is neither part of the gold span nor a key fact.
        reply = strip_citations(ctx.answer.text) if ctx.answer is not None else ""
        composed = ctx.answer is not None or ctx.status is Status.ANSWERED
        cited = [c.doc_id for c in ctx.citations]
        right = bool(cited) and cited[0] in question.doc_ids
        units = None
        if question.answerable and not removed and recorder.last is not None:
            doc = recorder.last.outline
            if doc.doc_id in question.doc_ids:
                labels = np.array(
                    [
                        any(has_facts(doc.unit_text(i), [group]) for group in question.facts)
                        for i in range(len(doc.units))
                    ],
                    dtype=np.int8,
                )
                # A section holds the answer when its own text has every key fact (or,
                # where none has, the most of them).
                held = [
                    sum(
                        has_facts(" ".join(doc.unit_text(u) for u in r), [g])
                        for g in question.facts
                    )
                    for r in recorder.last.page.section_units
                ]
                units = _examples(recorder.last, labels, [h > 0 and h == max(held) for h in held])
        turns.append(
            Turn(
                source="sample-kb-removed" if removed else "sample-kb",
                split=question.split,
                answerable=question.answerable and not removed,
                style=question.style if question.answerable else question.kind,
                status=str(ctx.status),
                composed=composed,
                right_page=right and not removed,
                facts=right and not removed and has_facts(reply, question.facts),
                reply=reply,
                signals=dict(ctx.scores),
                words=len(answer_tokens(reply)) if composed else 0,
                units=units,
                section=ctx.answer.section if ctx.answer is not None else (),
                shape=ctx.answer.shape if ctx.answer is not None else "",
            )
        )
    return turns

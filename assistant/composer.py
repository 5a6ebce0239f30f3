"""The default composer: an extractive answer assembled from the source document's own
structure.

Nothing is generated: every sentence, list item and heading of an answer is quoted
verbatim from one retrieved document and cited to the passage it stands in, so the
output check can prove it. What the composer decides is *which unit answers*:

1. The document: the top retrieved one (right for ~94% of answerable questions on the
   bundled set; quoting a lower-ranked passage of another page was a common way to be
   wrong).
2. The unit: every sentence and list item of that document is scored against the
   question (its words, weighted by rarity; the headings it sits under; what kind of
   answer the question asks for; how its passage was ranked; where the previous answer
   stopped), by weights fitted on labelled questions (``eval/answer_model.py``).
3. The shape around that unit (``assistant.answer_shapes``): every fee line, the ways
   or steps, the section's list, or the sentence and the ones after it. A message that
   asks two things ("how much is it and when do I renew?") gets a part for each.

The answer's length is bounded by ``max_chars`` (lists) and ``prose_chars`` (running
text); ``ComposedAnswer.more`` says when the section holds more than fits.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.answer_shapes import Part, Shaped, first_unit, shape_answer
from assistant.answer_types import AnswerType, expected_types, gives, heading_suits, question_parts
from assistant.turns import Citation
from knowledge_base.documents import Chunk
from knowledge_base.embeddings import Embedder
from knowledge_base.index_store import IndexSnapshot
from knowledge_base.lexical_index import tokenize
from knowledge_base.outline import Outline, document_from_chunks, outline
from knowledge_base.retriever import RetrievalResult
from knowledge_base.terms import FILLER_WORDS, Rarity

__all__ = [
    "UNIT_FEATURES",
    "AnswerSentence",
    "ComposedAnswer",
    "Composer",
    "ExtractiveComposer",
    "UnitWeights",
]

_CITE_SNIPPET_CHARS = 240


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    """One quoted piece of an answer: a sentence, a list item, or a heading used as a label."""

    text: str
    chunk_id: str
    citation_n: int
    kind: str = "sentence"  # "sentence" | "lead" | "item" | "heading" | "way" (a heading)


@dataclass(frozen=True, slots=True)
class ComposedAnswer:
    text: str
    citations: list[Citation]
    sentences: list[AnswerSentence]
    # Set by the answerability stage: the estimated chance that this answer is right.
    confidence: float = 0.0
    # The answer's meaning: the normalised mean of the vectors of the passages it quotes.
    # Stored with the reply, it stands for the answer when the next question folds in the
    # conversation, so a follow-up need not embed the answer text.
    vector: np.ndarray | None = None
    vector_model: str | None = None  # the embedder whose space ``vector`` is in
    doc_id: str = ""
    section: tuple[str, ...] = ()  # heading path of the section answered from
    shape: str = "prose"  # "prose" | "list" | "fees"
    more: bool = False  # the section holds more than the answer shows
    # How well the answer fits the question (read by the answerability stage).
    signals: dict[str, float] = field(default_factory=dict)


class Composer(Protocol):
    """Turns retrieved passages into a short, cited answer."""

    def compose(
        self, *, question: str, retrieval: RetrievalResult, context: str = "", previous: str = ""
    ) -> ComposedAnswer | None: ...


UNIT_FEATURES = (
    "question_words",  # rarity-weighted share of the question's words in the unit
    "heading_words",  # ... in the headings the unit sits under (below the title)
    "local_words",  # share of the question's words in the unit and its headings, weighted
    # by how rare each word is *within this page* (the page's topic words count little)
    "intro_title",  # ... in the page title, for units of the page's opening (no heading)
    "context_words",  # ... of the conversation's words (follow-ups), in the unit
    "after_previous",  # 1 / distance after the last unit quoted in the previous answer (≤ 3)
    "in_previous",  # the previous answer quoted this unit already
    "passage_rank",  # 1 / (1 + rank) of the unit's passage among the retrieved ones
    "passage_cosine",  # the passage's cosine to the (contextual) question vector
    "gives_type",  # the unit looks like the kind of answer asked for
    "heading_type",  # the unit's heading is where that kind of answer usually is
    "help_section",  # a generic "Get help" section, for a question not asking for contact
    "length",  # characters, up to 300, over 300
    "section_lead",  # the first sentence of its section
    "list_item",  # a list item or the sentence introducing a list
)


@dataclass(frozen=True, slots=True)
class UnitWeights:
    """Linear weights over :data:`UNIT_FEATURES` (fitted by ``eval/answer_model.py``)."""

    weights: tuple[float, ...] = (
        2.0,
        1.0,
        0.5,
        0.6,
        0.0,
        0.0,
        1.0,
        1.0,
        0.4,
        0.4,
        -0.8,
        0.4,
        0.2,
        0.0,
    )

    def __post_init__(self) -> None:
        if len(self.weights) != len(UNIT_FEATURES):
            raise ValueError(f"expected {len(UNIT_FEATURES)} unit weights")

    @classmethod
    def from_mapping(cls, values: dict[str, float]) -> UnitWeights:
        return cls(tuple(float(values[name]) for name in UNIT_FEATURES))


@dataclass(slots=True)
class _Scored:
    """Every unit of the chosen document with its features and score."""

    outline: Outline
    chunks: list[Chunk]  # the document's passages, in order
    rows: list[int]  # their rows in the index version
    unit_chunk: list[int]  # unit -> index into ``chunks``
    features: np.ndarray  # units x features
    scores: np.ndarray


class ExtractiveComposer:
    """Answers from the top document's best section, in the shape the question asks for."""

    def __init__(
        self,
        *,
        embedder: Embedder,
        max_chars: int = 600,
        prose_chars: int = 320,
        weights: UnitWeights | None = None,
        outline_cache_size: int = 512,
    ) -> None:
        if max_chars < 80 or prose_chars < 80:
            raise ValueError("max_chars and prose_chars must leave room for a sentence")
        self.embedder = embedder
        self.max_chars = max_chars
        self.prose_chars = min(prose_chars, max_chars)
        self.weights = weights or UnitWeights()
        self._outlines: OrderedDict[tuple[str, str], tuple[Outline, list[Chunk], list[int]]] = (
            OrderedDict()
        )
        self._cache_size = outline_cache_size
        self._lock = threading.Lock()  # turns of different conversations run at once

    # ---- the answer ------------------------------------------------------------------
    def compose(
        self, *, question: str, retrieval: RetrievalResult, context: str = "", previous: str = ""
    ) -> ComposedAnswer | None:
        """The answer to ``question`` from ``retrieval``; ``context`` is the conversation
        text that gives a follow-up ("how much is it?") its topic, ``previous`` the
        assistant's previous answer (a follow-up often asks what comes next)."""
        snapshot = retrieval.snapshot
        if not retrieval.hits or snapshot is None:
            return None
        doc_id = retrieval.hits[0].chunk.doc_id
        asked = question_parts(question)
        share = len(asked)
        parts: list[Part] = []
        shapes: list[Shaped] = []
        first: _Scored | None = None
        for i, part in enumerate(asked):
            # A later part ("when do I renew it?") takes its topic from the first one.
            part_context = " ".join([context, asked[0]]) if i else context
            scored = self._score_units(part, part_context, previous, retrieval, snapshot, doc_id)
            if scored is None or not len(scored.scores):
                return None
            first = first or scored
            best = int(np.argmax(scored.scores))
            shaped = shape_answer(
                scored.outline,
                scored.scores,
                best,
                part,
                limit=self.max_chars // share,
                prose=self.prose_chars if share == 1 else self.max_chars // share,
            )
            shapes.append(shaped)
            parts.extend(p for p in shaped.parts if p not in parts)
        assert first is not None
        if not parts:
            return None
        best = int(np.argmax(first.scores))
        return self._assemble(
            first,
            parts,
            snapshot,
            shape=shapes[0].shape if share == 1 else "parts",
            more=any(s.more for s in shapes),
            best=best,
        )

    # ---- scoring -----------------------------------------------------------------------
    def _score_units(
        self,
        question: str,
        context: str,
        previous: str,
        retrieval: RetrievalResult,
        snapshot: IndexSnapshot,
        doc_id: str,
    ) -> _Scored | None:
        doc, chunks, rows = self._outline(snapshot, doc_id)
        if not doc.units:
            return None
        starts = [c.start for c in chunks]
        unit_chunk = [max(0, _bisect(starts, u.start)) for u in doc.units]
        hit_rank = {h.row: i for i, h in enumerate(retrieval.hits)}
        passage_cos = (
            np.asarray(snapshot.vectors[rows], dtype=np.float32) @ retrieval.query_vector
            if retrieval.query_vector is not None
            else np.zeros(len(rows), dtype=np.float32)
        )
        weight = Rarity(snapshot.term_document_frequency, len(snapshot))
        speller = snapshot.speller
        question_terms = frozenset(speller.correct(list(_terms(question))))
        context_terms = (
            frozenset(speller.correct(list(_terms(context)))) - question_terms
            if context
            else frozenset()
        )
        kinds = expected_types(question)
        asks_contact = AnswerType.CONTACT in kinds
        unit_terms = tokenize([doc.unit_text(i) for i in range(len(doc.units))])
        # The page's opening answers "how do I <what the page is about>?", not a question
        # after one detail of it (a fee, a date, a place).
        general = not kinds - {AnswerType.STEPS, AnswerType.PROBLEM, AnswerType.ELIGIBILITY}
        title_share = _share(question_terms, _terms(doc.sections[0].path[0]), weight) * general
        heading_terms = {
            i: _terms(" ".join(section.path[1:])) for i, section in enumerate(doc.sections)
        }
        in_context = [
            frozenset(unit_terms[i]) | heading_terms[doc.blocks[u.block].section]
            for i, u in enumerate(doc.units)
        ]
        local = _local_rarity(question_terms, in_context)
        features = np.zeros((len(doc.units), len(UNIT_FEATURES)), dtype=np.float32)
        after, quoted = _previous_position(doc, unit_terms, previous)
        first_of_section: set[int] = set()
        for section in doc.sections:
            first = first_unit(doc, section)
            if first is not None:
                first_of_section.add(first)
        for i, unit in enumerate(doc.units):
            text = doc.unit_text(i)
            block = doc.blocks[unit.block]
            section = doc.sections[block.section]
            words = frozenset(unit_terms[i])
            c = unit_chunk[i]
            rank = hit_rank.get(rows[c])
            headings = " ".join(section.path[1:])
            features[i] = (
                _share(question_terms, words, weight),
                _share(question_terms, heading_terms[block.section], weight),
                _local_share(question_terms, in_context[i], local),
                title_share if len(section.path) == 1 else 0.0,
                _share(context_terms, words, weight),
                1.0 / (i - after) if after is not None and 0 < i - after <= 3 else 0.0,
                float(i in quoted),
                1.0 / (1 + rank) if rank is not None else 0.0,
                float(passage_cos[c]),
                float(any(gives(k, text) for k in kinds)),
                float(any(heading_suits(k, headings) for k in kinds)),
                float(heading_suits(AnswerType.CONTACT, section.heading) and not asks_contact),
                min(len(text), 300) / 300,
                float(i in first_of_section),
                float(unit.kind != "sentence"),
            )
        scores = features @ np.asarray(self.weights.weights, dtype=np.float32)
        return _Scored(
            outline=doc,
            chunks=chunks,
            rows=rows,
            unit_chunk=unit_chunk,
            features=features,
            scores=scores,
        )

    def unit_features(
        self, *, question: str, retrieval: RetrievalResult, context: str = "", previous: str = ""
    ) -> tuple[Outline, list[Chunk], np.ndarray] | None:
        """The top document's outline, its passages, and each unit's features (for fitting)."""
        snapshot = retrieval.snapshot
        if not retrieval.hits or snapshot is None:
            return None
        scored = self._score_units(
            question, context, previous, retrieval, snapshot, retrieval.hits[0].chunk.doc_id
        )
        if scored is None:
            return None
        return scored.outline, scored.chunks, scored.features

    def _outline(
        self, snapshot: IndexSnapshot, doc_id: str
    ) -> tuple[Outline, list[Chunk], list[int]]:
        key = (snapshot.version, doc_id)
        with self._lock:
            cached = self._outlines.get(key)
            if cached is not None:
                self._outlines.move_to_end(key)
                return cached
        rows = sorted(snapshot.rows_by_doc[doc_id].tolist(), key=lambda r: snapshot.chunks[r].start)
        chunks = [snapshot.chunks[r] for r in rows]
        built = (outline(document_from_chunks(chunks)), chunks, rows)
        with self._lock:
            self._outlines[key] = built
            while len(self._outlines) > self._cache_size:
                self._outlines.popitem(last=False)
        return built

    # ---- citations -----------------------------------------------------------------------
    def _assemble(
        self,
        scored: _Scored,
        parts: Sequence[Part],
        snapshot: IndexSnapshot,
        *,
        shape: str,
        more: bool,
        best: int,
    ) -> ComposedAnswer:
        doc = scored.outline
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        sentences: list[AnswerSentence] = []
        quoted_rows: list[int] = []
        for part in parts:
            kind = part.kind
            if kind in ("heading", "way"):
                section = doc.sections[part.index]
                c = _bisect([ch.start for ch in scored.chunks], section.start)
                text = section.heading
            else:
                c = scored.unit_chunk[part.index]
                text = doc.unit_text(part.index)
                if kind == "cut":
                    text = _truncate(text, part.limit)
                    kind = "sentence"
            chunk = scored.chunks[max(c, 0)]
            if chunk.chunk_id not in numbers:
                numbers[chunk.chunk_id] = len(numbers) + 1
                quoted_rows.append(scored.rows[max(c, 0)])
                citations.append(
                    Citation(
                        n=numbers[chunk.chunk_id],
                        doc_id=chunk.doc_id,
                        title=chunk.title,
                        url=chunk.url,
                        section=chunk.section,
                        snippet=_truncate(chunk.text, _CITE_SNIPPET_CHARS),
                    )
                )
            sentences.append(
                AnswerSentence(
                    text=text,
                    chunk_id=chunk.chunk_id,
                    citation_n=numbers[chunk.chunk_id],
                    kind=kind,
                )
            )
        vectors = np.asarray(snapshot.vectors[quoted_rows], dtype=np.float32)
        mean = vectors.mean(axis=0)
        features = scored.features[best]
        return ComposedAnswer(
            text=render(sentences),
            citations=citations,
            sentences=sentences,
            vector=mean / max(float(np.linalg.norm(mean)), 1e-12),
            vector_model=self.embedder.name,
            doc_id=doc.doc_id,
            section=doc.section_of(best).path,
            shape=shape,
            more=more,
            signals={
                "unit_score": float(scored.scores[best]),
                **{
                    f"unit_{name}": float(v)
                    for name, v in zip(UNIT_FEATURES, features, strict=True)
                },
            },
        )


def render(sentences: Sequence[AnswerSentence]) -> str:
    """The answer text: running sentences, list items on their own lines ("- "), headings
    as labels ("Heading:"), each group followed by the number of the passage it is from."""
    lines: list[str] = []
    for i, sentence in enumerate(sentences):
        closing = i + 1 == len(sentences) or sentences[i + 1].citation_n != sentence.citation_n
        mark = f" [{sentence.citation_n}]" if closing else ""
        if sentence.kind == "way":
            lines.append(f"- {sentence.text}:")
        elif lines and lines[-1].startswith("- ") and lines[-1].endswith(":"):
            lines[-1] = f"{lines[-1]} {sentence.text}{mark}"  # the way's first sentence
        elif sentence.kind == "item":
            lines.append(f"- {sentence.text}{mark}")
        elif sentence.kind == "heading":
            lines.append(f"{sentence.text}:{mark}")
        elif (
            lines
            and not lines[-1].startswith("- ")
            and not lines[-1].endswith(":")
            and (sentence.kind != "lead")
        ):
            lines[-1] = f"{lines[-1]} {sentence.text}{mark}"
        else:
            lines.append(f"{sentence.text}{mark}")
    return "\n".join(lines)


# ---- helpers ---------------------------------------------------------------------------


def _local_rarity(terms: frozenset[str], units: list[frozenset[str]]) -> dict[str, float]:
    """Each term's rarity among the page's units: a word in every section ("license" on
    the licence page) says nothing about which section answers."""
    n = len(units)
    return {t: float(np.log((n + 1) / (sum(t in u for u in units) + 0.5))) for t in terms}


def _local_share(terms: frozenset[str], found: frozenset[str], weight: dict[str, float]) -> float:
    total = sum(weight[t] for t in terms)
    return sum(weight[t] for t in terms & found) / total if total > 0 else 0.0


def _previous_position(
    doc: Outline, unit_terms: list[list[str]], previous: str
) -> tuple[int | None, set[int]]:
    """Where the previous answer stopped in this page (its last unit), and the units it
    quoted. Our own answers quote units verbatim; a paraphrase (a person's reply, as in
    doc2dial) is placed at the unit sharing most of its words."""
    if not previous:
        return None, set()
    quoted = {i for i in range(len(doc.units)) if doc.unit_text(i) in previous}
    if quoted:
        return max(quoted), quoted
    said = set(tokenize([previous])[0])
    best, best_share = None, 0.5
    for i, terms in enumerate(unit_terms):
        if terms:
            share = len(said.intersection(terms)) / len(set(terms))
            if share > best_share:
                best, best_share = i, share
    return best, {best} if best is not None else set()


def _bisect(starts: list[int], position: int) -> int:
    """Index of the last passage starting at or before ``position``."""
    lo, hi = 0, len(starts)
    while lo < hi:
        mid = (lo + hi) // 2
        if starts[mid] <= position:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


def _terms(text: str) -> frozenset[str]:
    return frozenset(tokenize([text])[0]) - FILLER_WORDS


def _share(terms: frozenset[str], found: frozenset[str], weight: Rarity) -> float:
    return weight.share(terms, found)


def _truncate(text: str, limit: int) -> str:
    """Cut at a word and mark the cut with "…" (the quoted part stays verbatim)."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"

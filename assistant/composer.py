"""The default composer: an extractive answer built only from retrieved sentences.

Nothing is generated. The answer is the passage sentences that best match the question
(in its conversational context), quoted verbatim, each group followed by the number of
the source it came from, so the output check can prove every sentence is in a source.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.turns import Citation
from knowledge_base.embeddings import Embedder
from knowledge_base.index_store import IndexSnapshot, IndexStore
from knowledge_base.lexical_index import tokenize
from knowledge_base.retriever import RetrievalResult, ScoredChunk
from knowledge_base.sentences import PassageSentences, split_sentences
from knowledge_base.terms import content_terms

__all__ = [
    "ANSWER_TYPES",
    "ANSWER_TYPE_BONUS",
    "AnswerSentence",
    "ComposedAnswer",
    "Composer",
    "ExtractiveComposer",
    "expected_answer_types",
    "split_sentences",  # moved to knowledge_base.sentences (ingestion splits too)
]

# Answer types, as classic extractive QA uses them: what kind of thing the question asks
# for, and how a sentence that gives it looks.
_DAYS_MONTHS = (
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april"
    r"|may|june|july|august|september|october|november|december"
)
ANSWER_TYPES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (
        re.compile(r"\b(how much|cost|costs|fee|fees|price|charge|pay for|cuánto|costo)\b", re.I),
        re.compile(r"\$\s?\d|\b(free|no (charge|fee|cost)|costs? nothing|gratis)\b", re.I),
    ),
    (
        re.compile(
            r"\b(how long|when|what time|deadline|how soon|how many days|hours|open)\b", re.I
        ),
        re.compile(
            rf"\b\d+\s*(business |working )?(days?|weeks?|months?|years?|hours?|minutes?)\b"
            rf"|\b\d{{1,2}}(:\d{{2}})?\s*(a\.m\.|p\.m\.|am|pm)\b|\b({_DAYS_MONTHS})\b",
            re.I,
        ),
    ),
    (
        re.compile(r"\bwhere\b|\bdónde\b", re.I),
        re.compile(
            r"\b\d+ [A-Z][a-z]+ (Street|Avenue|Road|Parkway|Boulevard|Way|Plaza|Lane)\b"
            r"|\bonline at\b|\.example\b|\b(office|branch|city hall)\b",
            re.I,
        ),
    ),
)
ANSWER_TYPE_BONUS = 0.15


def expected_answer_types(question: str) -> list[re.Pattern[str]]:
    """The shapes a good answer sentence would have, for this question."""
    return [shape for asks, shape in ANSWER_TYPES if asks.search(question)]


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    text: str
    chunk_id: str
    citation_n: int


@dataclass(frozen=True, slots=True)
class ComposedAnswer:
    text: str
    citations: list[Citation]
    sentences: list[AnswerSentence]
    confidence: float
    # The answer's meaning: the normalised mean of its sentences' vectors. Stored with the
    # reply, it stands for the answer when the next question folds in the conversation, so
    # a follow-up need not embed the answer text (measured on doc2dial: the same recall).
    vector: np.ndarray | None = None
    # The embedder whose space ``vector`` is in (its name), stored with it.
    vector_model: str | None = None


class Composer(Protocol):
    """Turns retrieved passages into a short, cited answer."""

    def compose(
        self,
        *,
        question: str,
        retrieval: RetrievalResult,
        already_said: Sequence[str] = (),
        topic: str = "",
    ) -> ComposedAnswer | None: ...


@dataclass(frozen=True, slots=True)
class _Candidate:
    text: str
    hit_rank: int
    hit: ScoredChunk
    position: int


class ExtractiveComposer:
    """Picks the best supported sentences from the top passages, up to ``max_chars``.

    Confidence blends how close the answer is to the question in meaning (cosines of
    the best sentence and the best passage) with how much of the question's specific
    vocabulary the source document contains (IDF-weighted): a question about passports
    may sit near the driver's licence page in meaning, but "passport" is nowhere in it.

    Sentence vectors come from the index version the passages were retrieved from
    (embedded at ingestion), so a turn embeds only its question. Versions written before
    they were stored, or a passage no longer in the live version, fall back to embedding
    the sentences now, through a cache.
    """

    def __init__(
        self,
        *,
        embedder: Embedder,
        store: IndexStore | None = None,
        coverage_weight: float = 0.4,
        max_chars: int = 320,
        passages: int = 4,
        max_sentences: int = 3,
        sentence_cache_size: int = 50_000,
    ) -> None:
        if max_chars < 80:
            raise ValueError("max_chars must leave room for at least one sentence")
        if not 0 <= coverage_weight <= 1:
            raise ValueError("coverage_weight must be between 0 and 1")
        self.embedder = embedder
        self.store = store
        self.coverage_weight = coverage_weight
        self.max_chars = max_chars
        self.passages = passages
        self.max_sentences = max_sentences
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = sentence_cache_size
        self._cache_lock = threading.Lock()  # turns of different conversations run at once

    def compose(
        self,
        *,
        question: str,
        retrieval: RetrievalResult,
        already_said: Sequence[str] = (),
        topic: str = "",
    ) -> ComposedAnswer | None:
        """The answer; sentences found in ``already_said`` (earlier replies) are not repeated.

        ``topic`` is the text whose words the source should contain for confidence: the
        question itself, or for a follow-up like "how long does it take?" the question
        with the message it follows.
        """
        topic = topic or question
        hits = retrieval.hits[: self.passages]
        if not hits or retrieval.query_vector is None:
            return None
        snapshot = self.store.snapshot() if self.store is not None else None
        candidates: list[_Candidate] = []
        candidate_vectors: list[np.ndarray] = []  # vectors of candidates, by candidate index
        unstored: list[int] = []  # candidates whose passage has no stored sentences
        for rank, hit in enumerate(hits):
            stored = _stored_sentences(snapshot, retrieval, hit)
            texts = stored.texts if stored is not None else _answer_units(hit)
            for position, text in enumerate(texts):
                if any(text in earlier for earlier in already_said):
                    continue
                if stored is not None:
                    candidate_vectors.append(stored.vectors[position])
                else:
                    unstored.append(len(candidates))
                    candidate_vectors.append(np.empty(0, dtype=np.float32))
                candidates.append(_Candidate(text=text, hit_rank=rank, hit=hit, position=position))
        if not candidates:
            return None
        if unstored:
            embedded = self._sentence_vectors([candidates[i].text for i in unstored])
            for i, vector in zip(unstored, embedded, strict=True):
                candidate_vectors[i] = vector
        vectors = np.stack(candidate_vectors)
        # Retrieval already read the conversation; a sentence must also answer the question.
        question_vector = self.embedder.embed_query(question)
        cosines = 0.5 * (vectors @ retrieval.query_vector) + 0.5 * (vectors @ question_vector)
        question_tokens, *candidate_words = tokenize([question, *(c.text for c in candidates)])
        question_terms = set(question_tokens)
        shapes = expected_answer_types(question)
        scores = np.array(
            [
                _score(c, float(cos), question_terms, set(words), len(hits))
                + (ANSWER_TYPE_BONUS if any(p.search(c.text) for p in shapes) else 0.0)
                for c, cos, words in zip(candidates, cosines, candidate_words, strict=True)
            ]
        )
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        chosen: list[int] = []
        length = 0
        source_doc = candidates[order[0]].hit.chunk.doc_id
        for i in order[: 6 * self.max_sentences]:
            if len(chosen) >= self.max_sentences or scores[i] < best - 0.12:
                break
            if candidates[i].hit.chunk.doc_id != source_doc:
                continue  # one answer, one source document: no stitched-together claims
            extra = len(candidates[i].text) + 6
            if length + extra > self.max_chars:
                if chosen or any(
                    len(candidates[j].text) + 6 <= self.max_chars
                    and scores[j] >= best - 0.05
                    and candidates[j].hit.chunk.doc_id == source_doc
                    for j in order[:8]
                ):
                    continue  # a unit that fits whole, nearly as good, reads better than a cut
                # The best sentence alone is too long: cut it at a word, keep it verbatim.
                return self._assemble(
                    [(candidates[i], _truncate(candidates[i].text, self.max_chars - 6))],
                    vectors=vectors[[i]],
                    cosine=float(cosines[i]),
                    top=hits[0],
                    coverage=self._coverage(snapshot, topic, source_doc),
                )
            chosen.append(int(i))
            length += extra
        picked = sorted(chosen, key=lambda i: (candidates[i].hit_rank, candidates[i].position))
        return self._assemble(
            [(candidates[i], candidates[i].text) for i in picked],
            vectors=vectors[picked],
            cosine=float(cosines[order[0]]),
            top=hits[0],
            coverage=self._coverage(snapshot, topic, source_doc),
        )

    def _coverage(self, snapshot: IndexSnapshot | None, question: str, doc_id: str) -> float:
        """IDF-weighted share of the question's content terms found in the source document."""
        terms = content_terms(question)
        if snapshot is None or not terms:
            return 1.0
        frequency = snapshot.term_document_frequency
        passages = len(snapshot)
        weights = {t: math.log((passages + 1) / (frequency.get(t, 0) + 0.5)) for t in terms}
        found = snapshot.document_terms(doc_id)
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in found) / total if total > 0 else 1.0

    def _assemble(
        self,
        parts: Sequence[tuple[_Candidate, str]],
        *,
        vectors: np.ndarray,
        cosine: float,
        top: ScoredChunk,
        coverage: float,
    ) -> ComposedAnswer:
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        sentences: list[AnswerSentence] = []
        text_parts: list[str] = []
        for candidate, text in parts:
            chunk = candidate.hit.chunk
            if chunk.chunk_id not in numbers:
                numbers[chunk.chunk_id] = len(numbers) + 1
                citations.append(
                    Citation(
                        n=numbers[chunk.chunk_id],
                        doc_id=chunk.doc_id,
                        title=chunk.title,
                        url=chunk.url,
                        section=chunk.section,
                        snippet=_truncate(chunk.text, 240),
                    )
                )
            n = numbers[chunk.chunk_id]
            sentences.append(AnswerSentence(text=text, chunk_id=chunk.chunk_id, citation_n=n))
        for i, sentence in enumerate(sentences):
            closing = i + 1 == len(sentences) or sentences[i + 1].citation_n != sentence.citation_n
            text_parts.append(sentence.text + (f" [{sentence.citation_n}]" if closing else ""))
        meaning = 0.5 * cosine + 0.5 * top.cosine
        w = self.coverage_weight
        confidence = float(np.clip((1 - w) * meaning + w * coverage, 0.0, 1.0))
        mean = vectors.astype(np.float32).mean(axis=0)
        return ComposedAnswer(
            text=" ".join(text_parts),
            citations=citations,
            sentences=sentences,
            confidence=confidence,
            vector=mean / max(float(np.linalg.norm(mean)), 1e-12),
            # Sentence vectors come from the live index version or from this embedder;
            # both are this model's (a version built by another is rebuilt at start).
            vector_model=self.embedder.name,
        )

    def _sentence_vectors(self, texts: list[str]) -> np.ndarray:
        """Query-time vectors of sentences the index version has none for (cached)."""
        with self._cache_lock:
            found = {t: self._cache[t] for t in dict.fromkeys(texts) if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            embedded = self.embedder.embed_documents(missing)
            found.update(zip(missing, embedded, strict=True))
            with self._cache_lock:
                self._cache.update(zip(missing, embedded, strict=True))
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts])


def _answer_units(hit: ScoredChunk) -> list[str]:
    """The passage's sentences, split now (headings answer nothing)."""
    headings = (hit.chunk.title, *hit.chunk.section_path)
    return [s for s in split_sentences(hit.chunk.text) if s not in headings]


def _stored_sentences(
    snapshot: IndexSnapshot | None, retrieval: RetrievalResult, hit: ScoredChunk
) -> PassageSentences | None:
    """The passage's sentences and vectors as ingestion stored them, if this is the
    version the passage was retrieved from and it has them."""
    if snapshot is None or snapshot.sentences is None or snapshot.version != retrieval.version:
        return None
    if not 0 <= hit.row < len(snapshot) or snapshot.chunks[hit.row].chunk_id != hit.chunk.chunk_id:
        return None
    return snapshot.sentences.passage(hit.row, hit.chunk.text)


def _score(
    candidate: _Candidate, cosine: float, terms: set[str], words: set[str], hits: int
) -> float:
    overlap = len(terms & words) / len(terms) if terms else 0.0
    prior = 0.2 * (1 - candidate.hit_rank / max(hits, 1))
    text = candidate.text
    short_heading = len(text) < 40 and not text.rstrip().endswith((".", "?"))
    fragment = not text[:1].isupper() and not text[:1].isdigit() and text[:1] not in '$¿¡"('
    dangling = text.endswith(":")
    penalty = 0.3 * short_heading + 0.3 * fragment + 0.3 * dangling
    return cosine + 0.2 * overlap + prior - penalty


def _truncate(text: str, limit: int) -> str:
    """Cut at a list item if one ends in time, else at a word; mark the cut with "…"."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    lines = head.rsplit("\n", 1)
    if len(lines) == 2 and len(lines[0]) > limit // 2:
        return lines[0].rstrip() + "\n…"
    return head.rsplit(" ", 1)[0] + "…"

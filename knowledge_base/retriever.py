"""Hybrid retrieval: dense and BM25 rankings fused with weighted reciprocal ranks.

A follow-up ("how much does it cost?") means little alone, so the citizen's recent
messages are folded in: into the dense query vector (recency-weighted) and as a
second BM25 ranking over question-plus-history. Weights are settings, tuned with
``citizen-assistant eval retrieval``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from knowledge_base.documents import Chunk
from knowledge_base.embeddings import Embedder
from knowledge_base.index_store import IndexSnapshot, IndexStore
from knowledge_base.lexical_index import reading, tokenize
from knowledge_base.terms import FUNCTION_WORDS, content_terms


@dataclass(frozen=True, slots=True)
class RetrievalQuery:
    """The latest message, the citizen's earlier messages (oldest first), and filters."""

    text: str
    history: Sequence[str] = ()
    filters: dict[str, str | list[str]] | None = None
    focus_docs: Sequence[str] = ()  # documents the conversation was last answered from
    # The citizen's language: "es" searches the Spanish pages with the Spanish stemmer
    # (see ``HybridRetriever.retrieve_from``); "en" is the search it always was.
    language: str = "en"
    # Known vectors of the ``history`` entries, one per entry (None: embed the text).
    history_vectors: Sequence[np.ndarray | None] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    chunk: Chunk
    score: float
    cosine: float
    row: int
    # Where the passage stood in the dense ranking of the question alone and in the
    # lexical (BM25) ranking of the question alone (0 = first; None = not among the
    # candidates): whether the two agree is a sign of an answer worth giving.
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass(slots=True)
class RetrievalResult:
    hits: list[ScoredChunk]
    version: str | None
    query_vector: np.ndarray | None = None
    query_tokens: list[str] = field(default_factory=list)
    hit_vectors: np.ndarray | None = None  # one row per hit, for scoring the question alone
    # The index version the hits come from: the composer reads the rest of a hit's
    # document from it, and the output check proves quotes against it.
    snapshot: IndexSnapshot | None = field(default=None, compare=False, repr=False)
    question_vector: np.ndarray | None = None  # the question alone, without its context


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """How much each ranking counts; see the settings of the same names."""

    dense: float = 1.0
    lexical: float = 1.0
    history: float = 0.8
    # A question that names its own topic ("how do I get a birth certificate?") needs the
    # conversation less than "how much does it cost?": this weight applies from
    # ``standalone_terms`` content words up.
    standalone_history: float = 0.6
    # Share of the dense weight given to the question alone (scaled by 1 - history weight).
    dense_question: float = 1.0
    standalone_terms: int = 2
    focus: float = 0.5
    history_turns: int = 12
    rrf_k: int = 20
    candidates: int = 50
    # The dense ranking's weight for a Spanish question: the default embedding model is
    # English-only, so its say is measured on the Spanish question set, not assumed.
    spanish_dense: float = 0.0

    def __post_init__(self) -> None:
        if min(self.dense, self.lexical, self.history, self.focus, self.spanish_dense) < 0:
            raise ValueError("fusion weights cannot be negative")
        if self.rrf_k < 1 or self.candidates < 1:
            raise ValueError("rrf_k and candidates must be positive")


class HybridRetriever:
    """Dense + lexical retrieval over the live index version."""

    def __init__(
        self,
        *,
        store: IndexStore,
        embedder: Embedder,
        top_k: int = 8,
        weights: FusionWeights | None = None,
    ) -> None:
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        self.store = store
        self.embedder = embedder
        self.top_k = top_k
        self.weights = weights or FusionWeights()

    def retrieve(self, query: RetrievalQuery, *, k: int | None = None) -> RetrievalResult:
        snapshot = self.store.snapshot()
        if snapshot is None or len(snapshot) == 0:
            return RetrievalResult(hits=[], version=None)
        return self.retrieve_from(snapshot, query, k=k)

    def history_weight(
        self,
        query: RetrievalQuery,
        snapshot: IndexSnapshot | None = None,
        *,
        names_another_page: bool = False,
    ) -> float:
        """How much the conversation counts for this question (see ``FusionWeights``).

        A question with topic words of its own that the page the conversation is on does
        not contain ("how do I get a birth certificate?" while talking about licence
        renewal) changes the subject: the history then counts less. So does one that,
        asked alone, clearly points at another page (``names_another_page``): "what
        documents do I need for a REAL ID?" after the licence renewal page, which only
        mentions REAL ID.
        """
        w = self.weights
        terms = content_terms(query.text)
        if len(terms) < w.standalone_terms:
            return w.history
        if names_another_page:
            return min(w.history, w.standalone_history)
        if snapshot is not None and query.focus_docs:
            page = snapshot.document_terms(query.focus_docs[0])
            if len(terms & page) / len(terms) >= 0.5:
                return w.history
        return min(w.history, w.standalone_history)

    def query_vector(
        self,
        query: RetrievalQuery,
        snapshot: IndexSnapshot | None = None,
        *,
        weight: float | None = None,
    ) -> np.ndarray:
        """The question's vector, nudged towards the recent conversation (by ``weight``,
        else :meth:`history_weight`)."""
        w = self.weights
        if weight is None:
            weight = self.history_weight(query, snapshot)
        vector = self.embedder.embed_query(query.text).astype(np.float32)
        history = list(query.history)[-w.history_turns :] if w.history_turns else []
        if history and weight > 0:
            given_vectors = list(query.history_vectors)[-len(history) :]
            known: list[np.ndarray | None] = [None] * (len(history) - len(given_vectors))
            known += given_vectors
            context = np.zeros_like(vector)
            for age, (text, given) in enumerate(
                zip(reversed(history), reversed(known), strict=True)
            ):
                if given is None or given.shape != vector.shape:
                    given = self.embedder.embed_query(text)
                context += given / (age + 1)
            norm = float(np.linalg.norm(context))
            if norm > 0:
                vector = vector + weight * context / norm
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    def retrieve_from(
        self, snapshot: IndexSnapshot, query: RetrievalQuery, *, k: int | None = None
    ) -> RetrievalResult:
        if query.language == "es":
            return self._retrieve_spanish(snapshot, query, k=k or self.top_k)
        w = self.weights
        k = k or self.top_k
        allowed = snapshot.mask(query.filters)
        fused: dict[int, float] = {}
        # Spanish pages answer Spanish questions (``_retrieve_spanish``); an English question
        # drops them from each ranking, after the search, rather than through a filter in
        # it: a filter of every row would slow every English search (FAISS's ID selector
        # at 100k rows). Dropped before ranks are counted, so the English pages rank as if
        # no Spanish page were there.
        spanish = snapshot.language_mask("es")
        some_spanish = bool(spanish.any())

        def english(found: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
            rows = found[0]
            return rows[~spanish[rows]] if some_spanish and len(rows) else rows

        def add(rows: np.ndarray, weight: float) -> None:
            if weight <= 0:
                return
            for rank, row in enumerate(rows.tolist()):
                fused[row] = fused.get(row, 0.0) + weight / (w.rrf_k + rank + 1)

        question_tokens = snapshot.speller.correct(tokenize([query.text])[0])
        history = list(query.history)[-w.history_turns :] if w.history_turns else []
        # The question alone, in both rankings: what it would find without the conversation.
        alone = self.embedder.embed_query(query.text).astype(np.float32)
        alone_rows = english(snapshot.vector_index.search(alone, w.candidates, allowed=allowed))
        lexical_rows = english(
            snapshot.lexical_index.search(question_tokens, w.candidates, allowed=allowed)
        )
        elsewhere = len(content_terms(query.text)) >= w.standalone_terms and _names_another_page(
            snapshot, query, question_tokens, alone_rows, lexical_rows
        )
        history_weight = self.history_weight(query, snapshot, names_another_page=elsewhere)
        vector = self.query_vector(query, snapshot, weight=history_weight)
        dense_rows = alone_rows
        if history and history_weight > 0:
            dense_rows = english(
                snapshot.vector_index.search(vector, w.candidates, allowed=allowed)
            )
        if history and history_weight > 0 and w.dense_question > 0:
            # The question alone gets its own dense ranking, so a change of topic is heard.
            add(alone_rows, w.dense * w.dense_question * (1 - history_weight))
            add(dense_rows, w.dense * (1 - w.dense_question * (1 - history_weight)))
        else:
            add(dense_rows, w.dense)
        if history and history_weight > 0:
            context_tokens = snapshot.speller.correct(
                tokenize([" ".join([*history, query.text])])[0]
            )
            rows = english(
                snapshot.lexical_index.search(context_tokens, w.candidates, allowed=allowed)
            )
            add(rows, w.lexical * history_weight)
            lexical_weight = w.lexical * (1 - history_weight)
        else:
            lexical_weight = w.lexical
        add(lexical_rows, lexical_weight)
        if query.focus_docs and w.focus > 0 and not elsewhere:
            # A follow-up usually stays on the page the last answer came from.
            focus = snapshot.mask({"doc_id": list(query.focus_docs)})
            if focus is not None and allowed is not None:
                focus &= allowed
            rows = english(snapshot.vector_index.search(vector, w.candidates, allowed=focus))
            add(rows, w.focus)

        best = sorted(fused.items(), key=lambda item: item[1], reverse=True)[:k]
        return _result(
            snapshot,
            best,
            vector=vector,
            alone=alone,
            dense_rows=alone_rows,
            lexical_rows=lexical_rows,
            tokens=question_tokens,
        )

    def _retrieve_spanish(
        self, snapshot: IndexSnapshot, query: RetrievalQuery, *, k: int
    ) -> RetrievalResult:
        """A Spanish question, over the Spanish pages only: BM25 with the Spanish stemmer
        (the question alone, and with the conversation), the page the conversation is on,
        and the dense ranking at ``spanish_dense``. No Spanish page at all: no hits (the
        turn then says so, or falls back to English pages; ``assistant.stages.Retrieve``)."""
        w = self.weights
        rows_es = snapshot.language_rows("es")
        if not len(rows_es):
            return RetrievalResult(hits=[], version=snapshot.version, snapshot=snapshot)
        allowed = snapshot.language_mask("es")
        filtered = snapshot.mask(query.filters)
        if filtered is not None:
            allowed = allowed & filtered
        local_allowed = allowed[rows_es]
        lexical = snapshot.spanish_lexical_index
        fused: dict[int, float] = {}

        def add(rows: np.ndarray, weight: float) -> None:
            if weight <= 0:
                return
            for rank, row in enumerate(rows.tolist()):
                fused[row] = fused.get(row, 0.0) + weight / (w.rrf_k + rank + 1)

        def search(tokens: list[str], mask: np.ndarray) -> np.ndarray:
            local, _ = lexical.search(tokens, w.candidates, allowed=mask)
            return rows_es[local]

        with reading("es"):
            question_tokens = snapshot.speller.correct(tokenize([query.text])[0])
            terms = content_terms(query.text)
            history = list(query.history)[-w.history_turns :] if w.history_turns else []
            context_tokens = (
                snapshot.speller.correct(tokenize([" ".join([*history, query.text])])[0])
                if history
                else []
            )
        history_weight = (
            (w.history if len(terms) < w.standalone_terms else w.standalone_history)
            if history
            else 0.0
        )
        lexical_rows = search(question_tokens, local_allowed)
        add(lexical_rows, w.lexical * (1 - history_weight))
        if history_weight > 0:
            add(search(context_tokens, local_allowed), w.lexical * history_weight)
        alone = self.embedder.embed_query(query.text).astype(np.float32)
        alone_rows, _ = snapshot.vector_index.search(alone, w.candidates, allowed=allowed)
        add(alone_rows, w.spanish_dense)
        if query.focus_docs and w.focus > 0 and history:
            focus = snapshot.mask({"doc_id": list(query.focus_docs)})
            if focus is not None:
                add(search(context_tokens, (focus & allowed)[rows_es]), w.focus)

        # Scores on the English fusion's scale: the weight the dense ranking has in an
        # English search is carried here by the lexical rankings, so a Spanish top hit
        # reads to the answerability model as an English one does (rankings unchanged).
        scale = (w.dense + w.lexical) / (w.spanish_dense + w.lexical)
        best = [
            (row, score * scale)
            for row, score in sorted(fused.items(), key=lambda item: item[1], reverse=True)[:k]
        ]
        if not best:  # no Spanish passage shares a word with the question
            return RetrievalResult(hits=[], version=snapshot.version, snapshot=snapshot)
        return _result(
            snapshot,
            best,
            vector=alone,
            alone=alone,
            dense_rows=alone_rows,
            lexical_rows=lexical_rows,
            tokens=question_tokens,
        )


def _result(
    snapshot: IndexSnapshot,
    best: list[tuple[int, float]],
    *,
    vector: np.ndarray,
    alone: np.ndarray,
    dense_rows: np.ndarray,
    lexical_rows: np.ndarray,
    tokens: list[str],
) -> RetrievalResult:
    """The fused top rows as hits: each with its cosine to ``vector`` (the query as
    searched) and where it stood in the dense and lexical rankings of the question alone."""
    # Shaped by the index's width: with no rows (every candidate filtered out) a -1 has
    # nothing to infer from.
    hit_vectors = np.asarray(snapshot.vectors[[row for row, _ in best]], dtype=np.float32).reshape(
        len(best), snapshot.vectors.shape[1]
    )
    cosines = hit_vectors @ vector if best else np.empty(0)
    dense_rank = {row: rank for rank, row in enumerate(dense_rows.tolist())}
    lexical_rank = {row: rank for rank, row in enumerate(lexical_rows.tolist())}
    hits = [
        ScoredChunk(
            chunk=snapshot.chunks[row],
            score=score,
            cosine=float(cos),
            row=row,
            dense_rank=dense_rank.get(row),
            lexical_rank=lexical_rank.get(row),
        )
        for (row, score), cos in zip(best, cosines, strict=True)
    ]
    return RetrievalResult(
        hits=hits,
        version=snapshot.version,
        query_vector=vector,
        query_tokens=tokens,
        hit_vectors=hit_vectors,
        snapshot=snapshot,
        question_vector=alone,
    )


def _names_another_page(
    snapshot: IndexSnapshot,
    query: RetrievalQuery,
    question_tokens: list[str],
    dense_rows: np.ndarray,
    lexical_rows: np.ndarray,
) -> bool:
    """Whether the question, asked alone, is about another page than the one the
    conversation is on: both rankings put that page first, and the question names what
    its title names (the title's rarest word: "pothole" for "Report a pothole", "real"
    or "id" for "Get a REAL ID"). Both are needed: on doc2dial, whose dialogues never
    leave their page, either alone would move questions off the right page."""
    if not query.focus_docs or not len(dense_rows) or not len(lexical_rows):
        return False
    top = snapshot.chunks[int(dense_rows[0])]
    if top.doc_id != snapshot.chunks[int(lexical_rows[0])].doc_id or top.doc_id in query.focus_docs:
        return False
    title = [t for t in tokenize([top.title])[0] if t not in FUNCTION_WORDS]
    if not title:
        return False
    frequency = snapshot.term_document_frequency
    least = min(frequency.get(t, 0) for t in title)
    rarest = {t for t in title if frequency.get(t, 0) == least}
    return bool(rarest & set(question_tokens))

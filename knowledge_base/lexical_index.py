"""The lexical index: BM25 (bm25s, sparse matrices) over stemmed, stop-worded tokens."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_SPANISH

# bm25s.tokenize's own rules (its default token pattern, its English stop words, then
# the stemmer), applied without its per-call vocabulary and progress-bar set-up: the
# same tokens (tests/knowledge_base/test_lexical_tokens.py), ~15x cheaper for the few
# short texts a turn tokenises.
_WORDS = re.compile(r"(?u)\b\w\w+\b")
_STOPWORDS = frozenset(STOPWORDS_EN)
_ACCENTS = re.compile(r"[\u0300-\u036f]")


def _unaccented(text: str) -> str:
    """ "solicitud de inscripción" -> "solicitud de inscripcion": citizens texting from a
    phone often leave accents out, and pages keep them; both sides drop them."""
    return _ACCENTS.sub("", unicodedata.normalize("NFKD", text))


#: The languages with a lexical index of their own (besides English, the main index).
SPANISH_STOPWORDS = frozenset(_unaccented(w) for w in STOPWORDS_SPANISH)


_local = threading.local()

# The language the text being read is in. A Spanish turn reads its question and its
# (Spanish) pages with the Spanish stemmer and stop words, everywhere tokens are made
# (retrieval, the composer, the answerability signals), without passing a language
# through every call; an English turn never sets it and runs exactly as before.
_READING: ContextVar[str] = ContextVar("reading", default="en")


@contextmanager
def reading(language: str) -> Iterator[None]:
    """Tokens made inside this block are made for ``language`` ("en" or "es")."""
    token = _READING.set(language)
    try:
        yield
    finally:
        _READING.reset(token)


def reading_language() -> str:
    return _READING.get()


def _stemmer() -> Stemmer.Stemmer:
    """This thread's English stemmer (PyStemmer's stemmers are not thread-safe)."""
    stemmer: Stemmer.Stemmer | None = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def _spanish_stemmer() -> Stemmer.Stemmer:
    stemmer: Stemmer.Stemmer | None = getattr(_local, "spanish_stemmer", None)
    if stemmer is None:
        stemmer = _local.spanish_stemmer = Stemmer.Stemmer("spanish")
    return stemmer


def tokenize_spanish(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, unaccented, Spanish-stemmed word tokens without Spanish stop words."""
    stem_words = _spanish_stemmer().stemWords
    return [
        stem_words(
            [w for w in _WORDS.findall(_unaccented(text.lower())) if w not in SPANISH_STOPWORDS]
        )
        for text in texts
    ]


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stemmed word tokens without stop words, in the language being read
    (English unless inside ``reading("es")``)."""
    if _READING.get() == "es":
        return tokenize_spanish(texts)
    return tokenize_english(texts)


def tokenize_english(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, English-stemmed word tokens without stop words."""
    stem_words = _stemmer().stemWords
    return [
        stem_words([w for w in _WORDS.findall(text.lower()) if w not in _STOPWORDS])
        for text in texts
    ]


class LexicalIndex:
    """BM25 over the passages of one index version, in row order."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self._size = size

    @classmethod
    def build_spanish(cls, texts: Sequence[str]) -> LexicalIndex:
        """An index of Spanish passages (kept in memory; built when first asked for)."""
        retriever = bm25s.BM25()
        if texts:
            retriever.index(tokenize_spanish(texts), show_progress=False)
        return cls(retriever, len(texts))

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        retriever = bm25s.BM25()
        if texts:
            corpus_tokens = bm25s.tokenize(
                list(texts), stopwords="en", stemmer=_stemmer(), show_progress=False
            )
            retriever.index(corpus_tokens, show_progress=False)
        return cls(retriever, len(texts))

    @classmethod
    def load(cls, path: Path, size: int) -> LexicalIndex:
        if size == 0:
            return cls(bm25s.BM25(), 0)
        retriever = bm25s.BM25.load(str(path), mmap=False, show_progress=False, verbosity=0)
        return cls(retriever, size)

    def save(self, path: Path) -> None:
        if self._size:
            self._retriever.save(str(path), show_progress=False)

    def __len__(self) -> int:
        return self._size

    def search(
        self, tokens: list[str], k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` rows with a positive BM25 score: ``(rows, scores)``, best first.

        Scores every passage with one sparse sum (``get_scores``) and picks the top ``k``
        with ``argpartition``: about 20x faster than ``BM25.retrieve``, whose per-call
        overhead dominates at these sizes. Ties are broken by row, so results are stable.
        """
        if not self._size or not tokens or k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        known = self._retriever.get_tokens_ids(list(tokens))
        if not known:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        scores = np.asarray(self._retriever.get_scores_from_ids(known), dtype=np.float32)
        if allowed is not None:
            scores = np.where(allowed, scores, np.float32(0))
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        order = np.lexsort((candidates, -scores[candidates]))
        rows = candidates[order].astype(np.int64)
        return rows, scores[rows]

"""Answer sentences of a passage, split and embedded once, at ingestion.

The extractive composer answers with whole sentences quoted from the retrieved
passages and scores each against the question by cosine. Embedding those sentences
while a citizen waits was most of a turn, so every passage's sentences are embedded
when it is ingested and stored with the index version: a turn then embeds only its
question.

A :class:`SentenceTable` holds, for passage row ``r``, the sentences
``offsets[r]:offsets[r + 1]``: each one's ``[start, end)`` span in the passage text and
the row of its vector. A sentence that occurs in many passages (boilerplate, shared
sections) is embedded and stored once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge_base.documents import Chunk

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9¿¡$])")
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")

# Bump when `split_sentences` or `answer_spans` changes what a sentence is: stored
# tables of another format are then ignored (turns embed at query time) until the next
# ingest stores new ones. Passage vectors are not affected.
SENTENCE_FORMAT = 1
# Vectors are stored as float16: half the disk and page cache, and cosines move by
# less than 1e-4 (the int8 embedding model itself moves them by about 1e-2).
STORED_DTYPE = np.float16

_FILES = (
    "sentences.json",
    "sentences.npy",
    "sentence_offsets.npy",
    "sentence_spans.npy",
    "sentence_vector_rows.npy",
)


def split_sentences(text: str) -> list[str]:
    """Answer units of a passage, each a verbatim slice of it.

    A unit is a sentence, or a sentence that introduces a list ("You need:") together
    with the list items under it, since neither half reads well alone. Bare list items
    are units of their own, without their marker.
    """
    units: list[str] = []
    lines = [line.strip() for line in text.splitlines()]
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if _LIST_MARK.match(line):
            units.append(_LIST_MARK.sub("", line))
            continue
        sentences = [p.strip() for p in _SENTENCE_END.split(line) if p and p.strip()]
        if sentences and sentences[-1].endswith(":"):
            items: list[str] = []
            while i < len(lines) and (not lines[i] or _LIST_MARK.match(lines[i])):
                if lines[i]:
                    items.append(lines[i])
                i += 1
            if items:
                units.extend(sentences[:-1])
                first, last = sentences[-1], items[-1]
                begin = text.find(first)
                end = text.find(last, begin) + len(last)
                units.append(text[begin:end] if begin >= 0 and end > begin else first)
                continue
        units.extend(sentences)
    return units


def answer_spans(chunk: Chunk) -> list[tuple[int, int]]:
    """``[start, end)`` in ``chunk.text`` of each unit that can answer, in passage order.

    Headings (the title or a section name standing as a line of its own) answer
    nothing and are left out.
    """
    headings = (chunk.title, *chunk.section_path)
    text = chunk.text
    spans: list[tuple[int, int]] = []
    cursor = 0
    for unit in split_sentences(text):
        if unit in headings:
            continue
        begin = text.find(unit, cursor)
        if begin < 0:  # a list unit may start before the cursor: any occurrence is verbatim
            begin = text.find(unit)
        if begin < 0:  # pragma: no cover - every unit is a slice of the passage
            continue
        spans.append((begin, begin + len(unit)))
        cursor = begin + len(unit)
    return spans


@dataclass(frozen=True, slots=True)
class PassageSentences:
    """The answer sentences of one passage and their vectors (float32, L2-normalised)."""

    texts: list[str]
    vectors: np.ndarray


class SentenceTable:
    """Answer sentences and their vectors for every passage row of one index version."""

    def __init__(
        self,
        *,
        offsets: np.ndarray,
        spans: np.ndarray,
        vector_rows: np.ndarray,
        vectors: np.ndarray,
    ) -> None:
        if offsets.ndim != 1 or len(offsets) < 1 or int(offsets[0]) != 0:
            raise ValueError("sentence offsets must start at 0")
        if int(offsets[-1]) != len(spans) or len(spans) != len(vector_rows):
            raise ValueError("sentence offsets, spans and vector rows disagree in size")
        if vectors.ndim != 2:
            raise ValueError("sentence vectors must be a 2-D array")
        if len(vector_rows) and not 0 <= int(vector_rows.min()) <= int(vector_rows.max()) < len(
            vectors
        ):
            raise ValueError("a sentence points at a vector that is not stored")
        self.offsets = offsets
        self.spans = spans
        self.vector_rows = vector_rows
        self.vectors = vectors

    @property
    def passages(self) -> int:
        return len(self.offsets) - 1

    @property
    def dimension(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        """Sentences over all passages (a sentence in two passages counts twice)."""
        return len(self.spans)

    def spans_of(self, row: int) -> np.ndarray:
        return np.asarray(self.spans[int(self.offsets[row]) : int(self.offsets[row + 1])])

    def vector_rows_of(self, row: int) -> np.ndarray:
        return np.asarray(self.vector_rows[int(self.offsets[row]) : int(self.offsets[row + 1])])

    def passage(self, row: int, text: str) -> PassageSentences:
        """Sentences of passage ``row``, whose text is ``text``."""
        return PassageSentences(
            texts=[text[start:end] for start, end in self.spans_of(row).tolist()],
            vectors=np.asarray(self.vectors[self.vector_rows_of(row)], dtype=np.float32),
        )

    @classmethod
    def empty(cls, dimension: int) -> SentenceTable:
        return cls(
            offsets=np.zeros(1, dtype=np.int64),
            spans=np.zeros((0, 2), dtype=np.int32),
            vector_rows=np.zeros(0, dtype=np.int32),
            vectors=np.zeros((0, dimension), dtype=STORED_DTYPE),
        )

    # ---- on disk, inside an index version folder ----------------------------------
    def write(self, path: Path) -> None:
        np.save(path / "sentences.npy", np.ascontiguousarray(self.vectors, dtype=STORED_DTYPE))
        np.save(path / "sentence_offsets.npy", np.asarray(self.offsets, dtype=np.int64))
        np.save(path / "sentence_spans.npy", np.asarray(self.spans, dtype=np.int32))
        np.save(path / "sentence_vector_rows.npy", np.asarray(self.vector_rows, dtype=np.int32))
        meta = {
            "format": SENTENCE_FORMAT,
            "passages": self.passages,
            "sentences": len(self),
            "vectors": len(self.vectors),
            "dtype": np.dtype(STORED_DTYPE).name,
        }
        (path / "sentences.json").write_text(json.dumps(meta), "utf-8")

    @classmethod
    def load(cls, path: Path, *, passages: int, dimension: int) -> SentenceTable | None:
        """The stored table, memory-mapped; ``None`` if absent, of another format or size.

        Versions written before sentence vectors existed have none: their turns embed
        sentences at query time, as before.
        """
        if not all((path / name).is_file() for name in _FILES):
            return None
        meta = json.loads((path / "sentences.json").read_text("utf-8"))
        if meta.get("format") != SENTENCE_FORMAT or meta.get("passages") != passages:
            return None
        vectors = np.load(path / "sentences.npy", mmap_mode="r")
        if vectors.ndim != 2 or vectors.shape[1] != dimension:
            return None
        # Offsets and spans are small (a few bytes per sentence): read them into memory.
        offsets = np.load(path / "sentence_offsets.npy")
        return cls(
            offsets=offsets,
            spans=np.load(path / "sentence_spans.npy"),
            vector_rows=np.load(path / "sentence_vector_rows.npy"),
            vectors=vectors,
        )


class SentenceTableBuilder:
    """Builds the sentence table of a new version from an earlier one (``base``).

    Each distinct sentence text gets one vector: the earlier version's when it has one
    (a kept passage, or an unchanged sentence of an edited document), else one embedded
    by :meth:`build`.
    """

    def __init__(self, dimension: int, base: SentenceTable | None = None) -> None:
        if base is not None and base.dimension != dimension:
            base = None
        self.dimension = dimension
        self.base = base
        # A vector reference: row ``r >= 0`` of the base's vectors, or ``-(j + 1)`` for
        # the ``j``-th text still to embed.
        self._ref_of: dict[str, int] = {}
        self._pending: list[str] = []
        self._offsets: list[int] = [0]
        self._spans: list[tuple[int, int]] = []
        self._refs: list[int] = []

    def remember(self, rows: np.ndarray, texts: Sequence[str]) -> None:
        """Sentences of base passages ``rows`` may lend their vectors to new passages."""
        self._walk(rows, texts, keep=False)

    def keep(self, rows: np.ndarray, texts: Sequence[str]) -> None:
        """Base passages ``rows`` (texts ``texts``) go into the new table, in this order."""
        self._walk(rows, texts, keep=True)

    def _walk(self, rows: np.ndarray, texts: Sequence[str], *, keep: bool) -> None:
        if self.base is None:
            raise ValueError("no earlier version to take sentence vectors from")
        for row, text in zip(np.asarray(rows).tolist(), texts, strict=True):
            spans = self.base.spans_of(row).tolist()
            for (start, end), source in zip(
                spans, self.base.vector_rows_of(row).tolist(), strict=True
            ):
                ref = self._ref_of.setdefault(text[start:end], int(source))
                if keep:
                    self._spans.append((start, end))
                    self._refs.append(ref)
            if keep:
                self._offsets.append(len(self._spans))

    def add(self, chunk: Chunk) -> None:
        """A new passage, after those kept: its sentences' vectors come from :meth:`build`."""
        for start, end in answer_spans(chunk):
            sentence = chunk.text[start:end]
            ref = self._ref_of.get(sentence)
            if ref is None:
                self._pending.append(sentence)
                ref = self._ref_of[sentence] = -len(self._pending)
            self._spans.append((start, end))
            self._refs.append(ref)
        self._offsets.append(len(self._spans))

    @property
    def to_embed(self) -> list[str]:
        """The distinct sentence texts that have no vector yet."""
        return list(self._pending)

    def build(self, embed: Callable[[list[str]], np.ndarray]) -> SentenceTable:
        """The table; ``embed`` gets :attr:`to_embed` and returns their vectors in order."""
        refs = np.asarray(self._refs, dtype=np.int64)
        sources = np.unique(refs[refs >= 0])  # sorted: the old memory map is read in order
        parts = [np.zeros((0, self.dimension), dtype=STORED_DTYPE)]
        if len(sources):
            assert self.base is not None
            parts.append(np.asarray(self.base.vectors[sources], dtype=STORED_DTYPE))
        if self._pending:
            fresh = np.asarray(embed(list(self._pending)), dtype=np.float32)
            if fresh.shape != (len(self._pending), self.dimension):
                raise ValueError("the embedder returned vectors of the wrong shape")
            parts.append(fresh.astype(STORED_DTYPE))
        rows = np.where(
            refs >= 0, np.searchsorted(sources, refs), len(sources) + (-refs - 1)
        ).astype(np.int32)
        return SentenceTable(
            offsets=np.asarray(self._offsets, dtype=np.int64),
            spans=np.asarray(self._spans, dtype=np.int32).reshape(-1, 2),
            vector_rows=rows,
            vectors=np.concatenate(parts),
        )

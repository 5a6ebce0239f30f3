"""Versioned, immutable index directories and the atomic switch between them.

Layout under the index folder::

    CURRENT                 name of the live version (replaced atomically)
    versions/<version>/     manifest.json, documents.jsonl, chunks.jsonl, vectors.npy,
                            dense.faiss, bm25/, terms.json

Versions written by releases before the outline composer may also hold the answer
sentences' vectors (``sentences.json``, ``sentences.npy``, ``sentence_*.npy``): nothing
reads them now, and they go when the version is pruned.

A version is written completely before ``CURRENT`` points at it, and is never changed
afterwards, so a reader sees the old version or the new one, never half of one. Readers
hold an :class:`IndexSnapshot`; :meth:`IndexStore.snapshot` swaps to a newer version
when ``CURRENT`` changes (also when another process published it).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from knowledge_base.documents import Chunk, Document
from knowledge_base.lexical_index import (
    LexicalIndex,
    reading_language,
    tokenize_english,
    tokenize_spanish,
)
from knowledge_base.terms import Speller
from knowledge_base.vector_index import VectorIndex

MANIFEST_VERSION = 1


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """What the index remembers of a document: enough to list it and to skip re-embedding."""

    doc_id: str
    title: str
    content_hash: str
    chunk_count: int
    url: str | None = None
    agency: str | None = None
    topic: str | None = None
    language: str = "en"
    last_reviewed: str | None = None
    source_path: str | None = None
    review_due: str | None = None


@dataclass(frozen=True, slots=True)
class IndexConfig:
    """Everything that, when changed, makes stored vectors or passages invalid."""

    embedding_model: str
    dimension: int
    chunk_size: int
    chunk_overlap: int
    text_format: int = 1


@dataclass(slots=True)
class Manifest:
    version: str
    created_at: str
    config: IndexConfig
    documents: dict[str, DocumentRecord] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        # A dict on purpose: this is manifest.json's content, written as it is to disk.
        return {
            "manifest_version": MANIFEST_VERSION,
            "version": self.version,
            "created_at": self.created_at,
            "config": asdict(self.config),
            "documents": {k: asdict(v) for k, v in self.documents.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            version=data["version"],
            created_at=data["created_at"],
            config=IndexConfig(**data["config"]),
            documents={k: DocumentRecord(**v) for k, v in data["documents"].items()},
        )


@dataclass(frozen=True, slots=True)
class _LanguagePart:
    """The passages of one language other than English, indexed on their own."""

    rows: np.ndarray
    lexical_index: LexicalIndex
    frequency: dict[str, int]
    speller: Speller

    @classmethod
    def build(cls, snapshot: IndexSnapshot, language: str) -> _LanguagePart:
        rows = np.flatnonzero(snapshot.language_mask(language))
        texts = [f"{snapshot.chunks[r].title} {snapshot.chunks[r].text}" for r in rows]
        frequency: dict[str, int] = {}
        for tokens in tokenize_spanish(texts):
            for term in set(tokens):
                frequency[term] = frequency.get(term, 0) + 1
        return cls(
            rows=rows,
            lexical_index=LexicalIndex.build_spanish(texts),
            frequency=frequency,
            speller=Speller(frequency),
        )


class IndexSnapshot:
    """One immutable index version, loaded for reading."""

    def __init__(
        self,
        *,
        manifest: Manifest,
        chunks: list[Chunk],
        vectors: np.ndarray,
        vector_index: VectorIndex,
        lexical_index: LexicalIndex,
        path: Path | None = None,
        documents: dict[str, Document] | None = None,
    ) -> None:
        if not len(chunks) == len(vectors) == len(vector_index) == len(lexical_index):
            raise ValueError("passages, vectors and indexes disagree in size")
        self.manifest = manifest
        self.chunks = chunks
        self.vectors = vectors
        self.vector_index = vector_index
        self.lexical_index = lexical_index
        self.path = path
        self._documents = documents
        self._doc_terms: dict[str, frozenset[str]] = {}
        self._language_masks: dict[str, np.ndarray] = {}

    @property
    def documents(self) -> dict[str, Document]:
        """Full documents of this version (read from disk on first use)."""
        if self._documents is None:
            loaded: dict[str, Document] = {}
            if self.path is not None and (self.path / "documents.jsonl").is_file():
                with (self.path / "documents.jsonl").open(encoding="utf-8") as lines:
                    for line in lines:
                        document = _document_from_json(json.loads(line))
                        loaded[document.doc_id] = document
            self._documents = loaded
        return self._documents

    @property
    def version(self) -> str:
        return self.manifest.version

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def term_document_frequency(self) -> dict[str, int]:
        """How many passages each (stemmed) term occurs in, for the language being read
        (``knowledge_base.lexical_index.reading``): English terms over every passage,
        Spanish terms over the Spanish passages."""
        if reading_language() == "es":
            return self._spanish.frequency
        return self.english_term_document_frequency

    @property
    def term_passages(self) -> int:
        """How many passages ``term_document_frequency`` counts (rarity's N)."""
        if reading_language() == "es":
            return len(self._spanish.rows)
        return self._english_passages

    @cached_property
    def _english_passages(self) -> int:
        return len(self) - int(self.language_mask("es").sum())

    @cached_property
    def english_term_document_frequency(self) -> dict[str, int]:
        """How many passages each (stemmed) term occurs in; saved with the version."""
        if self.path is not None and (self.path / "terms.json").is_file():
            loaded: dict[str, int] = json.loads((self.path / "terms.json").read_text("utf-8"))
            return loaded
        counts: dict[str, int] = {}
        english = [c for c in self.chunks if c.language != "es"]  # see spanish_lexical_index
        for tokens in tokenize_english([f"{c.title} {c.text}" for c in english]):
            for term in set(tokens):
                counts[term] = counts.get(term, 0) + 1
        return counts

    @property
    def speller(self) -> Speller:
        """Corrects a question's misspelt terms to this version's vocabulary (in the
        language being read)."""
        if reading_language() == "es":
            return self._spanish.speller
        return self._english_speller

    @cached_property
    def _english_speller(self) -> Speller:
        return Speller(self.english_term_document_frequency)

    def language_rows(self, language: str) -> np.ndarray:
        """The rows of the passages in ``language`` (documents say theirs in front matter)."""
        if language == "es":
            return self._spanish.rows
        return np.flatnonzero(self.language_mask(language))

    def language_mask(self, language: str) -> np.ndarray:
        found = self._language_masks.get(language)
        if found is None:
            found = np.fromiter(
                (c.language == language for c in self.chunks), dtype=bool, count=len(self)
            )
            self._language_masks[language] = found
        return found

    @property
    def spanish_lexical_index(self) -> LexicalIndex:
        """BM25 over the Spanish passages only, with the Spanish stemmer: its row ``i`` is
        the snapshot's row ``language_rows("es")[i]``."""
        return self._spanish.lexical_index

    @cached_property
    def _spanish(self) -> _LanguagePart:
        # Built on the first Spanish question of this version, not saved: the Spanish
        # pages are a small part of a knowledge base (13 of 62 bundled pages; ~10 ms).
        return _LanguagePart.build(self, "es")

    def document_terms(self, doc_id: str) -> frozenset[str]:
        """The terms of one document (title and all its passages), made in the document's
        own language: a Spanish page's terms with the Spanish stemmer, as a Spanish
        question's are (English stems of "solicitar" match no Spanish question's)."""
        cached = self._doc_terms.get(doc_id)
        if cached is None:
            rows = self.rows_by_doc.get(doc_id, np.empty(0, dtype=np.int64))
            text = " ".join(self.chunks[r].text for r in rows)
            title = self.chunks[rows[0]].title if len(rows) else ""
            spanish = bool(len(rows)) and self.chunks[rows[0]].language == "es"
            tokenizer = tokenize_spanish if spanish else tokenize_english
            # Each distinct word stemmed once: a word's stem does not depend on where it
            # stands, and a page repeats its words (a 10k-passage page: ~3x fewer stems).
            words = " ".join(dict.fromkeys(f"{title} {text}".split()))
            cached = frozenset(tokenizer([words])[0])
            self._doc_terms[doc_id] = cached
        return cached

    @cached_property
    def rows_by_doc(self) -> dict[str, np.ndarray]:
        rows: dict[str, list[int]] = {}
        for row, chunk in enumerate(self.chunks):
            rows.setdefault(chunk.doc_id, []).append(row)
        return {doc_id: np.asarray(r, dtype=np.int64) for doc_id, r in rows.items()}

    def mask(self, filters: dict[str, str | list[str]] | None) -> np.ndarray | None:
        """Rows whose metadata matches every filter (agency, topic, language, doc_id)."""
        if not filters:
            return None
        allowed = np.ones(len(self.chunks), dtype=bool)
        for key, wanted in filters.items():
            values = {wanted} if isinstance(wanted, str) else set(wanted)
            if key == "language" and isinstance(wanted, str):
                column = self.language_mask(wanted)  # kept: a Spanish turn's fallback asks
            elif key == "doc_id":
                # A follow-up's focus on the page last answered from: its rows are known,
                # and reading every passage's doc_id took ~13 ms a turn at 100k passages.
                column = np.zeros(len(self.chunks), dtype=bool)
                for doc_id in values:
                    column[self.rows_by_doc.get(doc_id, np.empty(0, np.int64))] = True
            else:
                column = np.fromiter(
                    (getattr(c, key) in values for c in self.chunks), dtype=bool, count=len(self)
                )
            allowed &= column
        return allowed

    @classmethod
    def empty(cls, config: IndexConfig) -> IndexSnapshot:
        return cls(
            manifest=Manifest(version="empty", created_at=_now(), config=config),
            chunks=[],
            vectors=np.zeros((0, config.dimension), dtype=np.float32),
            vector_index=VectorIndex.build(
                np.zeros((0, config.dimension), dtype=np.float32), hnsw_threshold=0
            ),
            lexical_index=LexicalIndex.build([]),
            documents={},
        )

    @classmethod
    def load(cls, path: Path, *, ef_search: int) -> IndexSnapshot:
        manifest = Manifest.from_json(json.loads((path / "manifest.json").read_text("utf-8")))
        with (path / "chunks.jsonl").open("rb") as lines:  # orjson: 2x json at 100k
            chunks = [_chunk_from_json(orjson.loads(line)) for line in lines]
        vectors = np.load(path / "vectors.npy", mmap_mode="r")
        return cls(
            manifest=manifest,
            chunks=chunks,
            vectors=vectors,
            vector_index=VectorIndex.load(path / "dense.faiss", ef_search=ef_search),
            lexical_index=LexicalIndex.load(path / "bm25", len(chunks)),
            path=path,
        )

    def write(self, path: Path) -> None:
        path.mkdir(parents=True)
        with (path / "documents.jsonl").open("w", encoding="utf-8") as out:
            for document in self.documents.values():
                out.write(json.dumps(_document_to_json(document), ensure_ascii=False) + "\n")
        with (path / "chunks.jsonl").open("w", encoding="utf-8") as out:
            for chunk in self.chunks:
                out.write(json.dumps(_chunk_to_json(chunk), ensure_ascii=False) + "\n")
        np.save(path / "vectors.npy", np.ascontiguousarray(self.vectors, dtype=np.float32))
        self.vector_index.save(path / "dense.faiss")
        self.lexical_index.save(path / "bm25")
        (path / "terms.json").write_text(json.dumps(self.english_term_document_frequency), "utf-8")
        # The manifest goes last: a version folder without one is incomplete and ignored.
        _write_atomic(path / "manifest.json", json.dumps(self.manifest.to_json(), indent=1))


class IndexStore:
    """The index folder of one data dir: which version is live, and publishing new ones."""

    def __init__(self, root: Path, *, ef_search: int = 96, keep_versions: int = 5) -> None:
        self.root = root
        self.ef_search = ef_search
        self.keep_versions = keep_versions
        self._snapshot: IndexSnapshot | None = None
        self._load_lock = threading.Lock()
        # ``CURRENT`` as last read, keyed by its inode, modification time and size: a turn
        # asks several times, and a stat is much cheaper than opening and reading the file.
        # It is read again at least once a second all the same, in case a file system's
        # coarse clock and a re-used inode make two versions look alike.
        self._current: tuple[tuple[int, int, int, int], str | None] | None = None

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    def current_version(self) -> str | None:
        """The live version's name; ``CURRENT`` is re-read only when it was replaced."""
        path = self.root / "CURRENT"
        try:
            stat = path.stat()
            key = (stat.st_ino, stat.st_mtime_ns, stat.st_size, int(time.monotonic()))
            known = self._current
            if known is not None and known[0] == key:
                return known[1]
            name = path.read_text("utf-8").strip() or None
        except FileNotFoundError:
            return None
        self._current = (key, name)
        return name

    def snapshot(self) -> IndexSnapshot | None:
        """The live version, reloaded if another writer has published since."""
        version = self.current_version()
        current = self._snapshot
        if version is None:
            return None
        if current is not None and current.version == version:
            return current
        with self._load_lock:
            if self._snapshot is None or self._snapshot.version != version:
                self._snapshot = IndexSnapshot.load(
                    self.versions_dir / version, ef_search=self.ef_search
                )
            return self._snapshot

    def publish(self, snapshot: IndexSnapshot) -> None:
        """Write a new version completely, then switch ``CURRENT`` to it atomically."""
        target = self.versions_dir / snapshot.version
        staging = self.versions_dir / f".{snapshot.version}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        snapshot.write(staging)
        os.replace(staging, target)
        snapshot.path = target
        _write_atomic(self.root / "CURRENT", snapshot.version + "\n")
        self._snapshot = snapshot
        self._prune()

    def restore(self, version: str) -> IndexSnapshot:
        """Make an earlier complete version live again (call inside :meth:`writer`).

        Versions are immutable, so nothing is rebuilt: ``CURRENT`` simply points back.
        """
        if version not in self.versions():
            raise KeyError(version)
        snapshot = IndexSnapshot.load(self.versions_dir / version, ef_search=self.ef_search)
        _write_atomic(self.root / "CURRENT", version + "\n")
        self._snapshot = snapshot
        return snapshot

    def manifest(self, version: str) -> Manifest:
        """The manifest of one stored version (what it held and when it was built)."""
        path = self.versions_dir / version / "manifest.json"
        return Manifest.from_json(json.loads(path.read_text("utf-8")))

    def versions(self) -> list[str]:
        """Complete versions, oldest first."""
        if not self.versions_dir.is_dir():
            return []
        found = [
            p
            for p in self.versions_dir.iterdir()
            if not p.name.startswith(".") and (p / "manifest.json").is_file()
        ]
        return sorted(p.name for p in found)

    def _prune(self) -> None:
        live = self.current_version()
        for old in self.versions()[: -self.keep_versions]:
            if old != live:
                shutil.rmtree(self.versions_dir / old, ignore_errors=True)

    @contextmanager
    def writer(self) -> Iterator[None]:
        """One writer at a time across processes sharing the data dir."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def new_version_name() -> str:
    """Sortable and unique: UTC time to the microsecond plus the process id."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + f"-{os.getpid()}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# Chunks and documents as the version's JSON Lines files hold them (one dict a line):
# dicts because they are the files' content, read back into the dataclasses below.
def _chunk_to_json(chunk: Chunk) -> dict[str, Any]:
    data = asdict(chunk)
    data["section_path"] = list(chunk.section_path)
    return data


def _chunk_from_json(data: dict[str, Any]) -> Chunk:
    data["section_path"] = tuple(data["section_path"])
    return Chunk(**data)


def _document_to_json(document: Document) -> dict[str, Any]:
    data = asdict(document)
    data["sections"] = [[start, list(path)] for start, path in document.sections]
    return data


def _document_from_json(data: dict[str, Any]) -> Document:
    data["sections"] = tuple((int(start), tuple(path)) for start, path in data["sections"])
    return Document(**data)

"""Incremental ingestion: only new or changed documents are chunked and embedded."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
from tqdm import tqdm

from knowledge_base.chunking import Chunker, indexed_text
from knowledge_base.documents import Chunk, Document, LoadError
from knowledge_base.embeddings import Embedder
from knowledge_base.index_store import (
    DocumentRecord,
    IndexConfig,
    IndexSnapshot,
    IndexStore,
    Manifest,
    _now,
    new_version_name,
)
from knowledge_base.lexical_index import LexicalIndex
from knowledge_base.vector_index import VectorIndex

log = logging.getLogger(__name__)

EMBED_BATCH = 256


@dataclass(slots=True)
class IngestReport:
    """What one ingest or removal changed; printed by the CLI and returned by the API."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_total: int = 0
    version: str | None = None
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        if not self.changed and not self.chunks_embedded:
            head = f"Nothing to embed: {len(self.unchanged)} document(s) unchanged."
        else:
            head = (
                f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.removed)} removed, {len(self.unchanged)} unchanged; "
                f"embedded {self.chunks_embedded} passage(s) in {self.seconds:.1f} s; "
                f"{self.chunks_total} passages in version {self.version}."
            )
        if self.errors:
            head += f" {len(self.errors)} file(s) could not be read."
        return head


@dataclass(frozen=True, slots=True)
class IndexBuildOptions:
    hnsw_threshold: int
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int = 96


class Ingestor:
    """Turns documents into a new index version, re-using every vector it can."""

    def __init__(
        self,
        *,
        store: IndexStore,
        embedder: Embedder,
        chunker: Chunker,
        options: IndexBuildOptions,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.options = options

    @property
    def config(self) -> IndexConfig:
        return IndexConfig(
            embedding_model=self.embedder.name,
            dimension=self.embedder.dimension,
            chunk_size=self.chunker.chunk_size,
            chunk_overlap=self.chunker.chunk_overlap,
        )

    def ingest(
        self,
        documents: Iterable[Document],
        *,
        remove: Sequence[str] = (),
        errors: Sequence[LoadError] = (),
        show_progress: bool = False,
    ) -> IngestReport:
        """Add or update ``documents``, drop the ids in ``remove``; publish if anything changed."""
        started = time.perf_counter()
        with self.store.writer():
            report, snapshot = self.prepare(
                documents, remove=remove, errors=errors, show_progress=show_progress
            )
            if snapshot is not None:
                self.store.publish(snapshot)
        report.seconds = time.perf_counter() - started
        if snapshot is not None:
            log.info("ingest: %s", report.summary())
        return report

    def rebuild_if_stale(self, *, show_progress: bool = False) -> IngestReport | None:
        """Re-embed the live version's documents if it was built with other settings.

        Vectors of another model (other weights, or the other embedding backend) cannot be
        searched with this one's queries, nor passages of another chunking be kept: when
        the live version's :class:`IndexConfig` differs from :attr:`config`, every document
        it stores is chunked and embedded again and published as a new version. ``None``
        when there is no live version or it is current. Checked under the writer lock,
        so replicas starting together rebuild once.
        """
        started = time.perf_counter()
        config = self.config
        with self.store.writer():
            live = self.store.snapshot()
            if live is None or live.manifest.config == config:
                return None
            documents = live.documents
            missing = sorted(set(live.manifest.documents) - set(documents))
            if missing:
                raise RuntimeError(
                    f"index version {live.version} lacks the stored text of {len(missing)} "
                    f"document(s) ({', '.join(missing[:5])}), so it cannot be re-embedded "
                    "for the new settings: ingest the sources again"
                )
            old = live.manifest.config
            also = ", ".join(
                f"{f.name} {getattr(old, f.name)} -> {getattr(config, f.name)}"
                for f in fields(old)
                if f.name != "embedding_model" and getattr(old, f.name) != getattr(config, f.name)
            )
            log.warning(
                "index version %s was built with embedding model %r, the settings give %r%s: "
                "re-embedding its %d document(s) before serving",
                live.version,
                old.embedding_model,
                config.embedding_model,
                f" ({also})" if also else "",
                len(documents),
            )
            report, snapshot = self.prepare(
                documents.values(), base=live, show_progress=show_progress
            )
            assert snapshot is not None  # another config is always a change
            self.store.publish(snapshot)
        report.seconds = time.perf_counter() - started
        log.info("ingest: %s", report.summary())
        return report

    def prepare(
        self,
        documents: Iterable[Document],
        *,
        remove: Sequence[str] = (),
        errors: Sequence[LoadError] = (),
        show_progress: bool = False,
        base: IndexSnapshot | None = None,
    ) -> tuple[IngestReport, IndexSnapshot | None]:
        """The next version, built but not published (``None`` when nothing would change).

        Starts from ``base`` (the live version by default) and embeds only the documents
        that are new or changed; used by :meth:`ingest` and by the editors' preview.
        """
        started = time.perf_counter()
        report = IngestReport(errors=list(errors))
        incoming: dict[str, Document] = {}
        for document in documents:
            incoming[document.doc_id] = document
        config = self.config
        current = base or self.store.snapshot() or IndexSnapshot.empty(config)
        reusable = current.manifest.config == config
        for doc_id in remove:
            if doc_id in current.manifest.documents and doc_id not in incoming:
                report.removed.append(doc_id)

        final_docs: dict[str, Document] = {}
        keep_rows: list[np.ndarray] = []
        to_embed: list[Document] = []
        for doc_id, record in current.manifest.documents.items():
            if doc_id in report.removed:
                continue
            new = incoming.get(doc_id)
            if new is not None and new.content_hash != record.content_hash:
                report.updated.append(doc_id)
                to_embed.append(new)
                final_docs[doc_id] = new
                continue
            if new is not None:
                report.unchanged.append(doc_id)
            final_docs[doc_id] = current.documents.get(doc_id) or new  # type: ignore[assignment]
            if reusable:
                keep_rows.append(current.rows_by_doc.get(doc_id, np.empty(0, np.int64)))
            else:
                to_embed.append(final_docs[doc_id])
        for doc_id, document in incoming.items():
            if doc_id not in current.manifest.documents:
                report.added.append(doc_id)
                to_embed.append(document)
                final_docs[doc_id] = document

        if not report.changed and reusable:
            report.chunks_total = len(current)
            report.version = current.version if len(current) else None
            report.seconds = time.perf_counter() - started
            return report, None

        rows = np.concatenate(keep_rows) if keep_rows else np.empty(0, dtype=np.int64)
        kept_chunks = [current.chunks[r] for r in rows]
        kept_vectors = np.asarray(current.vectors[rows], dtype=np.float32).reshape(
            -1, config.dimension
        )
        new_chunks = list(self.chunker.split_all(to_embed))
        new_vectors = self._embed(new_chunks, show_progress=show_progress)
        snapshot = self._build(
            config=config,
            documents=final_docs,
            chunks=kept_chunks + new_chunks,
            vectors=np.concatenate([kept_vectors, new_vectors]),
        )
        report.chunks_embedded = len(new_chunks)
        report.chunks_total = len(snapshot)
        report.version = snapshot.version
        report.seconds = time.perf_counter() - started
        return report, snapshot

    def _embed(self, chunks: Sequence[Chunk], *, show_progress: bool) -> np.ndarray:
        if not chunks:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        texts = [indexed_text(chunk) for chunk in chunks]
        parts: list[np.ndarray] = []
        with tqdm(
            total=len(texts), unit="passage", desc="Embedding", disable=not show_progress
        ) as bar:
            for begin in range(0, len(texts), EMBED_BATCH):
                batch = texts[begin : begin + EMBED_BATCH]
                parts.append(self.embedder.embed_documents(batch))
                bar.update(len(batch))
        return np.concatenate(parts)

    def _build(
        self,
        *,
        config: IndexConfig,
        documents: dict[str, Document],
        chunks: list[Chunk],
        vectors: np.ndarray,
    ) -> IndexSnapshot:
        counts: dict[str, int] = {}
        for chunk in chunks:
            counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
        manifest = Manifest(
            version=new_version_name(),
            created_at=_now(),
            config=config,
            documents={
                doc_id: DocumentRecord(
                    doc_id=doc_id,
                    title=doc.title,
                    content_hash=doc.content_hash,
                    chunk_count=counts.get(doc_id, 0),
                    url=doc.url,
                    agency=doc.agency,
                    topic=doc.topic,
                    language=doc.language,
                    last_reviewed=doc.last_reviewed,
                    source_path=doc.source_path,
                    review_due=doc.metadata.get("review_due"),
                )
                for doc_id, doc in sorted(documents.items())
            },
        )
        return IndexSnapshot(
            manifest=manifest,
            chunks=chunks,
            vectors=vectors,
            vector_index=VectorIndex.build(
                vectors,
                hnsw_threshold=self.options.hnsw_threshold,
                hnsw_m=self.options.hnsw_m,
                ef_construction=self.options.ef_construction,
                ef_search=self.options.ef_search,
            ),
            # Spanish passages are in the index as empty rows: they have their own index,
            # built with the Spanish stemmer on first use (IndexSnapshot.spanish_lexical_index),
            # and their words must not change how rare an English word is.
            lexical_index=LexicalIndex.build(
                ["" if c.language == "es" else indexed_text(c) for c in chunks]
            ),
            documents=documents,
        )

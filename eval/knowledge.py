"""A throw-away knowledge base built from an evaluation corpus with the product's own parts.

The corpus goes through the product's JSONL loader, chunker, embedder and index (a
:class:`~assistant.container.Container` over a temporary data dir, so the user's
``CA_DATA_DIR`` is never touched). Passages are the product's own chunks; their
offsets are translated back to the raw corpus text, where gold spans point.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.container import Container
from assistant.settings import Settings
from eval.doc2dial import OffsetMap, load_raw_texts
from eval.embedding_cache import CachingEmbedder
from eval.metrics import RankedPassage
from knowledge_base.index_store import IndexSnapshot
from knowledge_base.loaders import load_paths

RETRIEVAL_SETTINGS = (
    "chunk_size",
    "chunk_overlap",
    "retrieval_top_k",
    "retrieval_candidates",
    "rrf_k",
    "dense_weight",
    "lexical_weight",
    "history_turns",
    "history_weight",
    "focus_weight",
    "session_history_turns",
)


@dataclass(slots=True)
class EvalKnowledgeBase:
    """The container, its live index version, and each passage's raw span (by row)."""

    container: Container
    snapshot: IndexSnapshot
    passages: list[RankedPassage]
    ingest_seconds: float
    cache: CachingEmbedder

    @property
    def median_words(self) -> float:
        return float(statistics.median(len(c.text.split()) for c in self.snapshot.chunks))

    def passage_summary(self) -> dict[str, Any]:
        words = [len(c.text.split()) for c in self.snapshot.chunks]
        return {
            "count": len(words),
            "median_words": float(statistics.median(words)) if words else 0.0,
            "mean_words": round(statistics.fmean(words), 1) if words else 0.0,
            "max_words": max(words, default=0),
        }

    def settings_used(self) -> dict[str, Any]:
        settings = self.container.settings
        return {
            name: getattr(settings, name) for name in RETRIEVAL_SETTINGS if hasattr(settings, name)
        }

    def save_cache(self) -> None:
        self.cache.save()


def build_knowledge_base(
    corpus: Path,
    data_dir: Path,
    *,
    cache_dir: Path | None = None,
    overrides: dict[str, Any] | None = None,
    show_progress: bool = False,
) -> EvalKnowledgeBase:
    """Ingest ``corpus`` into a fresh index under ``data_dir`` and map passages to raw spans."""
    settings = Settings(data_dir=data_dir, sample_kb_on_empty=False, **(overrides or {}))
    container = Container(settings)
    cache = CachingEmbedder(container.embedder, cache_dir)
    container.__dict__["embedder"] = cache  # the ingestor, retriever and composer use it
    started = time.perf_counter()
    loaded = load_paths([corpus])
    if loaded.errors:
        reasons = "; ".join(f"{e.path}: {e.reason}" for e in loaded.errors[:5])
        raise ValueError(f"the corpus could not be read completely: {reasons}")
    container.ingestor.ingest(loaded.documents, show_progress=show_progress)
    seconds = time.perf_counter() - started
    snapshot = container.index_store.snapshot()
    if snapshot is None or len(snapshot) == 0:
        raise ValueError(f"{corpus} gave no passages")
    raw_texts = load_raw_texts(corpus)
    normalised = {d.doc_id: d.text for d in loaded.documents}
    maps = {
        doc_id: OffsetMap(raw_texts.get(doc_id, text), text) for doc_id, text in normalised.items()
    }
    passages = []
    for chunk in snapshot.chunks:
        start, end = maps[chunk.doc_id].raw_span(chunk.start, chunk.end)
        passages.append(RankedPassage(doc_id=chunk.doc_id, start=start, end=end))
    return EvalKnowledgeBase(
        container=container,
        snapshot=snapshot,
        passages=passages,
        ingest_seconds=seconds,
        cache=cache,
    )

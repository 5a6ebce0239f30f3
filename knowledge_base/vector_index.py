"""The dense index: FAISS inner product over L2-normalised vectors (= cosine)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import faiss as _faiss
import numpy as np

# faiss's SWIG stubs miss most of its API (HNSW, search parameters): use it untyped.
faiss: Any = _faiss

_single_threaded = threading.local()
_ALL_THREADS = int(faiss.omp_get_max_threads())


def _one_omp_thread() -> None:
    """Make this thread's FAISS searches single-threaded (an OpenMP per-thread setting).

    One query is too little work to share: with OpenMP threads on a busy 2-core machine
    an exact 10k search took 45 ms instead of 2.5 ms (threads spin waiting for a core).
    Index builds, in other threads, keep every core.
    """
    if not getattr(_single_threaded, "done", False):
        faiss.omp_set_num_threads(1)
        _single_threaded.done = True


def _all_omp_threads() -> None:
    """Builds use every core again, also in a thread that has searched before."""
    if getattr(_single_threaded, "done", False):
        faiss.omp_set_num_threads(_ALL_THREADS)
        _single_threaded.done = False


class VectorIndex:
    """Exact search for small knowledge bases, HNSW above ``hnsw_threshold`` vectors.

    Rows are the passage positions of one index version; a filter is a boolean mask
    over those positions.
    """

    def __init__(self, index: Any, *, ef_search: int = 96, mapped: bool = False) -> None:
        self._index = index
        self.ef_search = ef_search
        self.mapped = mapped
        self.is_hnsw = isinstance(index, faiss.IndexHNSW)
        if self.is_hnsw:
            faiss.downcast_index(index).hnsw.efSearch = ef_search

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        *,
        hnsw_threshold: int,
        hnsw_m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 96,
    ) -> VectorIndex:
        if vectors.ndim != 2 or vectors.dtype != np.float32:
            raise ValueError("vectors must be a 2-D float32 array")
        dimension = vectors.shape[1]
        index: Any
        if len(vectors) > hnsw_threshold:
            index = faiss.IndexHNSWFlat(dimension, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ef_construction
        else:
            index = faiss.IndexFlatIP(dimension)
        if len(vectors):
            _all_omp_threads()
            index.add(np.ascontiguousarray(vectors))
        return cls(index, ef_search=ef_search)

    @classmethod
    def load(cls, path: Path, *, ef_search: int = 96) -> VectorIndex:
        """The saved index, memory-mapped: the vectors and graph are read from the page
        cache as searches touch them instead of being copied in first (0.63 s → 0.02 s at
        100k passages). An index version's files are never rewritten, so this is safe."""
        return cls(
            faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC), ef_search=ef_search, mapped=True
        )

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    def add(self, vectors: np.ndarray) -> None:
        """Append rows (for building a large index in batches without a second copy)."""
        if vectors.ndim != 2 or vectors.dtype != np.float32:
            raise ValueError("vectors must be a 2-D float32 array")
        if self.mapped:  # faiss would abort the process
            raise ValueError("a memory-mapped index is read-only: build a new one")
        _all_omp_threads()
        self._index.add(np.ascontiguousarray(vectors))

    @property
    def memory_bytes(self) -> int:
        """Approximate in-memory size: stored vectors plus the HNSW graph's links."""
        vectors = len(self) * self._index.d * 4
        if self.is_hnsw:
            hnsw = faiss.downcast_index(self._index).hnsw
            vectors += hnsw.neighbors.size() * 4 + hnsw.offsets.size() * 8 + len(self) * 4
        return int(vectors)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(
        self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` rows for one query vector: ``(rows, cosine scores)``, best first."""
        if len(self) == 0 or k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        _one_omp_thread()
        matrix = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        params = None
        if allowed is not None:
            ids = np.flatnonzero(allowed).astype(np.int64)
            if len(ids) == 0:
                return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
            selector = faiss.IDSelectorBatch(ids)
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=max(self.ef_search, k))
                if self.is_hnsw
                else faiss.SearchParameters(sel=selector)
            )
        scores, rows = self._index.search(matrix, min(k, len(self)), params=params)
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep]

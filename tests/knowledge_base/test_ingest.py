"""Incremental ingestion with the real model, FAISS and BM25 on disk."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np

from assistant.container import SAMPLE_KB, Container
from knowledge_base.index_store import IndexStore
from knowledge_base.retriever import RetrievalQuery

DOC = """---
title: Adopt a street tree
agency: Fairhaven Parks Department
url: https://www.fairhaven.example/trees/adopt
topic: street-trees
last_reviewed: 2026-05-01
language: en
---

# Adopt a street tree

Residents can adopt a young street tree and water it through its first three summers.

## How to adopt

Fill in the adoption form at any library branch. Adopters get a free watering bag.
"""


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "trees.md").write_text(DOC, encoding="utf-8")
    (folder / "notes.txt").write_text(
        "Snow emergency routes\n\nPark off snow routes when a snow emergency is declared.",
        encoding="utf-8",
    )
    return folder


def test_a_second_ingest_of_the_same_folder_embeds_nothing(
    container: Container, tmp_path: Path
) -> None:
    folder = _folder(tmp_path)
    first = container.ingest_paths([folder])
    assert sorted(first.added) == ["notes", "trees"]
    assert first.chunks_embedded >= 2
    version = container.index_store.current_version()

    again = container.ingest_paths([folder])
    assert again.chunks_embedded == 0 and not again.changed
    assert "Nothing to embed" in again.summary()
    assert container.index_store.current_version() == version  # nothing republished


def test_editing_one_document_re_embeds_only_its_passages(
    container: Container, tmp_path: Path
) -> None:
    folder = _folder(tmp_path)
    container.ingest_paths([folder])
    before = container.index_store.snapshot()
    assert before is not None
    tree_passages = len(before.rows_by_doc["trees"])
    (folder / "trees.md").write_text(
        DOC.replace("free watering bag", "free 20-gallon watering bag"), encoding="utf-8"
    )

    report = container.ingest_paths([folder])
    assert report.updated == ["trees"]
    assert report.chunks_embedded == tree_passages
    after = container.index_store.snapshot()
    assert after is not None and after.version != before.version
    assert len(after) == len(before)
    assert any("20-gallon" in c.text for c in after.chunks)
    assert not any("a free watering bag" in c.text for c in after.chunks)


def test_removing_a_document_takes_its_passages_out(container: Container) -> None:
    snapshot = container.index_store.snapshot()
    assert snapshot is not None and "renew-drivers-license" in snapshot.manifest.documents
    container.ingestor.ingest([], remove=["renew-drivers-license"])
    after = container.index_store.snapshot()
    assert after is not None
    assert "renew-drivers-license" not in after.manifest.documents
    assert all(c.doc_id != "renew-drivers-license" for c in after.chunks)
    hits = container.retriever.retrieve(RetrievalQuery("renew my driver's license")).hits
    assert all(h.chunk.doc_id != "renew-drivers-license" for h in hits)


def test_a_bad_file_is_reported_and_the_rest_still_goes_in(
    container: Container, tmp_path: Path
) -> None:
    folder = _folder(tmp_path)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    report = container.ingest_paths([folder])
    assert [e.path.name for e in report.errors] == ["broken.pdf"]
    assert sorted(report.added) == ["notes", "trees"]


def test_another_process_sees_the_new_version_and_readers_never_see_half(
    container: Container, tmp_path: Path
) -> None:
    reader = IndexStore(container.settings.index_dir)
    first = reader.snapshot()
    assert first is not None
    sizes: set[tuple[int, int]] = set()
    stop = threading.Event()

    def read_continuously() -> None:
        while not stop.is_set():
            snap = reader.snapshot()
            assert snap is not None
            sizes.add((len(snap.chunks), len(snap.manifest.documents)))
            assert len(snap.vectors) == len(snap.chunks) == len(snap.lexical_index)

    thread = threading.Thread(target=read_continuously)
    thread.start()
    try:
        container.ingest_paths([_folder(tmp_path)])
    finally:
        stop.set()
        thread.join()
    after = reader.snapshot()
    assert after is not None and after.version != first.version
    assert "trees" in after.manifest.documents
    # Every state a reader saw was a whole version: the old one or the new one.
    assert sizes <= {
        (len(first), len(first.manifest.documents)),
        (len(after), len(after.manifest.documents)),
    }
    # Switching back and forth at once (an editor's undo, then redo) is seen every time.
    for version in (first.version, after.version, first.version):
        with container.index_store.writer():
            container.index_store.restore(version)
        seen = reader.snapshot()
        assert seen is not None and seen.version == version


def test_the_bundled_sample_is_a_real_city_knowledge_base(shared_container: Container) -> None:
    snapshot = shared_container.index_store.snapshot()
    assert snapshot is not None
    files = sorted(SAMPLE_KB.glob("*.md"))
    assert len(files) >= 40
    assert len(snapshot.manifest.documents) == len(files)
    agencies = {r.agency for r in snapshot.manifest.documents.values()}
    assert len(agencies) >= 10
    by_topic: dict[str, set[str | None]] = {}
    for record in snapshot.manifest.documents.values():
        by_topic.setdefault(record.topic or "", set()).add(record.agency)
    assert any(len(a) >= 2 for a in by_topic.values()), "no topic is covered by two agencies"


def test_an_empty_index_folder_is_not_a_version(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index")
    assert store.snapshot() is None
    (tmp_path / "index" / "versions" / ".partial").mkdir(parents=True)
    assert store.versions() == []
    shutil.rmtree(tmp_path / "index")


def test_a_version_with_answer_sentence_files_from_an_older_release_still_serves(
    container: Container, tmp_path: Path
) -> None:
    # Releases before the outline composer stored every passage's answer sentences and
    # their vectors next to the passages; those files are no longer read or written.
    live = container.index_store.snapshot()
    assert live is not None and live.path is not None
    version, folder, passages = live.version, live.path, len(live)
    (folder / "sentences.json").write_text(
        json.dumps({"format": 1, "passages": passages, "sentences": 1, "vectors": 1}), "utf-8"
    )
    np.save(folder / "sentences.npy", np.zeros((1, 384), dtype=np.float16))
    np.save(folder / "sentence_offsets.npy", np.r_[np.zeros(passages), 1].astype(np.int64))
    np.save(folder / "sentence_spans.npy", np.zeros((1, 2), dtype=np.int32))
    np.save(folder / "sentence_vector_rows.npy", np.zeros(1, dtype=np.int32))

    fresh = Container(container.settings)
    fresh.__dict__["embedder"] = container.embedder
    hits = fresh.retriever.retrieve(RetrievalQuery("renew my driver's license")).hits
    assert hits and hits[0].chunk.doc_id == "renew-drivers-license"

    report = fresh.ingest_paths([_folder(tmp_path)])
    assert sorted(report.added) == ["notes", "trees"]
    assert report.chunks_embedded == report.chunks_total - passages  # old vectors re-used
    after = fresh.index_store.snapshot()
    assert after is not None and after.path is not None and after.version != version
    assert not list(after.path.glob("sentence*"))

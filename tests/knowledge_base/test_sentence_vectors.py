"""Answer sentences are split and embedded at ingestion and stored with the index version."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from assistant.container import Container
from knowledge_base.documents import Document
from knowledge_base.index_store import IndexSnapshot, IndexStore
from knowledge_base.sentences import answer_spans, split_sentences

_TREES_TEXT = (
    "Adopt a street tree\n\n"
    "Residents can adopt a young street tree and water it through its first three "
    "summers. Call 311 if you have questions.\n\n"
    "How to adopt\n\n"
    "Fill in the adoption form at any library branch. Adopters get a free watering bag."
)
TREES = Document(
    doc_id="trees",
    title="Adopt a street tree",
    text=_TREES_TEXT,
    sections=(
        (0, ("Adopt a street tree",)),
        (_TREES_TEXT.index("How to adopt"), ("Adopt a street tree", "How to adopt")),
    ),
)
SNOW = Document(
    doc_id="snow",
    title="Snow emergency routes",
    text="Park off snow routes when a snow emergency is declared. Call 311 if you have questions.",
)


def _units(snapshot: IndexSnapshot, row: int) -> list[str]:
    chunk = snapshot.chunks[row]
    return [u for u in split_sentences(chunk.text) if u not in (chunk.title, *chunk.section_path)]


def assert_sentences_match_passages(snapshot: IndexSnapshot) -> None:
    """Every passage row has exactly its answer sentences, in order, with unit vectors."""
    table = snapshot.sentences
    assert table is not None and table.passages == len(snapshot)
    for row, chunk in enumerate(snapshot.chunks):
        stored = table.passage(row, chunk.text)
        assert stored.texts == _units(snapshot, row), chunk.chunk_id
        assert stored.vectors.shape == (len(stored.texts), snapshot.manifest.config.dimension)
        assert np.allclose(np.linalg.norm(stored.vectors, axis=1), 1.0, atol=5e-3)


def test_every_passage_of_the_sample_has_its_sentences_and_their_vectors(
    shared_container: Container,
) -> None:
    snapshot = shared_container.index_store.snapshot()
    assert snapshot is not None
    assert_sentences_match_passages(snapshot)
    table = snapshot.sentences
    assert table is not None
    # The stored vectors are the model's: each is near a fresh embedding of its sentence.
    # (Not equal: the int8 model's output depends a little on the batch it ran in.)
    rows = range(0, len(snapshot), max(1, len(snapshot) // 25))
    texts, stored = [], []
    for row in rows:
        passage = table.passage(row, snapshot.chunks[row].text)
        texts += passage.texts
        stored.append(passage.vectors)
    fresh = shared_container.embedder.embed_documents(texts)
    cosines = (np.concatenate(stored) * fresh).sum(axis=1)
    assert cosines.min() > 0.95 and cosines.mean() > 0.985, cosines


def test_spans_are_verbatim_slices_even_for_lists_and_repeated_sentences() -> None:
    from knowledge_base.documents import Chunk

    text = (
        "Fees\nYou need:\n- a photo ID\n- proof of address\nBring both. Bring both.\n"
        "1. Go online. 2) Pay the fee."
    )
    chunk = Chunk(
        chunk_id="c",
        doc_id="d",
        text=text,
        start=0,
        end=len(text),
        section_path=("Fees",),
        title="T",
    )
    spans = answer_spans(chunk)
    assert [text[s:e] for s, e in spans] == [
        "You need:\n- a photo ID\n- proof of address",
        "Bring both.",
        "Bring both.",
        "Go online. 2) Pay the fee.",
    ]
    assert spans[1] != spans[2]  # the repeated sentence is found at its own place


def test_a_sentence_in_several_passages_is_embedded_and_stored_once(
    container: Container,
) -> None:
    before = container.index_store.snapshot()
    assert before is not None and before.sentences is not None
    known = {t for r in range(len(before)) for t in _units(before, r)}
    report = container.ingestor.ingest([TREES, SNOW])
    after = container.index_store.snapshot()
    assert after is not None and after.sentences is not None
    assert_sentences_match_passages(after)
    new_rows = [r for r, c in enumerate(after.chunks) if c.doc_id in ("trees", "snow")]
    new_sentences = {t for r in new_rows for t in _units(after, r)}
    assert "Call 311 if you have questions." in new_sentences
    assert report.sentences_embedded == len(new_sentences - known)
    by_text: dict[str, set[int]] = {}
    for r in new_rows:
        spans = after.sentences.spans_of(r)
        for (s, e), vector_row in zip(spans, after.sentences.vector_rows_of(r), strict=True):
            by_text.setdefault(after.chunks[r].text[s:e], set()).add(int(vector_row))
    assert len(by_text["Call 311 if you have questions."]) == 1  # both passages, one vector


def test_editing_a_sentence_embeds_that_sentence_only_and_keeps_the_other_vectors(
    container: Container,
) -> None:
    container.ingestor.ingest([TREES, SNOW])
    before = container.index_store.snapshot()
    assert before is not None and before.sentences is not None
    edited = Document(
        doc_id=TREES.doc_id,
        title=TREES.title,
        text=TREES.text.replace("a free watering bag", "a free 20-gallon watering bag"),
        sections=TREES.sections,
    )
    report = container.ingestor.ingest([edited, SNOW])
    assert report.updated == ["trees"]
    assert report.sentences_embedded == 1
    after = container.index_store.snapshot()
    assert after is not None and after.sentences is not None
    assert_sentences_match_passages(after)

    def vectors(snapshot: IndexSnapshot) -> dict[str, np.ndarray]:
        assert snapshot.sentences is not None
        out = {}
        for row, chunk in enumerate(snapshot.chunks):
            passage = snapshot.sentences.passage(row, chunk.text)
            out.update(zip(passage.texts, passage.vectors, strict=True))
        return out

    old, new = vectors(before), vectors(after)
    assert "Adopters get a free 20-gallon watering bag." in new
    assert "Adopters get a free watering bag." not in new
    for text, vector in new.items():
        if text in old:
            assert np.array_equal(vector, old[text]), text  # re-used, not re-embedded


def test_removing_a_document_keeps_every_other_passage_aligned(container: Container) -> None:
    report = container.ingestor.ingest([], remove=["renew-drivers-license"])
    assert report.removed == ["renew-drivers-license"] and report.sentences_embedded == 0
    after = container.index_store.snapshot()
    assert after is not None
    assert_sentences_match_passages(after)


def _strip_sentences(container: Container) -> Path:
    """Make the live version look like one written before sentence vectors existed."""
    version = container.index_store.current_version()
    assert version is not None
    folder = container.index_store.versions_dir / version
    for path in folder.glob("sentence*"):
        path.unlink()
    return folder


def test_a_version_from_before_sentence_vectors_loads_and_the_next_ingest_adds_them(
    container: Container,
) -> None:
    folder = _strip_sentences(container)
    old = IndexStore(container.settings.index_dir).snapshot()
    assert old is not None and old.sentences is None and len(old) > 0
    distinct = {t for r in range(len(old)) for t in _units(old, r)}

    fresh = Container(container.settings)
    fresh.__dict__["embedder"] = container.embedder
    report = fresh.ingestor.ingest([SNOW])
    assert report.chunks_embedded == 1  # passage vectors are still re-used
    assert report.sentences_embedded == len(distinct | set(split_sentences(SNOW.text)))
    upgraded = fresh.index_store.snapshot()
    assert upgraded is not None and upgraded.path != folder
    assert_sentences_match_passages(upgraded)


def test_a_sentence_table_of_another_format_is_ignored(container: Container) -> None:
    version = container.index_store.current_version()
    assert version is not None
    folder = container.index_store.versions_dir / version
    meta = json.loads((folder / "sentences.json").read_text("utf-8"))
    (folder / "sentences.json").write_text(json.dumps(meta | {"format": 0}), "utf-8")
    snapshot = IndexStore(container.settings.index_dir).snapshot()
    assert snapshot is not None and snapshot.sentences is None

"""Passages keep their section path and exact character offsets into the document."""

from __future__ import annotations

import pytest

from knowledge_base.chunking import Chunker, indexed_text
from knowledge_base.documents import Document

TITLE = "Renew your driver's license"
TEXT = (
    f"{TITLE}\n\nYou can renew online, by mail or in person.\n\n"
    "Fees\n\nDrivers aged 21 to 64 pay $42 to renew for 8 years.\n\n"
    "Late fees\n\nIf you renew more than 60 days late, you pay a $10 late fee. " * 1
)


def _document() -> Document:
    fees = TEXT.index("Fees")
    late = TEXT.index("Late fees")
    return Document(
        doc_id="renew",
        title=TITLE,
        text=TEXT,
        url="https://dmv.westmark.example/renew",
        sections=((0, (TITLE,)), (fees, (TITLE, "Fees")), (late, (TITLE, "Fees", "Late fees"))),
    )


def test_each_passage_knows_its_section_and_offsets() -> None:
    chunks = Chunker(chunk_size=400).split(_document())
    assert [c.section for c in chunks] == [None, "Fees", "Fees › Late fees"]
    for chunk in chunks:
        assert TEXT[chunk.start : chunk.end] == chunk.text
    assert "$42" in chunks[1].text and "$10" not in chunks[1].text


def test_long_sections_are_split_within_the_size_and_never_across_headings() -> None:
    paragraph = "Bring proof of your address, such as a utility bill. " * 40
    text = f"{TITLE}\n\n{paragraph}\n\nFees\n\nIt costs $42."
    fees = text.index("Fees")
    doc = Document(
        doc_id="long", title=TITLE, text=text, sections=((0, (TITLE,)), (fees, (TITLE, "Fees")))
    )
    chunks = Chunker(chunk_size=300).split(doc)
    assert len(chunks) > 3
    assert all(len(c.text) <= 300 for c in chunks)
    assert chunks[-1].section == "Fees" and chunks[-1].text.startswith("Fees")
    assert all("Fees\n\nIt costs" not in c.text for c in chunks[:-1])
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text


def test_indexed_text_carries_the_title_and_section_path() -> None:
    chunk = Chunker(chunk_size=400).split(_document())[2]
    assert indexed_text(chunk).splitlines()[0] == f"{TITLE} › Fees › Late fees"


def test_chunk_sizes_are_validated() -> None:
    with pytest.raises(ValueError, match="chunk_overlap"):
        Chunker(chunk_size=200, chunk_overlap=200)

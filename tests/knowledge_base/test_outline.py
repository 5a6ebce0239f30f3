"""A page read as a tree: sections, paragraphs and lists, each unit a verbatim slice."""

from __future__ import annotations

from knowledge_base.chunking import Chunker
from knowledge_base.documents import Document
from knowledge_base.loaders import load_bytes
from knowledge_base.outline import document_from_chunks, outline

PAGE = b"""---
title: Renew your permit
---

# Renew your permit

You can renew up to 6 months early. Most people renew online.

## Who can renew online

You can renew online if all of these are true:

- you are aged 21 to 79
- your permit is not suspended

To renew online you need your permit number.

## Fees

- Standard renewal costs $42.
- Late renewal adds $15.

### Late fees

If it expired more than 60 days ago, you pay a $15 late fee.
"""


def _page() -> Document:
    return load_bytes("markdown", PAGE, "renew-permit")


def test_sections_blocks_and_units_follow_the_page() -> None:
    doc = outline(_page())
    assert [s.path[1:] for s in doc.sections] == [
        (),
        ("Who can renew online",),
        ("Fees",),
        ("Fees", "Late fees"),
    ]
    units = [(doc.units[i].kind, doc.unit_text(i)) for i in range(len(doc.units))]
    assert units == [
        ("sentence", "You can renew up to 6 months early."),
        ("sentence", "Most people renew online."),
        ("lead", "You can renew online if all of these are true:"),
        ("item", "you are aged 21 to 79"),
        ("item", "your permit is not suspended"),
        ("sentence", "To renew online you need your permit number."),
        ("item", "Standard renewal costs $42."),
        ("item", "Late renewal adds $15."),
        ("sentence", "If it expired more than 60 days ago, you pay a $15 late fee."),
    ]
    # Headings are never units: they answer nothing on their own.
    assert all(text != "Fees" for _, text in units)
    lead_block = doc.blocks[doc.units[2].block]
    assert lead_block.kind == "list" and list(lead_block.units) == [2, 3, 4]


def test_a_colon_not_followed_by_a_list_stays_a_sentence() -> None:
    document = Document(
        doc_id="d",
        title="T",
        text="T\n\nBring these:\n\nThe office closes at 5.",
        sections=((0, ("T",)),),
    )
    doc = outline(document)
    assert [(u.kind, doc.unit_text(i)) for i, u in enumerate(doc.units)] == [
        ("sentence", "Bring these:"),
        ("sentence", "The office closes at 5."),
    ]


def test_plain_text_headings_are_read_from_short_lines() -> None:
    text = (
        "Social Security Credits\n"
        "You must earn at least 40 credits to qualify for benefits.\n\n"
        "How Credits Are Earned\n"
        "You earn up to four credits per year when you work and pay taxes."
    )
    doc = outline(Document(doc_id="ssa", title="Social Security Credits", text=text))
    assert [s.heading for s in doc.sections] == ["", "How Credits Are Earned"]
    assert doc.unit_text(len(doc.units) - 1).startswith("You earn up to four credits")


def test_a_page_rebuilt_from_its_passages_has_the_same_outline() -> None:
    page = _page()
    for size in (120, 400, 1500):
        chunks = Chunker(chunk_size=size).split(page)
        rebuilt = outline(document_from_chunks(chunks))
        original = outline(page)
        assert [s.path for s in rebuilt.sections] == [s.path for s in original.sections]
        assert [rebuilt.unit_text(i) for i in range(len(rebuilt.units))] == [
            original.unit_text(i) for i in range(len(original.units))
        ]
        # Offsets are the page's own: every unit is the same slice of the original text.
        for unit in rebuilt.units:
            assert page.text[unit.start : unit.end] == rebuilt.text[unit.start : unit.end]

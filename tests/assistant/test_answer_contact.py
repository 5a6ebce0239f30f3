"""An answer that says "call us" gets the page's line with the number, when it fits."""

from __future__ import annotations

from assistant.answer_contact import contact_line
from assistant.answer_parts import Part
from knowledge_base.loaders import load_bytes
from knowledge_base.outline import Outline, outline

PAGE = b"""---
title: Order a birth certificate
---

# Order a birth certificate

## After you order

If your order has not arrived after 6 weeks, call us with your order number.
If the mistake was on the original record, contact your hospital first.
Call us if a name is spelt wrong.
After 8:00 p.m., call the Records Night Line, and we will help.

## Other services

Call the Records Night Line at (555) 020-2999, every night from 8:00 p.m.
Walk in at 10 Main Street if you prefer.

## Get help

Call the Office of Vital Records at (555) 020-2000, Monday to Friday.
"""


def _page() -> Outline:
    return outline(load_bytes("markdown", PAGE, "order-a-birth-certificate"))


def _sentence(doc: Outline, starts: str) -> Part:
    index = next(i for i in range(len(doc.units)) if doc.unit_text(i).startswith(starts))
    return Part(index, "sentence")


def _added(doc: Outline, parts: list[Part], room: int = 600) -> list[str]:
    return [doc.unit_text(p.index) for p in contact_line(doc, parts, room)]


def test_call_us_gets_the_pages_own_number() -> None:
    doc = _page()
    assert _added(doc, [_sentence(doc, "If your order")]) == [
        "Call the Office of Vital Records at (555) 020-2000, Monday to Friday."
    ]


def test_a_named_line_gets_the_sentence_that_names_it() -> None:
    doc = _page()
    assert _added(doc, [_sentence(doc, "After 8:00")]) == [
        "Call the Records Night Line at (555) 020-2999, every night from 8:00 p.m."
    ]


def test_someone_of_the_citizens_own_gets_no_number_of_ours() -> None:
    doc = _page()
    assert _added(doc, [_sentence(doc, "If the mistake")]) == []


def test_an_answer_that_already_gives_a_number_gets_nothing_more() -> None:
    doc = _page()
    parts = [_sentence(doc, "If your order"), _sentence(doc, "Call the Records Night Line")]
    assert _added(doc, parts) == []


def test_a_line_that_does_not_fit_is_left_out() -> None:
    doc = _page()
    assert _added(doc, [_sentence(doc, "If your order")], room=40) == []


def test_a_sentence_that_opens_with_call_us_is_read_too() -> None:
    doc = _page()
    assert _added(doc, [_sentence(doc, "Call us if")]) == [
        "Call the Office of Vital Records at (555) 020-2000, Monday to Friday."
    ]

"""The shape of an answer cut from a section longer than the budget."""

from __future__ import annotations

import numpy as np

from assistant.answer_shapes import shape_answer
from knowledge_base.loaders import load_bytes
from knowledge_base.outline import Outline, outline

PAGE = b"""---
title: Apply for unemployment benefits
---

# Apply for unemployment benefits

Unemployment Insurance pays you part of your lost wages while you look for a new job.

## Who can get unemployment benefits

You may be eligible if:

- you lost your job through no fault of your own, for example because of a layoff
- you earned at least $3,000 in wages in your base period, in at least 2 quarters
- you are able to work, available to work, and looking for work each week
- you are allowed to work in the US, and you can show it when we ask

If you quit your job, you must show that you had good cause to leave it.
"""


def _page() -> Outline:
    return outline(load_bytes("markdown", PAGE, "apply-for-unemployment-benefits"))


def _unit(doc: Outline, starts: str) -> int:
    return next(i for i in range(len(doc.units)) if doc.unit_text(i).startswith(starts))


def _texts(doc: Outline, parts: list) -> list[str]:
    return [doc.unit_text(p.index) for p in parts]


def _best_only(
    page: bytes, doc_id: str, starts: str, score: float
) -> tuple[Outline, int, np.ndarray]:
    """A page's outline, its unit starting ``starts``, and scores where only that unit scores."""
    doc = outline(load_bytes("markdown", page, doc_id))
    best = _unit(doc, starts)
    scores = np.zeros(len(doc.units), dtype=np.float32)
    scores[best] = score
    return doc, best, scores


def test_a_sentence_after_the_list_that_bears_on_the_question_is_kept() -> None:
    doc = _page()
    best = _unit(doc, "you lost your job")
    quit_ = _unit(doc, "If you quit")
    scores = np.zeros(len(doc.units), dtype=np.float32)
    scores[best], scores[quit_] = 3.0, 2.9
    shaped = shape_answer(
        doc, scores, best, "Can I get unemployment if I quit my job?", limit=300, prose=300
    )
    texts = _texts(doc, shaped.parts)
    assert shaped.shape == "list" and shaped.more
    assert texts[0] == "You may be eligible if:"
    assert texts[-1].startswith("If you quit your job")
    items = [p for p in shaped.parts if p.kind == "item"]
    assert 2 <= len(items) < 4  # the list's tail gave way, never below two items
    assert sum(len(t) for t in texts) <= 300


def test_without_such_a_sentence_the_list_is_cut_at_its_end() -> None:
    doc = _page()
    best = _unit(doc, "you lost your job")
    scores = np.zeros(len(doc.units), dtype=np.float32)
    scores[best] = 3.0  # the sentence after the list scores far below the best item
    shaped = shape_answer(doc, scores, best, "Who can get unemployment?", limit=300, prose=300)
    texts = _texts(doc, shaped.parts)
    assert shaped.more and not any(t.startswith("If you quit") for t in texts)
    assert texts[1].startswith("you lost your job") and texts[2].startswith("you earned")


PERMIT = b"""---
title: Get a building permit
---

# Get a building permit

## When you need a permit

You need a building permit for:

- new buildings and additions
- structural changes, such as removing or moving walls
- decks attached to a house

Electrical, plumbing and gas work each need a separate trade permit.

You do not need a permit for painting, new flooring, kitchen cabinets or countertops.

## Fees

A building permit costs $50.
"""


def test_the_best_sentence_below_the_lists_is_part_of_a_list_answer() -> None:
    # "Do I need a permit ..." asks a list kind of question (who or what qualifies), the
    # section is longer than the budget and has a list; the sentence that answers stands
    # two paragraphs below it.
    doc, best, scores = _best_only(PERMIT, "get-a-building-permit", "You do not need a", 4.0)
    scores[_unit(doc, "You need a building permit")] = 2.2
    shaped = shape_answer(
        doc, scores, best, "do i need a permit to redo my kitchen cabinets", limit=260, prose=260
    )
    texts = _texts(doc, shaped.parts)
    assert shaped.shape == "list"
    assert texts[0] == "You need a building permit for:" and "decks attached to a house" in texts
    assert texts[-1].startswith("You do not need a permit")
    assert not any(t.startswith("Electrical") for t in texts)  # not the best, nor bearing


def test_a_best_sentence_that_does_not_fit_beside_the_list_takes_the_lists_tail() -> None:
    doc, best, scores = _best_only(PERMIT, "get-a-building-permit", "You do not need a", 4.0)
    shaped = shape_answer(
        doc, scores, best, "do i need a permit for cabinets", limit=230, prose=230
    )
    texts = _texts(doc, shaped.parts)
    assert texts[-1].startswith("You do not need a permit") and shaped.more
    assert [p.kind for p in shaped.parts].count("item") == 2


NOISE = b"""---
title: Report a noise complaint
---

# Report a noise complaint

## Who handles which noise

- Loud parties, music, and shouting from homes at night: report to 311. Officers respond.
- Construction outside permitted hours: report to 311. An inspector is sent.
- Noisy air conditioners and other building equipment: report to 311. An inspector measures.
- Dogs barking for 10 minutes or more: report to 311. Animal Services contacts the owner.
- Noise from highways or aircraft: report it to the Department of Transportation.

## How to report

Call 311.
"""


def test_the_item_that_answers_goes_first_when_the_list_does_not_fit() -> None:
    doc, best, scores = _best_only(NOISE, "report-a-noise-complaint", "Dogs barking", 4.0)
    question = "my neighbor's dog barks all night, who do I call"
    shaped = shape_answer(doc, scores, best, question, limit=300, prose=300)
    texts = _texts(doc, shaped.parts)
    assert shaped.shape == "list" and shaped.more
    assert texts[0].startswith("Dogs barking") and texts[1].startswith("Loud parties")
    assert len(texts) >= 2 and sum(len(t) for t in texts) <= 300
    # With room for the whole list, it keeps the page's order.
    whole = shape_answer(doc, scores, best, question, limit=600, prose=300)
    assert _texts(doc, whole.parts)[0].startswith("Loud parties")


SESSIONS = b"""---
title: Property tax help for older homeowners
---

# Property tax help for older homeowners

## Free application help sessions

Volunteers trained by the Department of Finance hold free help sessions every January and February.

- When: Tuesdays and Thursdays, 10:00 a.m. to 2:00 p.m., from the second week of January
- Where: Senior Resource Center, 210 Maple Avenue, Fairhaven
- What to bring: your photo ID, last year's tax return and your property tax bill

You do not need an appointment, but people who book ahead are seen first. If you
cannot leave home, a volunteer can help you by phone or visit you at home.
"""


def test_running_text_goes_on_with_the_list_its_paragraph_leads_to() -> None:
    doc, best, scores = _best_only(
        SESSIONS, "property-tax-help-for-older-homeowners", "Volunteers trained", 3.0
    )
    question = "what days are the help sessions?"
    shaped = shape_answer(doc, scores, best, question, limit=400, prose=320)
    texts = _texts(doc, shaped.parts)
    assert shaped.shape == "prose" and shaped.more
    assert texts[0].startswith("Volunteers trained")
    assert texts[1].startswith("When: Tuesdays and Thursdays")
    assert [p.kind for p in shaped.parts[1:]] == ["item"] * (len(texts) - 1)
    assert not any(t.startswith("You do not need") for t in texts)
    # Whole items only, in the list budget.
    short = shape_answer(doc, scores, best, question, limit=200, prose=200)
    assert _texts(doc, short.parts)[1:] == [texts[1]]

"""The shape of an answer cut from a section longer than the budget."""

from __future__ import annotations

import numpy as np

from assistant.answer_shapes import Shaped, shape_answer
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


RENT = b"""---
title: Get help paying rent
---

# Get help paying rent

## Rent Relief or state emergency help?

There are two main programs for renters who are behind on rent.

- Rent Relief is for city renters on low incomes. It pays up to $6,000 in 3 to 4 weeks.
- WERA is for renters anywhere in the state with court papers. It pays up to $4,500.

If your eviction court date is within 14 days, apply to WERA first and call a lawyer.
"""


def _eviction_answer(page: bytes) -> tuple[Shaped, list[str]]:
    """The rent page asked about a court date, in 250 characters: room for the answering
    sentence and one item, or for two items without it."""
    doc, best, scores = _best_only(page, "get-help-paying-rent", "If your eviction", 4.0)
    question = "I have an eviction court date next week, can I get help with back rent?"
    shaped = shape_answer(doc, scores, best, question, limit=250, prose=250)
    return shaped, _texts(doc, shaped.parts)


def test_a_best_sentence_that_does_not_fit_even_beside_two_items_goes_before_the_list() -> None:
    shaped, texts = _eviction_answer(RENT)
    assert shaped.shape == "list" and shaped.more
    assert texts[0].startswith("There are two main programs")
    assert texts[1].startswith("If your eviction court date")
    assert texts[2].startswith("Rent Relief is") and len(texts) == 3
    assert sum(len(t) for t in texts) <= 250


PETS = b"""---
title: License your dog or cat
---

# License your dog or cat

## What you need

Bring these to the licensing counter. We check them while you wait.

- a current rabies vaccination certificate signed by a veterinarian
- proof of spaying or neutering, if you are paying the lower fee
- your name, address and phone number

Your pet's license cannot be issued if the rabies vaccination has expired.

Low-cost rabies shots are given on the first Saturday of every month. A shot costs $10.
Bring your pet on a leash or in a carrier, and come early because the line is long.

## How to get a license

Apply online or at the counter.
"""


def test_a_list_answer_fills_its_room_from_its_own_section() -> None:
    """The rest of the opening paragraph, and what follows the last piece shown, before
    the composer looks to another section; whole sentences, in the page's order."""
    doc, best, scores = _best_only(PETS, "license-your-dog-or-cat", "Your pet's license", 4.0)
    question = "my dogs rabies shot expired can i still get his licence"
    shaped = shape_answer(doc, scores, best, question, limit=420, prose=320)
    texts = _texts(doc, shaped.parts)
    assert shaped.shape == "list"
    assert texts[:2] == ["Bring these to the licensing counter.", "We check them while you wait."]
    assert texts[-3:] == [
        "Your pet's license cannot be issued if the rabies vaccination has expired.",
        "Low-cost rabies shots are given on the first Saturday of every month.",
        "A shot costs $10.",
    ]  # the next sentence would not fit
    assert sum(len(t) + 1 for t in texts) <= 420


VETERANS = b"""---
title: Benefits for veterans
---

# Benefits for veterans

Our help is always free.

## Free help from a Veterans Service Officer

A Veterans Service Officer can help you file a claim for VA disability compensation.

Veterans Service Officers work at 80 Liberty Street. Walk-ins are welcome.

## Property tax exemption

- every qualifying veteran gets a $15,000 reduction in assessed value
- veterans who served in a combat zone get an extra $10,000 reduction
"""


def test_asking_whether_help_is_free_keeps_the_section_chosen_for_it() -> None:
    doc, best, scores = _best_only(
        VETERANS, "benefits-for-veterans", "A Veterans Service Officer can", 4.0
    )
    scores[_unit(doc, "every qualifying veteran")] = 3.0  # a fee line elsewhere scores too
    free = shape_answer(
        doc, scores, best, "Can someone help me file a VA claim for free?", limit=600, prose=320
    )
    assert free.shape != "fees"
    assert _texts(doc, free.parts)[-1] == "Walk-ins are welcome."
    # Asked what something costs, the page's fee lines answer wherever they stand.
    cost = shape_answer(
        doc, scores, best, "How much is the veterans reduction?", limit=600, prose=320
    )
    assert cost.shape == "fees"
    assert any(t.startswith("every qualifying veteran") for t in _texts(doc, cost.parts))


def test_in_a_section_that_opens_with_its_list_the_answering_sentence_comes_first() -> None:
    page = RENT.replace(b"There are two main programs for renters who are behind on rent.\n\n", b"")
    shaped, texts = _eviction_answer(page)
    assert shaped.shape == "list" and shaped.more
    assert texts[0].startswith("If your eviction court date")
    assert texts[1].startswith("Rent Relief is") and len(texts) == 2


DOCUMENTS = b"""---
title: Get a REAL ID
---

# Get a REAL ID

## Documents you need

Bring original documents or certified copies.

### Proof of identity (one document)

- a certified US birth certificate issued by a state or local vital records office
- a valid US passport or passport card
- a valid permanent resident card or employment authorization document

### Proof of Social Security number (one document)

- your Social Security card
- a W-2 form, or a 1099 form showing your full Social Security number

### Proof of address (two documents)

Both must be dated within the last 90 days. Examples include a utility bill or a lease.

## How to apply

Book an appointment and visit the office.
"""


def test_a_documents_section_too_long_for_the_budget_names_every_kind_of_document() -> None:
    doc, best, scores = _best_only(DOCUMENTS, "get-a-real-id", "Bring original", 3.0)
    shaped = shape_answer(
        doc, scores, best, "What documents do I need for a REAL ID?", limit=330, prose=330
    )
    texts = _texts(doc, [p for p in shaped.parts if not p.heads])
    headings = [doc.sections[p.index].heading for p in shaped.parts if p.heads]
    assert shaped.shape == "digest" and shaped.more
    assert headings == [
        "Proof of identity (one document)",
        "Proof of Social Security number (one document)",
        "Proof of address (two documents)",
    ]
    # Each kind's first document, in the page's order; the first list is not whole.
    assert texts[0] == "Bring original documents or certified copies."
    assert texts[1].startswith("a certified US birth certificate")
    assert "a valid permanent resident card or employment authorization document" not in texts
    assert texts.index("your Social Security card") > texts.index(texts[1])
    assert texts[-1].startswith("Both must be dated")
    assert sum(len(t) + 3 for t in texts) + sum(len(h) + 4 for h in headings) <= 330


def test_a_documents_section_that_fits_is_given_whole() -> None:
    doc, best, scores = _best_only(DOCUMENTS, "get-a-real-id", "Bring original", 3.0)
    shaped = shape_answer(
        doc, scores, best, "What documents do I need for a REAL ID?", limit=800, prose=320
    )
    assert shaped.shape == "section" and not shaped.more


def test_a_list_question_outside_a_documents_section_keeps_its_list() -> None:
    # "What to bring" sits beside "The road test": only the list answers.
    page = b"""---
title: Get a learner permit
---

# Get a learner permit

## Get a learner permit

You can apply at age 16 or older.

### What to bring

- proof of identity, such as a certified US birth certificate or a US passport
- proof of your Social Security number, such as your Social Security card
- two documents showing your address, such as a utility bill or a bank statement
- if you are under 18, a parent or guardian, who must sign the consent form

### The knowledge test

The knowledge test has 30 multiple-choice questions about road signs and traffic laws.
"""
    doc, best, scores = _best_only(page, "learner", "You can apply", 3.0)
    shaped = shape_answer(
        doc, scores, best, "What do I need to bring for a learner permit?", limit=420, prose=320
    )
    texts = _texts(doc, shaped.parts)
    assert shaped.shape == "list"
    assert any(t.startswith("if you are under 18") for t in texts)
    assert not any(t.startswith("The knowledge test") for t in texts)


FEES = b"""---
title: Renew your driver's license
---

# Renew your driver's license

## Fees

The renewal fee depends on your age.

- Drivers aged 21 to 64 pay $42 to renew for 8 years.
- Drivers aged 65 to 79 pay $21 to renew for 4 years.
- Drivers aged 80 and over pay $12 to renew for 2 years.
- A motorcycle endorsement adds $8 to any renewal.

### Late fees

If your license expired more than 60 days ago, you pay a $15 late fee.
"""


def test_the_fee_line_a_question_names_survives_the_budget_in_the_pages_order() -> None:
    doc = outline(load_bytes("markdown", FEES, "renew"))
    late = _unit(doc, "If your license expired")
    scores = np.full(len(doc.units), 1.0, dtype=np.float32)
    scores[late] = 3.0
    shaped = shape_answer(doc, scores, late, "how much is the late fee?", limit=230, prose=230)
    texts = _texts(doc, shaped.parts)
    assert shaped.shape == "fees" and shaped.more
    assert texts[-1].startswith("If your license expired")  # shown where the page has it
    assert any(t.startswith("Drivers aged 21 to 64") for t in texts)
    assert not any(t.startswith("A motorcycle endorsement") for t in texts)  # gave way


def test_a_ways_first_sentence_ending_in_a_colon_keeps_what_it_introduces() -> None:
    page = b"""---
title: Get a birth certificate
---

# Get a birth certificate

## Ways to get a copy

### In person

Visit the City Clerk at City Hall, Room 110.

### By mail

Send the request form and a check for $18 to:

Fairhaven City Clerk, Vital Records, 100 Harbor Street, Fairhaven

Mail requests are processed within 2 weeks.
"""
    doc, best, scores = _best_only(page, "birth", "Visit the City Clerk", 3.0)
    shaped = shape_answer(doc, scores, best, "How do I get a copy?", limit=400, prose=320)
    texts = _texts(doc, [p for p in shaped.parts if not p.heads])
    assert shaped.shape == "ways"
    at = texts.index("Send the request form and a check for $18 to:")
    assert texts[at + 1].startswith("Fairhaven City Clerk, Vital Records")
    assert not any(t.startswith("Mail requests") for t in texts)  # a way shows its opening


RENEW = b"""---
title: Renew your driver's license
---

# Renew your driver's license

## Who can renew online

You can renew online at dmv.example if all of these are true:

- you are aged 21 to 79
- your license is not suspended or revoked

To renew online you need your license number.

## Renew in person

You can renew in person at the DMV Office, 700 Industrial Parkway.
"""


def test_a_way_that_opens_with_a_list_is_given_with_its_list_when_every_way_fits() -> None:
    doc, best, scores = _best_only(RENEW, "renew", "You can renew online", 3.0)
    question = "How do I renew my driver's license?"
    shaped = shape_answer(doc, scores, best, question, limit=400, prose=320)
    assert shaped.shape == "ways"
    labels = [doc.sections[p.index].heading for p in shaped.parts if p.heads]
    assert labels == ["Who can renew online", "Renew in person"]
    assert all(p.kind == "heading" for p in shaped.parts if p.heads)
    texts = _texts(doc, [p for p in shaped.parts if not p.heads])
    assert texts[:3] == [
        "You can renew online at dmv.example if all of these are true:",
        "you are aged 21 to 79",
        "your license is not suspended or revoked",
    ]
    assert texts[-1].startswith("You can renew in person")
    # Too little room for the list: each way's heading and first sentence, as before.
    compact = shape_answer(doc, scores, best, question, limit=200, prose=200)
    assert compact.shape == "ways"
    assert [p.kind for p in compact.parts] == ["way", "sentence", "way", "sentence"]


SNOW = b"""---
title: Snow emergencies
---

# Snow emergencies

## Parking in a snow emergency

During a snow emergency, residents can park for free in the Market Street Garage.

Cars left on a snow emergency route are towed to the City Impound Lot, 900 Mill Street.

- The towing fee is $175.

## Sidewalks

Clear your sidewalk within 24 hours after the snow stops.
"""


def test_running_text_goes_on_into_its_sections_next_paragraph_while_it_fits() -> None:
    doc, best, scores = _best_only(SNOW, "snow-emergencies", "During a snow emergency", 3.0)
    question = "where do I park during a snow emergency?"
    # The whole section (about 200 characters) does not fit; its two paragraphs do.
    shaped = shape_answer(doc, scores, best, question, limit=180, prose=180)
    texts = _texts(doc, shaped.parts)
    assert shaped.shape == "prose"
    assert texts == [
        "During a snow emergency, residents can park for free in the Market Street Garage.",
        "Cars left on a snow emergency route are towed to the City Impound Lot, 900 Mill Street.",
    ]
    # Never past a list, a heading or the budget; the list left out is "more" to read.
    assert not any(t.startswith(("The towing fee", "Clear your")) for t in texts)
    assert shaped.more
    short = shape_answer(doc, scores, best, question, limit=180, prose=120)
    assert _texts(doc, short.parts) == texts[:1]


TICKET = b"""---
title: Pay a parking ticket
---

# Pay a parking ticket

## Payment plans

If you owe $300 or more in parking tickets, you can set up a payment plan.

## Late penalties

- If a ticket is not paid within 30 days, a $20 late penalty is added.
- If a ticket is still unpaid after 60 days, a second penalty of $40 is added.
"""


def test_a_section_shaped_on_its_own_gives_its_own_fee_lines() -> None:
    doc = outline(load_bytes("markdown", TICKET, "pay-a-parking-ticket"))
    plan, late = _unit(doc, "If you owe"), _unit(doc, "If a ticket is not paid")
    scores = np.zeros(len(doc.units), dtype=np.float32)
    scores[plan], scores[late] = 3.0, 2.0
    question = "how much do I owe now?"
    # Asked of the page, the fee shape goes where the best fee line is ...
    page = shape_answer(doc, scores, late, question, limit=300, prose=300)
    assert _texts(doc, page.parts) == [doc.unit_text(plan)]
    # ... asked of the late penalties alone (the page's runner-up section, after an
    # answer that gave the payment plan), it gives their lines.
    own = shape_answer(doc, scores, late, question, limit=300, prose=300, own_section=True)
    texts = _texts(doc, own.parts)
    assert own.shape == "fees" and doc.unit_text(plan) not in texts
    assert any("$20 late penalty" in t for t in texts) and any("$40" in t for t in texts)


EBT = b"""---
title: Food assistance
---

# Food assistance

## Using your benefits

You can buy most food, including fruit, vegetables, meat, dairy and bread. You cannot buy
alcohol, tobacco or hot prepared food. The Fresh Match program doubles your EBT spending at
farmers markets. If your EBT card is lost or stolen, call EBT Customer Service at
(555) 020-3200 to cancel it. They send a new card within 5 days.

## Other help

Food banks give free groceries to anyone who needs them, with no questions asked. Find one
near you at food.example, or call 211 at any time of the day or night.
"""


def test_running_text_starts_at_the_answer_not_at_the_paragraphs_start() -> None:
    """The sentences before the best one come only when it leans on them: "If your EBT
    card is lost" needs no list of what EBT buys; "They send a new card" needs its
    subject."""
    doc, best, scores = _best_only(EBT, "food", "If your EBT card", 3.0)
    shaped = shape_answer(doc, scores, best, "I lost my EBT card", limit=200, prose=200)
    assert shaped.shape == "prose"
    assert _texts(doc, shaped.parts)[0].startswith("If your EBT card is lost")
    assert not any(
        t.startswith(("You can buy", "The Fresh Match")) for t in _texts(doc, shaped.parts)
    )
    doc, leaning, scores = _best_only(EBT, "food", "They send", 3.0)
    shaped = shape_answer(doc, scores, leaning, "when is a new card sent", limit=200, prose=200)
    assert _texts(doc, shaped.parts) == [
        "If your EBT card is lost or stolen, call EBT Customer Service at (555) 020-3200 to "
        "cancel it.",
        "They send a new card within 5 days.",
    ]

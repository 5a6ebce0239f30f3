"""What a question asks for, the citizen's situation, and the questions inside one message."""

from __future__ import annotations

import pytest

from assistant.answer_types import (
    AnswerType,
    asks_what_it_is,
    expected_types,
    heading_suits,
    phrased_as_a_question,
    question_parts,
    situation,
    without_street_names,
)


@pytest.mark.parametrize(
    ("question", "wanted", "unwanted"),
    [
        ("How much does it cost to renew?", {AnswerType.COST}, {AnswerType.STEPS}),
        ("is it free?", {AnswerType.COST}, set()),
        ("When is property tax due?", {AnswerType.TIME}, set()),
        ("How early can I renew my license?", {AnswerType.TIME}, set()),
        ("Where is the DMV office?", {AnswerType.PLACE}, set()),
        ("What documents do I need for a REAL ID?", {AnswerType.NEEDS}, {AnswerType.STEPS}),
        ("How do I pay my water bill?", {AnswerType.STEPS}, set()),
        ("How old do you have to be to get a permit?", {AnswerType.ELIGIBILITY}, set()),
        ("There's a pothole on Elm Street", {AnswerType.PROBLEM}, set()),
        # "last night" and "open a business" tell the story, they do not ask when
        (
            "my car got towed in the snow emergency last night",
            {AnswerType.PROBLEM},
            {AnswerType.TIME},
        ),
        ("Do I need a license to open a bakery?", {AnswerType.ELIGIBILITY}, {AnswerType.TIME}),
        ("is the library open on Sundays", {AnswerType.TIME}, set()),
        ("how long does a learner permit last?", {AnswerType.TIME}, set()),
        ("my water bill is way too high", {AnswerType.PROBLEM}, set()),
        # A free library card is about who gets one, not about a price.
        ("Can I get a free library card if I work here?", set(), {AnswerType.COST}),
        (
            "Is lunch at the senior center free or do I have to pay something?",
            {AnswerType.COST},
            set(),
        ),
        ("Do I have to pay anything to apply?", {AnswerType.COST}, set()),
        ("is there a penalty if I renew it now?", {AnswerType.COST}, set()),
        # "can I" after where, when or how asks for a place, a time or the steps.
        ("Where can I get a REAL ID?", {AnswerType.PLACE}, {AnswerType.ELIGIBILITY}),
        ("When can I renew my registration?", {AnswerType.TIME}, {AnswerType.ELIGIBILITY}),
        ("How can I pay my water bill?", {AnswerType.STEPS}, {AnswerType.ELIGIBILITY}),
        ("¿Dónde puedo pagar mi factura?", {AnswerType.PLACE}, {AnswerType.ELIGIBILITY}),
        # "can I" with a way asks for the way as much as for who may use it
        ("Can I renew online?", {AnswerType.ELIGIBILITY, AnswerType.STEPS}, set()),
        ("can I pay my parking ticket over the phone?", {AnswerType.STEPS}, {AnswerType.CONTACT}),
        ("could we get the dog license at our vet?", {AnswerType.STEPS}, set()),
        ("Can I get a free library card if I work here?", set(), {AnswerType.STEPS}),
        ("What do I need to apply for Medicaid?", {AnswerType.NEEDS}, {AnswerType.ELIGIBILITY}),
        ("Do I need a permit for a fence?", {AnswerType.ELIGIBILITY}, set()),
        ("¿Puedo votar por correo?", {AnswerType.ELIGIBILITY, AnswerType.STEPS}, set()),
        # Question words as they are often typed ask what the spelt-out ones ask.
        ("wat do i need to aply for unemployment", {AnswerType.NEEDS}, {AnswerType.PROBLEM}),
        ("wen is trash pickup", {AnswerType.TIME}, {AnswerType.PROBLEM}),
        ("were can i get a cheap rabies shot", {AnswerType.PLACE}, {AnswerType.ELIGIBILITY}),
        ("hw do i renew my registration", {AnswerType.STEPS}, {AnswerType.PROBLEM}),
        ("how long dose it take", {AnswerType.TIME}, set()),
        # ... and "were" or "dose" used as themselves are left alone.
        ("we were charged twice for the same ticket", {AnswerType.PROBLEM}, {AnswerType.PLACE}),
        ("the dose of rabies vaccine my vet gave", {AnswerType.PROBLEM}, set()),
    ],
)
def test_what_a_question_asks_for(
    question: str, wanted: set[AnswerType], unwanted: set[AnswerType]
) -> None:
    kinds = expected_types(question)
    assert wanted <= kinds
    assert not unwanted & kinds


@pytest.mark.parametrize(
    ("question", "line", "fits"),
    [
        ("I'm 70, how much is a renewal?", "Drivers aged 65 to 79 pay $21 for 4 years.", True),
        ("I'm 70, how much is a renewal?", "Drivers aged 80 and over pay $12.", False),
        ("I am 84 years old", "Drivers aged 80 and over pay $12.", True),
        ("my son is 15", "Children under 16 ride free.", True),
        (
            "a used pickup (about 5,000 lbs)",
            "A pickup weighing 4,001 to 6,000 pounds costs $86 to register.",
            True,
        ),
        ("a used pickup (about 5,000 lbs)", "A vehicle of 4,000 pounds or less costs $64.", False),
        ("how much is a license?", "Drivers aged 21 to 64 pay $42.", False),
    ],
)
def test_the_line_for_the_citizens_situation(question: str, line: str, fits: bool) -> None:
    assert situation(question).fits(line) is fits


@pytest.mark.parametrize(
    ("question", "line", "rule"),
    [
        (
            "how many hours do i need before my road test im 17",
            "Drivers under 18 must hold the permit for at least 6 months.",
            1,
        ),
        (
            "how many hours do i need before my road test im 17",
            "Drivers aged 18 and over must hold the permit for at least 30 days.",
            -1,
        ),
        ("My dad turns 81 next month", "Drivers aged 80 and over must renew in person.", 1),
        # A range of days is not an age rule; a question without an age has none.
        ("I'm 70, when do I pay?", "You have 30 to 60 days to pay.", 0),
        ("when do I pay?", "Drivers aged 80 and over must renew in person.", 0),
    ],
)
def test_a_line_states_an_age_rule_for_the_citizen_or_for_others(
    question: str, line: str, rule: int
) -> None:
    assert situation(question).age_rule(line) == rule


def test_a_message_that_asks_two_things_is_two_questions() -> None:
    assert question_parts("How much is a street vendor license and when do I renew it?") == [
        "How much is a street vendor license",
        "when do I renew it?",
    ]
    assert question_parts("Do I need an appointment? Will the paper license work at the airport?")[
        1
    ].startswith("Will the paper license")
    # "and" between two things is not two questions.
    assert question_parts("Can I apply for Medicaid and food stamps together?") == [
        "Can I apply for Medicaid and food stamps together?"
    ]
    # Nor is "can't" after "and" the start of another question.
    mom = "my mom is 80 and can't drive anymore, how can she get to her doctor"
    assert question_parts(mom) == [mom]
    assert question_parts("Can I pay online and can I pay by phone?") == [
        "Can I pay online",
        "can I pay by phone?",
    ]
    # A mistyped question word still starts a question of its own.
    assert question_parts("wheres the housing court help desk and wat time is it open") == [
        "where's the housing court help desk",
        "what time is it open",
    ]


@pytest.mark.parametrize(
    ("path", "own", "suits"),
    [
        ("How to apply", "", True),
        ("Ways to register", "", True),
        ("After you register", "", False),  # what follows the steps, not the steps
        ("How to apply What happens next", "What happens next", False),
        ("Once you apply", "", False),
        ("Who can get a free card", "", False),  # who may, though it says "get"
        ("How to get a card Who can renew online", "Who can renew online", False),
        ("How to get a card", "", True),
    ],
)
def test_a_heading_about_what_follows_the_steps_does_not_suit_a_how_to(
    path: str, own: str, suits: bool
) -> None:
    assert heading_suits(AnswerType.STEPS, path, own) is suits


@pytest.mark.parametrize(
    ("question", "defining"),
    [
        ("What is 311?", True),
        ("what's WERA", True),
        ("What are FairFare cards?", True),
        ("What is the fee?", False),  # asks for an amount
        ("What is WERA and how much can it pay?", False),  # two questions, asked in parts
        ("What documents do I need?", False),
    ],
)
def test_a_question_asking_what_something_is(question: str, defining: bool) -> None:
    assert asks_what_it_is(question) is defining


@pytest.mark.parametrize(
    ("message", "left"),
    [
        ("There's a pothole on Elm Street", "There's a pothole on"),
        ("pothole at 123 North Maple Ave.", "pothole at"),
        ("a tree fell on Oak Lane. Who removes it?", "a tree fell on . Who removes it?"),
        ("Who fixes potholes on Route 9?", "Who fixes potholes on Route 9?"),  # a road's kind
        ("The Street Tree program", "The Street Tree program"),  # a name, not an address
    ],
)
def test_street_names_are_where_not_what(message: str, left: str) -> None:
    assert " ".join(without_street_names(message).split()) == left


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("How do I renew my license?", True),
        ("my license expired, can I still drive?", True),
        ("wen is trash pickup", True),
        ("¿Cómo solicito SNAP", True),
        ("my EBT card got stolen out of my purse", False),
        ("food truck permit cost", False),
        ("my registration expired last week can i still drive the car", False),
    ],
)
def test_a_message_phrased_as_a_question(message: str, question: bool) -> None:
    assert phrased_as_a_question(message) is question

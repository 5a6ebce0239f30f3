"""What a question asks for, the citizen's situation, and the questions inside one message."""

from __future__ import annotations

import pytest

from assistant.answer_types import AnswerType, expected_types, question_parts, situation


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
        ("There's a pothole on Elm Street", {AnswerType.PROBLEM}, set()),
        ("my water bill is way too high", {AnswerType.PROBLEM}, set()),
        # A free library card is about who gets one, not about a price.
        ("Can I get a free library card if I work here?", set(), {AnswerType.COST}),
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

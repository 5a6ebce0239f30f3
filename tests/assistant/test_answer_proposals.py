"""A caseworker's answer as editors get it: no greeting, sign-off or personal data."""

from __future__ import annotations

import pytest

from assistant.editorial.proposals import clean_answer

CASES = [
    # (reply as sent, what identifies someone in it)
    (
        "Hi Maria,\nthis is Sam Rivera. You can renew online.\nThanks, Sam",
        ["Maria", "Sam", "Rivera"],
    ),
    ("Hello José Hernández! Fees are $20. Email me at sam.r@city.example.", ["José", "sam.r"]),
    ("Your SSN 123-45-6789 is on file; permits cost $25.", ["123-45-6789"]),
    ("We called 555-123-4567 and (555) 987-6543.", ["555-123-4567", "987-6543"]),
    (
        "Your account number 99887766 is fine. Born on 01/02/1980, you qualify.",
        ["99887766", "1980"],
    ),
    ("I posted it to 14 Elm Street, Apt 3.", ["14 Elm"]),
    ("The card 4111 1111 1111 1111 was charged.", ["4111"]),
    ("Hola Ana, su número de seguro social 123-45-6789 está bien. Saludos, Sam", ["Ana", "6789"]),
    ("Your daughter Lucy can apply too.", ["Lucy"]),
    ("Sam here: your callback +1 202 555 0143 is noted.", ["Sam", "0143"]),
]


@pytest.mark.parametrize(("reply", "personal"), CASES)
def test_nothing_personal_is_left(reply: str, personal: list[str]) -> None:
    cleaned = clean_answer(reply, known=["Sam Rivera", "Sam", "Rivera", "+1 202 555 0143"])
    for value in personal:
        assert value not in cleaned, (value, cleaned)


def test_the_answer_itself_is_kept() -> None:
    reply = "Hi Maria, this is Sam.\n\nYou can renew online for $25.\n\nKind regards, Sam Rivera"
    assert clean_answer(reply, known=["Sam Rivera", "Sam", "Rivera"]) == (
        "You can renew online for $25."
    )
    assert clean_answer("Hello Jane, thanks!") == ""

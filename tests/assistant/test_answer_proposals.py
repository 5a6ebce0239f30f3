"""A caseworker's answer as editors get it: no greeting, sign-off or personal data."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from assistant.editorial.proposals import clean_answer
from assistant.events import InProcessEventBus
from assistant.handoffs import HandoffError, HandoffQueue
from assistant.models import AnswerProposal, Message
from assistant.staff import Role, Staff
from assistant.store import ConversationStore, take_seq

PASSWORD = "a long enough password"

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
    # A closing line goes, with the lines under it; a reply that starts with thanks stays.
    assert clean_answer("Apply online.\nThanks,\nSam\nCity of Fairhaven") == "Apply online."
    assert clean_answer("Thanks! Ask Animal Services.") == "Thanks! Ask Animal Services."
    assert clean_answer("Thanks for waiting. Apply online.") == "Thanks for waiting. Apply online."
    # An introduction goes only when it names the caseworker; a greeting takes a name along.
    assert clean_answer("This is done at the DMV.") == "This is done at the DMV."
    assert clean_answer("Good morning Mr Smith! I am Sam. Apply online.", known=["Sam"]) == (
        "Apply online."
    )


# ---------------------------------------------------------------- offered on resolving


def _said(engine: Engine, conversation_id: str, *turns: tuple[str, str, str | None]) -> None:
    """Messages as the assistant stores them: (role, text, status)."""
    with Session(engine) as session, session.begin():
        for role, text, status in turns:
            seq = take_seq(session, conversation_id)
            session.add(
                Message(
                    conversation_id=conversation_id,
                    role=role,
                    text=text,
                    status=status,
                    seq=seq,
                    channel="web",
                )
            )


def test_resolving_with_an_offer_keeps_the_gap_question_and_the_answer_redacted(
    engine: Engine,
) -> None:
    store, staff = ConversationStore(engine), Staff(engine)
    queue = HandoffQueue(engine, staff=staff, events=InProcessEventBus())
    sam = staff.create(
        username="sam", password=PASSWORD, role=Role.CASEWORKER, display_name="Sam Rivera"
    )
    conversation = store.create(channel="web")
    _said(
        engine,
        conversation,
        ("citizen", "hello", None),
        ("assistant", "Hi! What can I help with?", "smalltalk_greeting"),
        ("citizen", "my email is [EMAIL], how do I register a llama?", None),
        ("assistant", "I could not find that.", "unanswerable_no_content"),
        ("citizen", "Can I renew my license online?", None),
        ("assistant", "Yes, you can renew online.", "answered"),
        ("citizen", "I want to talk to a person", None),
        ("assistant", "A caseworker will be with you.", "handoff_requested"),
    )
    handoff = queue.open(
        conversation_id=conversation,
        channel="web",
        reasons=["requested"],
        priority=10,
        summary="",
        team="General",
    )
    queue.claim(handoff.id, sam)
    with pytest.raises(HandoffError, match="Reply to the citizen first"):
        queue.resolve(handoff.id, sam, propose_answer=True)
    assert queue.get(handoff.id).state == "claimed"  # nothing half done
    queue.reply(handoff.id, sam, "Hi Maria, this is Sam Rivera.")
    queue.reply(handoff.id, sam, "Llamas are registered with Animal Services. Call 555-123-4567.")
    assert queue.resolve(handoff.id, sam, propose_answer=True).state == "resolved"

    with Session(engine) as session:
        (offer,) = session.scalars(select(AnswerProposal)).all()
    # The question the assistant could not answer, not the later one it did answer.
    assert offer.question == "my email is [EMAIL], how do I register a llama?"
    assert offer.gap_status == "unanswerable_no_content"
    assert offer.answer == "Llamas are registered with Animal Services. Call [PHONE]."
    assert offer.handoff_id == handoff.id and offer.proposed_by == "sam"
    assert offer.state == "open"

"""The turn's last stages: bringing in a person, and what a stored reply records of its turn.

Real model, index, store and handoff queue (each test its own copy of the data dir).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.container import Container
from assistant.models import Message
from assistant.people import BringInAPerson
from assistant.settings import Settings
from assistant.staff import Role
from assistant.turns import InboundMessage, Status, TurnContext

PASSWORD = "a long enough password"


def staffed(settings: Settings) -> Container:
    """A container whose caseworkers are always on duty, one of them signed in."""
    container = Container(settings.model_copy(update={"staff_hours": "always"}))
    container.staff.create(username="casey", password=PASSWORD, role=Role.CASEWORKER)
    assert container.staff.sign_in("casey", PASSWORD) is not None
    return container


def replies(container: Container, conversation: str) -> list[Message]:
    with Session(container.engine) as session:
        return list(
            session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation, Message.role == "assistant")
                .order_by(Message.id)
            )
        )


def test_asking_for_a_person_opens_a_handoff_in_the_turn(settings: Settings) -> None:
    container = staffed(settings)
    reply = container.assistant.handle(InboundMessage("web", "I want to talk to a real person"))
    assert reply.status is Status.HANDOFF_REQUESTED
    assert reply.handoff is not None and reply.handoff.position == 1
    assert container.handoffs.open_for(reply.conversation_id) is not None
    (stored,) = replies(container, reply.conversation_id)
    assert stored.timings_ms is not None and "bring_in_a_person" in stored.timings_ms


def test_with_nobody_on_duty_a_call_back_is_offered_and_nothing_queued(
    settings: Settings,
) -> None:
    container = Container(settings)  # nobody signed in
    reply = container.assistant.handle(InboundMessage("web", "I want to talk to a real person"))
    assert reply.status is Status.HANDOFF_CALLBACK_OFFERED
    assert reply.handoff is None
    assert container.handoffs.open_for(reply.conversation_id) is None


def test_a_turn_outside_a_stored_conversation_brings_in_nobody(settings: Settings) -> None:
    container = staffed(settings)
    stage = BringInAPerson(container.people)
    ctx = TurnContext(message=InboundMessage("cli", "a person please"), text="a person please")
    ctx.finish(Status.ANSWERED, "an answer")
    ctx.handoff_reasons = ["requested"]
    stage(ctx)  # `ask` and the editors' preview: no conversation to hand over
    assert ctx.status is Status.ANSWERED and ctx.handoff is None


def test_a_stored_reply_records_its_stage_timings_and_decision_signals(
    container: Container,
) -> None:
    reply = container.assistant.handle(InboundMessage("web", "How do I renew my driver's license?"))
    assert reply.status is Status.ANSWERED
    (stored,) = replies(container, reply.conversation_id)
    assert stored.timings_ms is not None
    assert {"retrieve", "compose", "answerability", "escalate"} <= set(stored.timings_ms)
    assert all(v >= 0 for v in stored.timings_ms.values())
    assert stored.signals is not None
    assert stored.signals["confidence"] == round(reply.confidence, 4)
    assert {"dense_agrees", "unit_score", "top_cosine"} <= set(stored.signals)


def test_the_privacy_note_is_a_stage_of_the_turn(container: Container) -> None:
    reply = container.assistant.handle(
        InboundMessage("web", "my SSN is 123-45-6789, how do I apply for SNAP?")
    )
    assert reply.text.startswith("For your safety I removed your Social Security number")
    assert "note_privacy" in reply.timings_ms

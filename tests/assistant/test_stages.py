"""Each stage of the turn on its own, over a TurnContext, with the real components it
needs (the model, the index of the bundled sample, the fitted answer model)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.container import Container
from assistant.escalation import Reason
from assistant.stages import (
    Answerability,
    Compose,
    Contextualise,
    Escalate,
    InputGuardrails,
    NotePrivacy,
    OutputGuardrails,
    Retrieve,
    RouteMessage,
    ScopeCheck,
    Stage,
)
from assistant.turns import InboundMessage, PastTurn, Route, Status, TurnContext

LICENCE = "How do I renew my driver's license?"


def turn(text: str, history: list[PastTurn] | None = None) -> TurnContext:
    return TurnContext(message=InboundMessage("test", text), text=text, history=history or [])


def stage(container: Container, kind: type) -> Stage:
    """The container's own instance of a stage (as the product wires it)."""
    pipeline = container.pipeline
    return next(s for s in [*pipeline.stages, *pipeline.after] if isinstance(s, kind))


def up_to(container: Container, ctx: TurnContext, last: type) -> TurnContext:
    """Run the product's stages over ``ctx`` until (and including) the ``last`` kind."""
    for s in container.pipeline.stages:
        s(ctx)
        if isinstance(s, last) or ctx.finished:
            break
    return ctx


# ---- input guardrails -------------------------------------------------------------------
def test_input_guardrails_redact_and_keep_the_question(shared_container: Container) -> None:
    ctx = turn("my SSN is 123-45-6789 and I need help with SNAP")
    stage(shared_container, InputGuardrails)(ctx)
    assert "123-45-6789" not in ctx.said and "123-45-6789" not in ctx.text
    assert "SNAP" in ctx.text and ctx.redactions and not ctx.finished


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("I want to kill myself", Status.GUARDRAIL_CRISIS),
        ("you are a useless piece of shit", Status.GUARDRAIL_ABUSE),
    ],
)
def test_input_guardrails_end_a_crisis_or_abuse_at_once(
    shared_container: Container, text: str, status: Status
) -> None:
    ctx = turn(text)
    stage(shared_container, InputGuardrails)(ctx)
    assert ctx.status is status and ctx.reply_text


# ---- contextualise ----------------------------------------------------------------------
def test_contextualise_carries_the_conversation_but_not_canned_replies() -> None:
    history = [
        PastTurn(role="citizen", text=LICENCE),
        PastTurn(
            role="assistant",
            text="Renew online [1].",
            status="answered",
            cited_docs=("renew-drivers-license",),
        ),
        PastTurn(role="citizen", text="hello"),
        PastTurn(role="assistant", text="Hello! Ask me anything.", status="smalltalk_greeting"),
    ]
    ctx = turn("how much is it?", history)
    Contextualise(turns=4)(ctx)
    query = ctx.retrieval_query
    assert query is not None
    assert query.history == (LICENCE, "Renew online.", "hello")  # no greeting, no [1]
    assert query.focus_docs == ("renew-drivers-license",)


# ---- route ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "route", "status"),
    [
        ("hi", Route.GREETING, Status.SMALLTALK_GREETING),
        ("thanks!", Route.THANKS, Status.SMALLTALK_THANKS),
        ("I want to talk to a real person", Route.HUMAN, Status.HANDOFF_REQUESTED),
        (LICENCE, Route.QUESTION, None),
    ],
)
def test_route_answers_small_talk_and_passes_questions_on(
    shared_container: Container, text: str, route: Route, status: Status | None
) -> None:
    ctx = turn(text)
    stage(shared_container, RouteMessage)(ctx)
    assert ctx.route is route and ctx.status is status


# ---- retrieve and scope -----------------------------------------------------------------
def test_retrieve_finds_the_page_and_records_its_scores(shared_container: Container) -> None:
    ctx = up_to(shared_container, turn(LICENCE), Retrieve)
    assert ctx.retrieval is not None and not ctx.finished
    assert ctx.retrieval.hits[0].chunk.doc_id == "renew-drivers-license"
    assert 0 < ctx.scores["top_cosine"] <= 1


def test_scope_check_ends_an_off_topic_question(shared_container: Container) -> None:
    ctx = up_to(shared_container, turn("What is the capital of France?"), ScopeCheck)
    assert ctx.status is Status.UNANSWERABLE_OUT_OF_SCOPE
    assert ctx.scores["off_topic"] > ctx.scores["on_topic"]


def test_scope_check_lets_a_short_follow_up_through(shared_container: Container) -> None:
    history = [PastTurn(role="citizen", text=LICENCE)]
    ctx = up_to(shared_container, turn("where do I go?", history), ScopeCheck)
    assert not ctx.finished and "off_topic" not in ctx.scores


# ---- compose, answerability, output check -----------------------------------------------
def test_compose_quotes_the_page_with_citations(shared_container: Container) -> None:
    ctx = up_to(shared_container, turn(LICENCE), Compose)
    assert ctx.answer is not None and ctx.citations
    assert ctx.reply_text == ctx.answer.text
    assert ctx.citations[0].doc_id == "renew-drivers-license"


def test_answerability_declines_below_the_threshold(shared_container: Container) -> None:
    ctx = up_to(shared_container, turn(LICENCE), Compose)
    strict = replace_threshold(stage(shared_container, Answerability), 1.01)
    strict(ctx)
    assert ctx.status is Status.UNANSWERABLE_LOW_CONFIDENCE
    assert ctx.answer is None and ctx.declined is not None and not ctx.citations
    assert 0 < ctx.confidence < 1 and "confidence" in ctx.scores


def test_answerability_lets_a_likely_answer_through(shared_container: Container) -> None:
    ctx = up_to(shared_container, turn(LICENCE), Answerability)
    assert not ctx.finished and ctx.answer is not None
    assert ctx.confidence >= shared_container.min_confidence


def test_the_output_check_refuses_a_sentence_the_source_does_not_say(
    shared_container: Container,
) -> None:
    ctx = up_to(shared_container, turn(LICENCE), Answerability)
    assert ctx.answer is not None
    first = ctx.answer.sentences[0]
    forged = replace(first, text="Renewal is free for everyone this year.")
    ctx.answer = replace(ctx.answer, sentences=[forged, *ctx.answer.sentences[1:]])
    stage(shared_container, OutputGuardrails)(ctx)
    assert ctx.status is Status.GUARDRAIL_UNSUPPORTED_ANSWER and not ctx.citations


def test_the_output_check_passes_a_quoted_answer(shared_container: Container) -> None:
    ctx = up_to(shared_container, turn(LICENCE), OutputGuardrails)
    assert ctx.status is Status.ANSWERED


# ---- after every turn -------------------------------------------------------------------
def test_escalate_after_a_second_unanswered_turn(shared_container: Container) -> None:
    history = [
        PastTurn(role="citizen", text="How do I get a passport?"),
        PastTurn(role="assistant", text="Sorry…", status="unanswerable_low_confidence"),
    ]
    ctx = turn("How do I register my boat?", history)
    ctx.finish(Status.UNANSWERABLE_LOW_CONFIDENCE, "Sorry…")
    stage(shared_container, Escalate)(ctx)
    assert str(Reason.UNANSWERED_TWICE) in ctx.handoff_reasons


def test_escalate_leaves_an_answered_question_alone(shared_container: Container) -> None:
    ctx = turn(LICENCE)
    ctx.finish(Status.ANSWERED, "Renew online.")
    stage(shared_container, Escalate)(ctx)
    assert ctx.handoff_reasons == []


def test_the_privacy_note_goes_above_the_reply_but_not_above_a_crisis_reply() -> None:
    ctx = turn("how do I apply for SNAP?")
    ctx.redactions = ["ssn"]
    ctx.finish(Status.ANSWERED, "Apply online.")
    NotePrivacy()(ctx)
    assert ctx.reply_text.startswith("For your safety") and ctx.reply_text.endswith("online.")
    crisis = turn("help")
    crisis.redactions = ["ssn"]
    crisis.finish(Status.GUARDRAIL_CRISIS, "Call 988.")
    NotePrivacy()(crisis)
    assert crisis.reply_text == "Call 988."


def replace_threshold(answerability: Stage, threshold: float) -> Answerability:
    assert isinstance(answerability, Answerability)
    return Answerability(
        answerability.model,
        min_confidence=threshold,
        caveat_below=answerability.caveat_below,
        replies=answerability.replies,
    )

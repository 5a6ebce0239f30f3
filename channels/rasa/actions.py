"""Rasa custom actions: answer from the knowledge base, and hand over to a person.

Loaded by rasa-sdk (``python -m rasa_sdk --actions channels.rasa.actions`` or
``citizen-assistant rasa-actions``). Importing this module is cheap: the model, the index
and the database are built on the first action call, once per process, from ``CA_``
settings like every other entry point.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant import canned
from assistant.container import Container
from assistant.settings import Settings
from assistant.turns import InboundMessage, OutboundReply, Status, TurnContext
from channels.rasa.tracker import DOC_IDS_KEY, STATUS_KEY, past_turns, transcript
from channels.sms.addresses import Address, hash_address, phone_hash_key
from channels.sms.formatting import plain_text

log = logging.getLogger(__name__)

CHANNEL = "rasa"

_container: Container | None = None
_container_lock = threading.Lock()
# The pipeline runs one turn at a time, as AssistantService does (CPU-bound stages and
# shared component caches); rasa-sdk may run actions concurrently.
_turn_lock = threading.Lock()


def container() -> Container:
    """The process's container, built from Settings on first use (never at import)."""
    global _container
    with _container_lock:
        if _container is None:
            built = Container(Settings())
            built.ensure_knowledge_base()
            _container = built
        return _container


def conversation_key(sender_id: str, settings: Settings) -> str:
    """A keyed hash of Rasa's sender id, which is often a phone number on SMS channels."""
    return hash_address(Address(CHANNEL, sender_id), key=phone_hash_key(settings))


def answer(tracker: Tracker) -> OutboundReply:
    """One turn of the assistant over the latest user message, with the tracker's history."""
    built = container()
    settings = built.settings
    text = str((tracker.latest_message or {}).get("text") or "")
    history = past_turns(tracker.events, limit=settings.session_history_turns * 2)
    ctx = TurnContext(
        message=InboundMessage(
            channel=CHANNEL,
            text=text,
            conversation_key=conversation_key(tracker.sender_id, settings),
        ),
        text=text.strip(),
        history=history,
    )
    with _turn_lock:
        built.pipeline.run(ctx)
    assert ctx.status is not None
    log.info(
        "rasa turn status=%s confidence=%.3f redacted=%s",
        ctx.status,
        ctx.confidence,
        ",".join(ctx.redactions) or "-",
    )
    return OutboundReply(
        session_id=tracker.sender_id,
        text=ctx.reply_text,
        citations=ctx.citations,
        status=ctx.status,
        confidence=ctx.confidence,
        timings_ms=ctx.timings_ms,
    )


def render(reply: OutboundReply) -> str:
    """Plain text (Rasa channels differ in what markup they show), then one source a line."""
    lines = [plain_text(reply.text)]
    seen: set[str] = set()
    for citation in reply.citations:
        if citation.url and citation.url not in seen:
            seen.add(citation.url)
            lines.append(f"{citation.title}: {citation.url}")
    return "\n".join(lines)


def _replies(settings: Settings, template: str) -> str:
    return canned.render(
        template,
        agency=settings.agency_name,
        contact=settings.human_contact,
        emergency=settings.emergency_contact,
    )


class ActionAnswerFromKnowledgeBase(Action):
    """Answers the latest user message with a short, cited answer from official pages.

    Slots: ``ca_status``, ``ca_confidence``, ``ca_sources`` (URLs); when the assistant
    could not answer, it also offers a person and sets ``ca_handoff_proposed``.
    """

    def name(self) -> str:
        return "action_answer_from_knowledge_base"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = str((tracker.latest_message or {}).get("text") or "")
        settings = (await asyncio.to_thread(container)).settings
        if not text.strip():
            dispatcher.utter_message(text=canned.EMPTY_MESSAGE)
            return []
        if len(text) > settings.message_max_chars:
            limit = settings.message_max_chars
            dispatcher.utter_message(text=canned.render(canned.MESSAGE_TOO_LONG, limit=limit))
            return []
        # Off the event loop: the turn is CPU-bound and the first one loads the model.
        reply = await asyncio.to_thread(answer, tracker)
        sources = list(dict.fromkeys(c.url for c in reply.citations if c.url))
        dispatcher.utter_message(
            text=render(reply),
            **{
                STATUS_KEY: str(reply.status),
                DOC_IDS_KEY: list(dict.fromkeys(c.doc_id for c in reply.citations)),
            },
        )
        events: list[EventType] = [
            SlotSet("ca_status", str(reply.status)),
            SlotSet("ca_confidence", round(float(reply.confidence), 4)),
            SlotSet("ca_sources", sources),
        ]
        if reply.status.unanswered or reply.status is Status.ERROR_INTERNAL:
            dispatcher.utter_message(text=_replies(settings, canned.HANDOFF_OFFER))
            events.append(SlotSet("ca_handoff_proposed", True))
        return events


class ActionHandoffToCaseworker(Action):
    """Keeps the conversation for the agency's staff and tells the citizen how to reach one.

    There is no caseworker queue yet: the transcript (redacted) is stored as a conversation
    on the ``rasa`` channel, and the reply is the same human-contact sentence the other
    channels give. Nobody is notified.
    """

    def name(self) -> str:
        return "action_handoff_to_caseworker"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        conversation_id = await asyncio.to_thread(store_transcript, tracker)
        settings = container().settings
        dispatcher.utter_message(
            text=_replies(settings, canned.HUMAN_REQUESTED),
            **{STATUS_KEY: str(Status.HANDOFF_REQUESTED)},
        )
        log.info("rasa handoff requested conversation=%s", conversation_id)
        return [SlotSet("ca_handoff_requested", True)]


def store_transcript(tracker: Tracker) -> str:
    """Store the tracker's talk as one conversation; returns its id."""
    built = container()
    store = built.conversation_store
    conversation_id = store.create(
        channel=CHANNEL, conversation_key=conversation_key(tracker.sender_id, built.settings)
    )
    turns = transcript(tracker.events)
    for i, turn in enumerate(turns):
        last = i == len(turns) - 1
        store.add_turn(
            conversation_id,
            citizen_text=turn.citizen_text,
            reply_text="\n".join(turn.reply_texts),
            # The message that asked for a person ends the transcript; earlier turns keep
            # the status our answer action gave them, or say Rasa answered on its own.
            status=str(Status.HANDOFF_REQUESTED) if last else (turn.status or "rasa_response"),
            confidence=0.0,
            citations=[],
            channel=CHANNEL,
        )
    return conversation_id

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
from datetime import timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant import canned
from assistant.container import Container
from assistant.escalation import PRIORITY, Reason
from assistant.handoffs import HandoffView
from assistant.settings import Settings
from assistant.turns import InboundMessage, OutboundReply, PastTurn, Status
from channels.phone import Address, hash_address, phone_hash_key
from channels.rasa.tracker import DOC_IDS_KEY, OFFERED_KEY, STATUS_KEY, past_turns, transcript
from channels.text import plain_text

log = logging.getLogger(__name__)

CHANNEL = "rasa"

_container: Container | None = None
_container_lock = threading.Lock()


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


def _message_id(tracker: Tracker) -> str | None:
    """Rasa's id for the user message being answered (a re-run action is not a new turn)."""
    found = (tracker.latest_message or {}).get("message_id")
    if not found:
        for event in reversed(tracker.events):
            if event.get("event") == "user":
                found = event.get("message_id")
                break
    return str(found) if found else None


def answer(tracker: Tracker) -> OutboundReply:
    """One turn of the assistant over the latest user message, with the tracker's history.

    The turn goes through ``AssistantService.handle`` like every other channel: it is
    stored (redacted) in the sender's conversation (keyed by a hash of the sender id),
    answered once per Rasa message id, and passed to the caseworker while a handoff is
    open. The context is the tracker's own history, not the stored one: Rasa owns the
    conversation's state.
    """
    built = container()
    settings = built.settings
    text = str((tracker.latest_message or {}).get("text") or "")
    history = past_turns(tracker.events, limit=settings.session_history_turns * 2)
    inbound = InboundMessage(
        channel=CHANNEL,
        text=text,
        conversation_key=conversation_key(tracker.sender_id, settings),
        external_id=_message_id(tracker),
    )
    reply = built.assistant.handle(inbound, history=history)
    log.info(
        "rasa turn status=%s confidence=%.3f duplicate=%s",
        reply.status,
        reply.confidence,
        reply.duplicate,
    )
    return reply


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

    Slots: ``ca_status``, ``ca_confidence``, ``ca_sources`` (URLs), ``ca_offer_made``;
    when the assistant could not answer, it also offers a person and sets
    ``ca_handoff_proposed`` — unless it asked "Did you mean …?" about a page
    (``ca_offer_made``: the citizen's yes or no comes back to this action).
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
        if reply.text:  # a caseworker holds the conversation: the assistant stays silent
            dispatcher.utter_message(
                text=render(reply),
                **{
                    STATUS_KEY: str(reply.status),
                    DOC_IDS_KEY: list(dict.fromkeys(c.doc_id for c in reply.citations)),
                    **({OFFERED_KEY: reply.offer.doc_id} if reply.offer is not None else {}),
                },
            )
        events: list[EventType] = [
            SlotSet("ca_status", str(reply.status)),
            SlotSet("ca_confidence", round(float(reply.confidence), 4)),
            SlotSet("ca_sources", sources),
            SlotSet("ca_offer_made", reply.offer is not None),
        ]
        if reply.handoff:
            events.append(SlotSet("ca_handoff_id", reply.handoff.id))
        if reply.offer is not None:
            # The offer's own words say how to reach a person; a yes must mean the page.
            events.append(SlotSet("ca_handoff_proposed", False))
        elif reply.status.unanswered or reply.status is Status.ERROR_INTERNAL:
            dispatcher.utter_message(text=_replies(settings, canned.HANDOFF_OFFER))
            events.append(SlotSet("ca_handoff_proposed", True))
        return events


class ActionHandoffToCaseworker(Action):
    """Opens a handoff in the caseworker queue carrying the (redacted) Rasa transcript.

    The queue item has reason ``requested`` and channel ``rasa``; caseworkers see it in
    the console with the whole talk so far, and later messages from the same sender
    (through ``action_answer_from_knowledge_base``) are passed to them. Replies typed in
    the console are not sent back into Rasa, so the citizen is also told how to reach a
    person directly. Slots: ``ca_handoff_requested``, ``ca_handoff_id``.
    """

    def name(self) -> str:
        return "action_handoff_to_caseworker"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        handoff = await asyncio.to_thread(open_handoff, tracker)
        settings = container().settings
        dispatcher.utter_message(
            text=_replies(settings, canned.HUMAN_REQUESTED),
            **{STATUS_KEY: str(Status.HANDOFF_REQUESTED), "ca_handoff_id": handoff.id},
        )
        log.info("rasa handoff opened handoff=%s position=%s", handoff.id, handoff.position)
        return [SlotSet("ca_handoff_requested", True), SlotSet("ca_handoff_id", handoff.id)]


def open_handoff(tracker: Tracker) -> HandoffView:
    """The sender's open handoff, or a new one over a conversation holding the transcript."""
    built = container()
    settings = built.settings
    key = conversation_key(tracker.sender_id, settings)
    current = built.conversation_store.find_by_key(
        channel=CHANNEL,
        conversation_key=key,
        idle=timedelta(minutes=settings.conversation_idle_minutes),
    )
    if current is not None:
        already = built.handoffs.open_for(current)
        if already is not None:
            return already  # e.g. the answer action brought a person in a moment ago
    conversation_id = store_transcript(tracker)
    history = past_turns(tracker.events, limit=settings.session_history_turns * 2)
    reasons = [str(Reason.REQUESTED)]
    return built.handoffs.open(
        conversation_id=conversation_id,
        channel=CHANNEL,
        reasons=reasons,
        priority=PRIORITY[Reason.REQUESTED],
        summary=summarise(tracker, history),
        team=built.people.team_for(history),
    )


def summarise(tracker: Tracker, history: list[PastTurn]) -> str:
    """A short, redacted account for the caseworker's list, like the other channels'."""
    asked = [turn.citizen_text for turn in transcript(tracker.events)][-3:]
    topics = list(dict.fromkeys(d for t in history for d in t.cited_docs))[-2:]
    parts = ["The citizen asked for a person (through Rasa)."]
    if topics:
        parts.append("Pages discussed: " + ", ".join(topics) + ".")
    if asked:
        parts.append("They wrote: " + " / ".join(f"“{q[:140]}”" for q in asked))
    return " ".join(parts)[:600]


def store_transcript(tracker: Tracker) -> str:
    """Store the tracker's talk as a new conversation of the sender's; returns its id.

    Being the sender's newest conversation, it is the one their next messages join.
    """
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

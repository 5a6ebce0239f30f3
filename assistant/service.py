"""One citizen message in, one reply out: conversations and handoffs around the turn."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from assistant import canned
from assistant.escalation import PRIORITY, Reason
from assistant.handoffs import HandoffView
from assistant.language import LanguageChoice, keyword_language
from assistant.metrics import record_offer, record_turn
from assistant.models import utcnow
from assistant.people import People
from assistant.pipeline import TurnPipeline
from assistant.redaction import redact
from assistant.store import ConversationStore, StoredReply, conversation_id_for, new_session_id
from assistant.turns import (
    Citation,
    CitizenHandoff,
    InboundMessage,
    OutboundReply,
    PastTurn,
    ReadMore,
    Status,
    TurnContext,
)

log = logging.getLogger(__name__)

# What a conversation with no language stored is read as: nothing to write for it.
_ENGLISH_GUESSED = LanguageChoice(canned.DEFAULT_LANGUAGE, chosen=False)


class AssistantService:
    """Loads the conversation, runs a turn (or passes the message to a caseworker), stores it
    redacted, and returns the reply."""

    def __init__(
        self,
        *,
        pipeline: TurnPipeline,
        store: ConversationStore | None,
        history_turns: int,
        idle_timeout: timedelta = timedelta(hours=2),
        people: People | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.store = store
        self.history_turns = history_turns
        self.idle_timeout = idle_timeout
        self.people = people
        # Turns of different conversations run at once (the components are safe to share:
        # the embedder's and composer's caches are locked, indexes are read-only); turns
        # of one conversation run one after another, so each sees the one before it.
        self._conversation_locks = ConversationLocks()

    def handle(
        self,
        message: InboundMessage,
        *,
        session_id: str | None = None,
        history: list[PastTurn] | None = None,
    ) -> OutboundReply:
        """One turn. ``history``, when given, replaces the stored recent turns as context
        (a channel that keeps its own conversation state, such as a Rasa tracker).

        ``session_id`` is a web citizen's key to their conversation, as an earlier reply
        gave it; the conversation itself is stored under ``conversation_id_for`` it."""
        if self.store is not None and message.external_id:
            earlier = self.store.reply_to(channel=message.channel, external_id=message.external_id)
            if earlier is not None:
                return _replay(earlier)
        conversation = self._conversation(message, session_id)
        with self._conversation_locks.hold(conversation.id):
            return self._turn(message, conversation, history)

    def _turn(
        self,
        message: InboundMessage,
        conversation: _Conversation,
        history: list[PastTurn] | None,
    ) -> OutboundReply:
        session_id, new = conversation.session_id, conversation.new
        conversation_id = conversation.id
        # A conversation created for this turn has no handoff and no history to read yet.
        if self.people is not None and not new:
            handoff = self.people.queue.open_for(conversation_id)
            if handoff is not None:
                return self._to_caseworker(message, conversation, handoff)
        if history is None:
            history = (
                self.store.recent(conversation_id, limit=self.history_turns * 2)
                if self.store and not new
                else []
            )
        stored: int | None = None
        remembered = self.store.language_of(conversation_id) if self.store and not new else None
        ctx = TurnContext(
            message=message,
            text=message.text.strip(),
            history=history,
            conversation_id=conversation_id,
            remembered_language=remembered,
        )
        self.pipeline.run(ctx)
        assert ctx.status is not None
        if ctx.status is not Status.UNANSWERABLE_LOW_CONFIDENCE:
            # A person was brought in after the offer was made: the reply is about them.
            ctx.offer = None
        choice = LanguageChoice(ctx.language, chosen=ctx.language_chosen)
        if self.store is not None and choice != (remembered or _ENGLISH_GUESSED):
            self.store.set_language(conversation_id, choice)
        if self.store is not None:
            stored = self.store.add_turn(
                conversation_id,
                citizen_text=ctx.said or ctx.text,
                reply_text=ctx.reply_text,
                status=str(ctx.status),
                confidence=ctx.confidence,
                citations=[c.to_json() for c in ctx.citations],
                channel=message.channel,
                external_id=message.external_id,
                reply_vector=(
                    ctx.answer.vector
                    if ctx.answer is not None and ctx.status is Status.ANSWERED
                    else None
                ),
                reply_vector_model=ctx.answer.vector_model if ctx.answer is not None else None,
                timings_ms=ctx.timings_ms,
                signals=ctx.scores,
                composer=ctx.answer.composer
                if ctx.answer is not None and ctx.status is Status.ANSWERED
                else None,
                fallback_reason=ctx.fallback_reason,
                offer=ctx.offer.to_json() if ctx.offer is not None else None,
            )
            if stored is None and message.external_id:
                # A retry raced this delivery and stored first: answer as it did.
                earlier = self.store.reply_to(
                    channel=message.channel, external_id=message.external_id
                )
                if earlier is not None:
                    return _replay(earlier)
        record_turn(status=str(ctx.status), channel=message.channel, timings_ms=ctx.timings_ms)
        record_offer(
            made=ctx.offer is not None,
            taken="offer_taken" in ctx.scores,
            declined="offer_declined" in ctx.scores,
        )
        log.info(
            "turn channel=%s status=%s composer=%s fallback=%s confidence=%.3f redacted=%s "
            "handoff=%s timings_ms=%s",
            message.channel,
            ctx.status,
            ctx.answer.composer if ctx.answer is not None else "-",
            ctx.fallback_reason or "-",
            ctx.confidence,
            ",".join(ctx.redactions) or "-",
            ",".join(ctx.handoff_reasons) or "-",
            {k: round(v, 2) for k, v in ctx.timings_ms.items()},
        )
        answer = ctx.answer if ctx.status is Status.ANSWERED else None
        return OutboundReply(
            session_id=session_id,
            conversation_id=conversation_id,
            text=ctx.reply_text,
            citations=ctx.citations,
            status=ctx.status,
            confidence=ctx.confidence,
            handoff=ctx.handoff,
            timings_ms=ctx.timings_ms,
            more=ReadMore.for_answer(ctx.citations[0].url, answer.section)
            if answer is not None and answer.more and ctx.citations
            else None,
            composer=answer.composer if answer is not None else "extractive",
            fallback_reason=ctx.fallback_reason,
            seq=stored,
            said=ctx.said or ctx.text,
            language=ctx.language,
            offer=ctx.offer,
        )

    def leave_callback(self, session_id: str, *, message: str, contact: str) -> HandoffView:
        """Out of hours: the citizen's message and how to reach them go in the queue.

        ``session_id`` is the web citizen's key, as for ``handle``."""
        conversation_id = conversation_id_for(session_id)
        if self.people is None or self.store is None or not self.store.exists(conversation_id):
            raise LookupError("unknown conversation")
        text = redact(message.strip()).text
        with self._conversation_locks.hold(conversation_id):
            self.store.add_citizen_message(
                conversation_id,
                text=text,
                channel="web",
                reply=(
                    str(Status.HANDOFF_WAITING),
                    canned.translate(canned.CALLBACK_RECEIVED, self.language_of(conversation_id)),
                ),
            )
            history = self.store.recent(conversation_id, limit=self.history_turns * 2)
            return self.people.queue.open(
                conversation_id=conversation_id,
                channel=self._channel_of(conversation_id),
                reasons=[str(Reason.REQUESTED)],
                priority=PRIORITY[Reason.REQUESTED],
                summary=self.people.summary(history, text, [str(Reason.REQUESTED)]),
                team=self.people.team_for(history),
                state="callback_requested",
                # Kept as given: a caseworker needs it to call back. Never logged.
                callback_contact=contact.strip()[:255],
                language=self.language_of(conversation_id),
            )

    def choose_language(self, session_id: str, language: str) -> str:
        """The citizen chose ``language`` on the page's switch: the conversation keeps it
        (replies and canned text follow it until they choose another), and an open handoff
        shows it to caseworkers. ``session_id`` is the web citizen's key, as for ``handle``."""
        if language not in canned.LANGUAGES:
            raise ValueError(f"not a language the assistant answers in: {language!r}")
        conversation_id = conversation_id_for(session_id)
        if self.store is None or not self.store.exists(conversation_id):
            raise LookupError("unknown conversation")
        with self._conversation_locks.hold(conversation_id):
            self.store.set_language(conversation_id, LanguageChoice(language, chosen=True))
            if self.people is not None:
                handoff = self.people.queue.open_for(conversation_id)
                if handoff is not None:
                    self.people.queue.set_language(handoff, language)
        return language

    def language_of(self, conversation_id: str) -> str:
        """The language the conversation stored as ``conversation_id`` is in (English when
        not known)."""
        choice = self.store.language_of(conversation_id) if self.store is not None else None
        return choice.language if choice is not None else canned.DEFAULT_LANGUAGE

    # ---- internals -----------------------------------------------------------------
    def _conversation(self, message: InboundMessage, session_id: str | None) -> _Conversation:
        """The conversation this message belongs to (created for it if need be)."""
        if session_id and (
            self.store is None or self.store.exists(conversation_id_for(session_id))
        ):
            return _Conversation(conversation_id_for(session_id), session_id, new=False)
        if self.store is not None and message.conversation_key:
            found = self.store.find_by_key(
                channel=message.channel,
                conversation_key=message.conversation_key,
                idle=self.idle_timeout,
            )
            if found is not None:
                # Found by its key (a hash of a phone number): no session id to give back,
                # the channel addresses it by that key again.
                return _Conversation(found, found, new=False)
            created = self.store.create(
                channel=message.channel, conversation_key=message.conversation_key
            )
            return _Conversation(created, created, new=True)
        # A citizen without a key (the web page): a fresh session id for them, the
        # conversation under its hash.
        fresh = new_session_id()
        if self.store is not None:
            self.store.create(channel=message.channel, conversation_id=conversation_id_for(fresh))
        return _Conversation(conversation_id_for(fresh), fresh, new=True)

    def _channel_of(self, conversation_id: str) -> str:
        assert self.store is not None
        return self.store.channel_of(conversation_id) or "web"

    def _to_caseworker(
        self, message: InboundMessage, conversation: _Conversation, handoff: HandoffView
    ) -> OutboundReply:
        """A person has (or will take) this conversation: the assistant stays silent."""
        assert self.store is not None and self.people is not None
        session_id, conversation_id = conversation.session_id, conversation.id
        # The page's switch, or a text such as ENGLISH, while a person has the conversation.
        chosen = message.language or keyword_language(message.text)
        if chosen in canned.LANGUAGES:
            self.store.set_language(conversation_id, LanguageChoice(chosen, chosen=True))
            handoff = self.people.queue.set_language(handoff, chosen)
        redaction = redact(message.text.strip())
        if handoff.state == "claimed":
            status, text = Status.HANDOFF_ACTIVE, ""
        else:
            status = Status.HANDOFF_WAITING
            text = canned.render(
                canned.HANDOFF_STILL_WAITING,
                language=self.language_of(conversation_id),
                position=handoff.position or 1,
            )
        stored = self.store.add_citizen_message(
            conversation_id,
            text=redaction.text,
            channel=message.channel,
            external_id=message.external_id,
            reply=(str(status), text) if text else None,
        )
        if stored is None:
            return OutboundReply(
                session_id=session_id,
                conversation_id=conversation_id,
                text="",
                citations=[],
                status=status,
                confidence=0.0,
                duplicate=True,
            )
        self.people.queue.citizen_wrote(
            handoff,
            {
                "seq": stored - 1 if text else stored,
                "role": "citizen",
                "text": redaction.text,
                "author": None,
                "at": utcnow().isoformat(),
                "status": None,
                "citations": [],
            },
        )
        record_turn(status=str(status), channel=message.channel, timings_ms={})
        log.info("turn channel=%s status=%s handoff=%s", message.channel, status, handoff.id)
        return OutboundReply(
            session_id=session_id,
            conversation_id=conversation_id,
            text=text,
            citations=[],
            status=status,
            confidence=1.0,
            handoff=CitizenHandoff.from_json(
                handoff.citizen_json(minutes_per_case=self.people.queue.minutes_per_case)
            ),
            seq=stored,
            said=redaction.text,
        )


@dataclass(frozen=True, slots=True)
class _Conversation:
    """A turn's conversation: its stored id, what the citizen's channel gives back to
    address it (a web citizen's session id; a conversation found by key, its id), and
    whether it was created for this turn (so has no history and no handoff yet)."""

    id: str
    session_id: str
    new: bool


class ConversationLocks:
    """One lock per conversation in this process, forgotten when no turn holds or awaits it.

    Replicas behind a load balancer do not share these: there the database keeps each
    message once (external ids) and a handoff is claimed once; a citizen who sends two
    messages at once to two replicas may get two answers that did not see each other.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key) or (threading.Lock(), 0)
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                users = self._locks[key][1] - 1
                if users:
                    self._locks[key] = (lock, users)
                else:
                    del self._locks[key]

    def __len__(self) -> int:
        """Conversations with a turn running or waiting."""
        with self._guard:
            return len(self._locks)


def _replay(earlier: StoredReply) -> OutboundReply:
    """The reply already given to a message delivered again (e.g. a Twilio retry)."""
    return OutboundReply(
        session_id=earlier.conversation_id,
        conversation_id=earlier.conversation_id,
        text=earlier.text,
        citations=[Citation(**c) for c in earlier.citations],
        status=Status.parse(earlier.status) or Status.ERROR_INTERNAL,
        confidence=earlier.confidence,
        duplicate=True,
        composer=earlier.composer or "extractive",
        fallback_reason=earlier.fallback_reason,
    )

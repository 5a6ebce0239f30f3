"""One citizen message in, one reply out: conversations around the turn pipeline."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from assistant.pipeline import TurnPipeline
from assistant.store import ConversationStore, StoredReply, new_session_id
from assistant.turns import Citation, InboundMessage, OutboundReply, PastTurn, Status, TurnContext

log = logging.getLogger(__name__)


class AssistantService:
    """Loads the conversation, runs a turn, stores it (redacted) and returns the reply."""

    def __init__(
        self,
        *,
        pipeline: TurnPipeline,
        store: ConversationStore | None,
        history_turns: int,
        idle_timeout: timedelta = timedelta(hours=2),
    ) -> None:
        self.pipeline = pipeline
        self.store = store
        self.history_turns = history_turns
        self.idle_timeout = idle_timeout
        # The turn is CPU-bound (embedding, FAISS): running turns one at a time keeps
        # latency flat and the component caches simple; storage happens outside the lock.
        self._turn_lock = threading.Lock()

    def handle(self, message: InboundMessage, *, session_id: str | None = None) -> OutboundReply:
        if self.store is not None and message.external_id:
            earlier = self.store.reply_to(channel=message.channel, external_id=message.external_id)
            if earlier is not None:
                return _replay(earlier)
        history: list[PastTurn] = []
        if self.store is None:
            session_id = session_id or new_session_id()
        else:
            if not (session_id and self.store.exists(session_id)):
                session_id = None
            if session_id is None and message.conversation_key:
                session_id = self.store.find_by_key(
                    channel=message.channel,
                    conversation_key=message.conversation_key,
                    idle=self.idle_timeout,
                )
            if session_id is None:
                session_id = self.store.create(
                    channel=message.channel, conversation_key=message.conversation_key
                )
            history = self.store.recent(session_id, limit=self.history_turns * 2)
        ctx = TurnContext(message=message, text=message.text.strip(), history=history)
        with self._turn_lock:
            self.pipeline.run(ctx)
        assert ctx.status is not None
        if self.store is not None:
            stored = self.store.add_turn(
                session_id,
                citizen_text=ctx.text,
                reply_text=ctx.reply_text,
                status=str(ctx.status),
                confidence=ctx.confidence,
                citations=[c.to_json() for c in ctx.citations],
                channel=message.channel,
                external_id=message.external_id,
            )
            if not stored and message.external_id:
                # A retry raced this delivery and stored first: answer as it did.
                earlier = self.store.reply_to(
                    channel=message.channel, external_id=message.external_id
                )
                if earlier is not None:
                    return _replay(earlier)
        log.info(
            "turn channel=%s status=%s confidence=%.3f redacted=%s timings_ms=%s",
            message.channel,
            ctx.status,
            ctx.confidence,
            ",".join(ctx.redactions) or "-",
            {k: round(v, 2) for k, v in ctx.timings_ms.items()},
        )
        return OutboundReply(
            session_id=session_id,
            text=ctx.reply_text,
            citations=ctx.citations,
            status=ctx.status,
            confidence=ctx.confidence,
            handoff=None,
            timings_ms=ctx.timings_ms,
        )


def _replay(earlier: StoredReply) -> OutboundReply:
    """The reply already given to a message delivered again (e.g. a Twilio retry)."""
    return OutboundReply(
        session_id=earlier.conversation_id,
        text=earlier.text,
        citations=[Citation(**c) for c in earlier.citations],
        status=Status(earlier.status),
        confidence=earlier.confidence,
        duplicate=True,
    )

"""One citizen message in, one reply out: conversations around the turn pipeline."""

from __future__ import annotations

import logging
import threading

from assistant.pipeline import TurnPipeline
from assistant.store import ConversationStore, new_session_id
from assistant.turns import InboundMessage, OutboundReply, PastTurn, TurnContext

log = logging.getLogger(__name__)


class AssistantService:
    """Loads the conversation, runs a turn, stores it (redacted) and returns the reply."""

    def __init__(
        self,
        *,
        pipeline: TurnPipeline,
        store: ConversationStore | None,
        history_turns: int,
    ) -> None:
        self.pipeline = pipeline
        self.store = store
        self.history_turns = history_turns
        # The turn is CPU-bound (embedding, FAISS): running turns one at a time keeps
        # latency flat and the component caches simple; storage happens outside the lock.
        self._turn_lock = threading.Lock()

    def handle(self, message: InboundMessage, *, session_id: str | None = None) -> OutboundReply:
        history: list[PastTurn] = []
        if self.store is None:
            session_id = session_id or new_session_id()
        elif session_id and self.store.exists(session_id):
            history = self.store.recent(session_id, limit=self.history_turns * 2)
        else:
            session_id = self.store.create(channel=message.channel)
        ctx = TurnContext(message=message, text=message.text.strip(), history=history)
        with self._turn_lock:
            self.pipeline.run(ctx)
        assert ctx.status is not None
        if self.store is not None:
            self.store.add_turn(
                session_id,
                citizen_text=ctx.text,
                reply_text=ctx.reply_text,
                status=str(ctx.status),
                confidence=ctx.confidence,
                citations=[c.to_json() for c in ctx.citations],
            )
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

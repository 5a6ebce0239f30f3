"""A suggested reply for the caseworker holding a conversation: what the assistant would
answer to the citizen's latest question, with the passages it cites.

It is the same turn a citizen gets (the extractive answer, or with a model configured a
drafted one held to the same grounding check), run on the stored conversation and
neither stored nor sent: the caseworker reads it, may insert and edit it, and sends it
themselves. Nothing reaches a citizen from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant import intents
from assistant.answer import Citation
from assistant.pipeline import TurnPipeline
from assistant.store import ConversationStore
from assistant.turns import InboundMessage, Route, Status, TurnContext

__all__ = ["Suggestion", "suggest_reply"]


@dataclass(frozen=True, slots=True)
class Suggestion:
    question: str  # the citizen's message it answers (as stored: redacted)
    text: str  # the answer alone, without the canned notes a citizen's reply may carry
    citations: list[Citation]
    composer: str
    fallback_reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "citations": [c.to_json() for c in self.citations],
            "composer": self.composer,
            "fallback_reason": self.fallback_reason,
        }


def suggest_reply(
    *,
    pipeline: TurnPipeline,
    store: ConversationStore,
    conversation_id: str,
    history_turns: int,
) -> Suggestion | None:
    """The suggestion for the citizen's latest question (a request for a person, a
    greeting or thanks is passed over for the question before it), or None when the
    knowledge base has no answer the assistant would give."""
    turns = store.recent(conversation_id, limit=max(2 * history_turns, 1) + 20)
    for i in range(len(turns) - 1, -1, -1):
        turn = turns[i]
        if turn.role != "citizen" or intents.route(turn.text) is not Route.QUESTION:
            continue
        ctx = TurnContext(
            message=InboundMessage(channel="console", text=turn.text),
            text=turn.text,
            history=turns[max(0, i - 2 * history_turns) : i],
            conversation_id=conversation_id,
        )
        pipeline.run(ctx)
        if ctx.status is not Status.ANSWERED or ctx.answer is None:
            return None
        return Suggestion(
            question=turn.text,
            text=ctx.answer.text,
            citations=ctx.citations,
            composer=ctx.answer.composer,
            fallback_reason=ctx.fallback_reason,
        )
    return None

"""A suggested reply for the caseworker holding a conversation: what the assistant would
answer to the citizen's latest question, with the passages it cites.

It is the same turn a citizen gets (the extractive answer, or with a model configured a
drafted one held to the same grounding check), run on the stored conversation and
neither stored nor sent: the caseworker reads it, may insert and edit it, and sends it
themselves. Nothing reaches a citizen from here.

:class:`SuggestionOut` is the staff API's response model for it (a frozen pydantic model,
as the editor desk's answers are): the route hands it on as it is.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant import intents
from assistant.editorial.views import CitationOut
from assistant.pipeline import TurnPipeline
from assistant.store import ConversationStore
from assistant.turns import InboundMessage, Route, Status, TurnContext

__all__ = ["SuggestionOut", "suggest_reply"]


class SuggestionOut(BaseModel):
    """What the assistant would answer to the citizen's latest question: for the caseworker
    to insert, edit and send (it is never sent by itself)."""

    # Frozen: a value. ``from_attributes``: the citations are the turn's Citation dataclasses.
    model_config = ConfigDict(frozen=True, from_attributes=True)

    question: str = Field(description="The citizen's message it answers (as stored, redacted).")
    # The answer alone, without the canned notes a citizen's reply may carry.
    text: str = Field(description="The suggested reply, with [n] marking its sources.")
    citations: list[CitationOut]
    composer: Literal["extractive", "generative"] = Field(
        description="`extractive` (quoted) or `generative` (drafted by the language model "
        "and held to the same grounding check as a citizen's answer)."
    )
    fallback_reason: str | None = Field(
        description="Why a drafted reply was replaced by the quoted one, if it was."
    )


def suggest_reply(
    *,
    pipeline: TurnPipeline,
    store: ConversationStore,
    conversation_id: str,
    history_turns: int,
) -> SuggestionOut | None:
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
        return SuggestionOut.model_validate(
            {
                "question": turn.text,
                "text": ctx.answer.text,
                "citations": ctx.citations,
                "composer": ctx.answer.composer,
                "fallback_reason": ctx.fallback_reason,
            }
        )
    return None

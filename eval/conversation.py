"""Replays a doc2dial dialogue the way the product would have lived it.

User turns become the citizen's messages and agent turns the assistant's answered
replies. The document an agent turn "cited" — which the product uses to keep a
follow-up on the same page — is never taken from gold labels: it is the product's
own top document for the user message before that reply, retrieved in its own
context (recursively, memoised per dialogue prefix).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.redaction import redact
from assistant.stages import Contextualise
from assistant.turns import InboundMessage, PastTurn, Status, TurnContext
from eval.doc2dial import DialogueTurn
from knowledge_base.index_store import IndexSnapshot
from knowledge_base.retriever import HybridRetriever, RetrievalQuery, RetrievalResult


def message_texts(history: Sequence[DialogueTurn], question: str) -> list[str]:
    """The texts the product embeds for one question: the question and its history."""
    return [redact(t.text).text for t in history] + [redact(question).text]


class ConversationReplayer:
    """Turns (history, question) into the product's ``RetrievalQuery`` and results."""

    def __init__(
        self,
        *,
        retriever: HybridRetriever,
        snapshot: IndexSnapshot,
        history_turns: int,
        session_history_turns: int,
    ) -> None:
        self.retriever = retriever
        self.snapshot = snapshot
        self.contextualise = Contextualise(turns=history_turns)
        self.window = session_history_turns * 2  # what AssistantService loads from the store
        self._top_doc: dict[tuple[str, ...], str | None] = {}

    def past_turns(self, history: Sequence[DialogueTurn]) -> list[PastTurn]:
        """The dialogue so far as stored turns (redacted), with product-derived citations."""
        turns: list[PastTurn] = []
        cited: str | None = None
        for i, turn in enumerate(history):
            text = redact(turn.text).text
            if turn.role == "user":
                cited = self.top_doc(history[: i + 1])
                turns.append(PastTurn(role="citizen", text=text))
            else:
                turns.append(
                    PastTurn(
                        role="assistant",
                        text=text,
                        status=Status.ANSWERED,
                        cited_docs=(cited,) if cited else (),
                    )
                )
        return turns[-self.window :] if self.window else []

    def context(self, history: Sequence[DialogueTurn], question: str) -> TurnContext:
        """A turn context as it stands after the product's contextualise stage."""
        text = redact(question).text
        ctx = TurnContext(
            message=InboundMessage(channel="eval", text=question),
            text=text,
            history=self.past_turns(history),
        )
        self.contextualise(ctx)
        return ctx

    def query(self, history: Sequence[DialogueTurn], question: str) -> RetrievalQuery:
        query = self.context(history, question).retrieval_query
        assert query is not None
        return query

    def retrieve(
        self, history: Sequence[DialogueTurn], question: str, *, k: int
    ) -> RetrievalResult:
        return self.retriever.retrieve_from(self.snapshot, self.query(history, question), k=k)

    def top_doc(self, upto: Sequence[DialogueTurn]) -> str | None:
        """The product's top document for the last (user) turn of ``upto``, in context."""
        key = tuple(f"{t.role}:{t.text}" for t in upto)
        if key not in self._top_doc:
            result = self.retrieve(upto[:-1], upto[-1].text, k=1)
            self._top_doc[key] = result.hits[0].chunk.doc_id if result.hits else None
        return self._top_doc[key]

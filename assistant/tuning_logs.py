"""Training pairs from the agency's own conversations, for ``citizen-assistant tune``.

A citizen's question counts as answered well when the reply was ``answered`` with
citations, the citizen did not say "No" to "was this helpful?", and no person was
brought in next (the next reply was not a ``handoff_*`` one and no handoff was opened
before it). An answer given after a yes to "Did you mean …?" counts for the question the
offer was made to, not for the "yes": a question the model was unsure of and the citizen
confirmed is the pair most worth learning. The question is paired with the first cited
passage as it stands in the live index (found by document and snippet; a passage edited
since is skipped), and the query is built as the turn pipeline built it: the stored
recent turns, contextualised by :class:`~assistant.stages.Contextualise`. Stored text is
already redacted.

Read-only: nothing in the store is changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from assistant.models import AnswerFeedback, Handoff, Message, aware
from assistant.stages import Contextualise
from assistant.turns import InboundMessage, PastTurn, Status, TurnContext
from knowledge_base.index_store import IndexSnapshot
from knowledge_base.retriever import HybridRetriever
from knowledge_base.tuning import TrainingPair


@dataclass(slots=True)
class PairsFromLogs:
    """The pairs, and how many answered questions were left out and why."""

    pairs: list[TrainingPair]
    answered: int = 0
    unhelpful: int = 0
    handed_off: int = 0
    passage_gone: int = 0
    offers_taken: int = 0  # of ``pairs``: answers given after a yes to "Did you mean …?"


def _past_turn(message: Message) -> PastTurn:
    """As :meth:`assistant.store.ConversationStore.recent` hands turns to the pipeline."""
    return PastTurn(
        role=message.role,
        text=message.text,
        status=message.status,
        cited_docs=tuple(dict.fromkeys(c["doc_id"] for c in message.citations or [])),
    )


def _cited_row(snapshot: IndexSnapshot, citation: dict[str, Any]) -> int | None:
    """The live passage a stored citation points at: same document, text starting as cited."""
    snippet = str(citation.get("snippet", "")).rstrip("…").rstrip()
    doc_id = citation.get("doc_id")
    if not snippet:
        return None
    for row, chunk in enumerate(snapshot.chunks):
        if chunk.doc_id == doc_id and chunk.text.startswith(snippet):
            return row
    return None


def _handed_off(reply: Message, next_reply: Message | None, handoffs: Sequence[datetime]) -> bool:
    if next_reply is not None and (next_reply.status or "").startswith("handoff_"):
        return True
    after = aware(reply.created_at)
    until = aware(next_reply.created_at) if next_reply is not None else None
    return any(after <= at and (until is None or at <= until) for at in handoffs)


def pairs_from_logs(
    engine: Engine,
    *,
    snapshot: IndexSnapshot,
    retriever: HybridRetriever,
    history_turns: int,
    session_history_turns: int,
    hard_negatives: bool = True,
) -> PairsFromLogs:
    """Pairs from every stored conversation answered well (see the module docstring)."""
    contextualise = Contextualise(turns=history_turns)
    window = session_history_turns * 2  # what AssistantService loads from the store
    with Session(engine) as session:
        unhelpful = set(
            session.scalars(
                select(AnswerFeedback.message_id).where(AnswerFeedback.helpful.is_(False))
            )
        )
        handoffs: dict[str, list[datetime]] = defaultdict(list)
        for conversation_id, created_at in session.execute(
            select(Handoff.conversation_id, Handoff.created_at)
        ):
            handoffs[conversation_id].append(aware(created_at))
        conversations: dict[str, list[Message]] = defaultdict(list)
        for message in session.scalars(
            select(Message).order_by(Message.conversation_id, Message.id)
        ):
            conversations[message.conversation_id].append(message)
        session.expunge_all()

    found = PairsFromLogs(pairs=[])
    for conversation_id, messages in conversations.items():
        replies = [i for i, m in enumerate(messages) if m.role == "assistant"]
        for position, index in enumerate(replies):
            reply = messages[index]
            asked = _asked_at(messages, index)
            question = messages[asked] if asked >= 0 else None
            if (
                question is None
                or question.role != "citizen"
                or reply.status != Status.ANSWERED
                or not reply.citations
            ):
                continue
            found.answered += 1
            if reply.id in unhelpful:
                found.unhelpful += 1
                continue
            following = replies[position + 1] if position + 1 < len(replies) else None
            next_reply = messages[following] if following is not None else None
            if _handed_off(reply, next_reply, handoffs.get(conversation_id, [])):
                found.handed_off += 1
                continue
            row = _cited_row(snapshot, reply.citations[0])
            if row is None:
                found.passage_gone += 1
                continue
            earlier = [_past_turn(m) for m in messages[:asked]]
            ctx = TurnContext(
                message=InboundMessage(channel=question.channel or "web", text=question.text),
                text=question.text.strip(),
                history=earlier[-window:] if window else [],
            )
            contextualise(ctx)
            query = ctx.retrieval_query
            assert query is not None
            negative = None
            if hard_negatives:
                for hit in retriever.retrieve_from(snapshot, query, k=10).hits:
                    if hit.row != row:
                        negative = hit.chunk.text
                        break
            found.pairs.append(
                TrainingPair(
                    query=query.text,
                    positive=snapshot.chunks[row].text,
                    history=tuple(query.history),
                    history_weight=retriever.history_weight(query, snapshot)
                    if query.history
                    else 0.0,
                    negative=negative,
                )
            )
            found.offers_taken += asked != index - 1
    return found


def _asked_at(messages: Sequence[Message], index: int) -> int:
    """Where the question answered by ``messages[index]`` stands: the message before it,
    or, for an answer to a yes to "Did you mean …?", the question the offer was made to."""
    if (
        (messages[index].signals or {}).get("offer_taken")
        and index >= 3
        and messages[index - 2].offer is not None
    ):
        return index - 3
    return index - 1

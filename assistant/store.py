"""The conversation store: SQLAlchemy over SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import (
    Table,
    bindparam,
    create_engine,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy import delete as sa_delete
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from assistant.language import LanguageChoice
from assistant.models import AnswerFeedback, Conversation, Message, aware, utcnow
from assistant.turns import PageOffer, PastTurn

# A turn's own reads and writes, built once: SQLAlchemy then neither rebuilds them nor
# recomputes their cache keys, and no ORM bookkeeping runs (measured under a profiler:
# a turn's database work fell from 3.3 to 1.4 s of CPU per 360 turns).
_conversations = cast(Table, Conversation.__table__)
_messages = cast(Table, Message.__table__)
_CONVERSATION_EXISTS = select(_conversations.c.id).where(
    _conversations.c.id == bindparam("conversation_id")
)
_CREATE_CONVERSATION = insert(_conversations)
_CONVERSATION_LANGUAGE = select(_conversations.c.language, _conversations.c.language_chosen).where(
    _conversations.c.id == bindparam("conversation_id")
)
_SET_LANGUAGE = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("conversation_id"))
    .values(language=bindparam("language"), language_chosen=bindparam("chosen"))
)
# Touches the conversation and takes ``n`` sequence numbers for its new messages. The row
# stays locked (PostgreSQL) or the database does (SQLite) until the messages are stored,
# so numbers become visible in order: a reader who has seen n never misses n - 1 later.
_TAKE_SEQ = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("conversation_id"))
    .values(updated_at=bindparam("now"), last_seq=_conversations.c.last_seq + bindparam("n"))
    .returning(_conversations.c.last_seq)
)
_ADD_MESSAGE = insert(_messages)
_RECENT_MESSAGES = (
    select(
        _messages.c.role,
        _messages.c.text,
        _messages.c.status,
        _messages.c.citations,
        _messages.c.vector,
        _messages.c.vector_model,
        _messages.c.offer,
    )
    .where(_messages.c.conversation_id == bindparam("conversation_id"))
    .order_by(_messages.c.id.desc())
    .limit(bindparam("limit"))
)


# Answer vectors are stored as float16: half the space, and cosines move by < 1e-4.
VECTOR_DTYPE = np.float16


def _vector_from(stored: bytes | None) -> np.ndarray | None:
    if not stored:
        return None
    return np.frombuffer(stored, dtype=VECTOR_DTYPE).astype(np.float32)


def take_seq(connection: Connection | Session, conversation_id: str, *, n: int = 1) -> int:
    """The first of ``n`` new sequence numbers of the conversation (touching it too); call
    it inside the transaction that stores the messages. KeyError for an unknown one."""
    found = connection.execute(
        _TAKE_SEQ, {"conversation_id": conversation_id, "now": utcnow(), "n": n}
    ).scalar()
    if found is None:
        raise KeyError(conversation_id)
    return int(found) - n + 1


def new_session_id() -> str:
    """Unguessable: 192 random bits, less the draws that start with "-": a citizen may
    quote the id for erasure, and a command line reads "-…" as an option (one id in 64,
    `citizen-assistant retention erase` failed on it)."""
    while (session_id := secrets.token_urlsafe(24)).startswith("-"):
        pass
    return session_id


# Domain separation: the same session id hashed for another purpose gives another value.
_CONVERSATION_ID_PREFIX = b"citizen-assistant conversation id v1\x00"


def conversation_id_for(session_id: str) -> str:
    """The id a web citizen's conversation is stored and shown to staff under.

    The session id is the citizen's key to their conversation (it reads the transcript and
    writes into it), so it is never stored and never shown: the database, the console and
    staff events carry this one-way hash of it instead, from which the key cannot be
    recovered. A plain SHA-256 rather than a keyed hash: session ids are 192 server-made
    random bits (an unknown one starts a new conversation), so there is nothing to guess,
    and a key would be one more secret every replica must share forever — losing it would
    cut every citizen off from their conversation.
    """
    digest = hashlib.sha256(_CONVERSATION_ID_PREFIX + session_id.encode("utf-8", "replace"))
    return digest.hexdigest()[:32]  # 128 bits: no two conversations share one


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout, foreign keys and one connection.

    SQLite takes one writer at a time, and a second writer waits in its busy handler,
    which sleeps in steps of 1 to 100 ms. One pooled connection queues the threads in the
    pool instead, each woken the moment the connection is free: at 8 concurrent chats,
    11% more turns per second and a 20% lower p95 than a connection per thread. Every
    statement is short, and no code path holds one connection while asking for another
    (checked over the whole test suite).
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=1,
            max_overflow=0,
            pool_timeout=30,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


# The PostgreSQL advisory lock the migrations run under: any constant bigint will do; this
# one is the first eight bytes of SHA-256("citizen-assistant"), unlikely to be another's.
MIGRATION_LOCK = -0x7C63_42E0_2D62_0A5F


def migrate(engine: Engine) -> None:
    """Bring the database schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting together take turns: the first migrates, the others wait
            # here and then find nothing to do (the lock goes with the transaction).
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def reply_message(session: Session, *, channel: str, external_id: str) -> Message | None:
    """The assistant's message that answered an inbound message (by the channel's id)."""
    inbound = session.scalars(
        select(Message).where(Message.channel == channel, Message.external_id == external_id)
    ).first()
    if inbound is None:
        return None
    return session.scalars(
        select(Message)
        .where(
            Message.conversation_id == inbound.conversation_id,
            Message.id > inbound.id,
            Message.role == "assistant",
        )
        .order_by(Message.id)
        .limit(1)
    ).first()


@dataclass(frozen=True, slots=True)
class TranscriptMessage:
    """One stored message of a conversation, as a caseworker reads it (already redacted)."""

    id: int
    seq: int  # 1, 2, 3 … within the conversation
    role: str  # citizen | assistant | caseworker | system
    text: str
    author: str | None
    status: str | None
    confidence: float | None
    citations: list[dict[str, Any]]
    at: str  # ISO 8601, UTC
    # A caseworker message sent by text: pending, retrying, queued, sent, delivered, read,
    # undelivered or failed (with why); None otherwise.
    delivery_status: str | None
    delivery_error: str | None
    # An assistant reply not sure of its answer: the page it offered ("Did you mean ...?"),
    # its title and link.
    offer: dict[str, str | None] | None = None


@dataclass(frozen=True, slots=True)
class StoredReply:
    """The reply already given to an inbound message (for retried deliveries)."""

    conversation_id: str
    text: str
    status: str
    confidence: float
    citations: list[dict[str, Any]]
    composer: str | None = None
    fallback_reason: str | None = None


class ConversationStore:
    """Conversations and their messages. Text given to it must already be redacted."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        migrate(engine)

    def ping(self) -> bool:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True

    # The per-turn reads and writes (exists, recent, create, add_turn) run the prebuilt
    # Core statements above: a turn spends a fraction of the CPU the ORM's unit of work took.
    def exists(self, conversation_id: str) -> bool:
        with self.engine.connect() as connection:
            found = connection.execute(
                _CONVERSATION_EXISTS, {"conversation_id": conversation_id}
            ).first()
        return found is not None

    def last_seq(self, conversation_id: str) -> int | None:
        """The number of the conversation's latest message (0: none yet); None if unknown."""
        with self.engine.connect() as connection:
            found = connection.execute(
                select(_conversations.c.last_seq).where(_conversations.c.id == conversation_id)
            ).first()
        return None if found is None else int(found[0])

    def delete(self, conversation_id: str) -> bool:
        """Erase one conversation with its messages and handoffs."""
        with self._sessions.begin() as session:
            found = session.get(Conversation, conversation_id)
            if found is None:
                return False
            self._delete_rows(session, [conversation_id])
        return True

    def delete_older_than(self, age: timedelta) -> int:
        """Delete conversations untouched for longer than ``age``; how many went."""
        cutoff = utcnow() - age
        with self._sessions.begin() as session:
            ids = list(
                session.scalars(select(Conversation.id).where(Conversation.updated_at < cutoff))
            )
            self._delete_rows(session, ids)
        return len(ids)

    @staticmethod
    def _delete_rows(session: Session, ids: list[str]) -> None:
        from assistant.models import AnswerLink, Handoff, HandoffNote

        if not ids:
            return
        handoffs = select(Handoff.id).where(Handoff.conversation_id.in_(ids))
        session.execute(sa_delete(HandoffNote).where(HandoffNote.handoff_id.in_(handoffs)))
        session.execute(sa_delete(Handoff).where(Handoff.conversation_id.in_(ids)))
        messages = select(Message.id).where(Message.conversation_id.in_(ids))
        session.execute(sa_delete(AnswerFeedback).where(AnswerFeedback.message_id.in_(messages)))
        session.execute(sa_delete(AnswerLink).where(AnswerLink.message_id.in_(messages)))
        session.execute(sa_delete(Message).where(Message.conversation_id.in_(ids)))
        session.execute(sa_delete(Conversation).where(Conversation.id.in_(ids)))

    def channel_of(self, conversation_id: str) -> str | None:
        with self._sessions() as session:
            conversation = session.get(Conversation, conversation_id)
            return conversation.channel if conversation else None

    def language_of(self, conversation_id: str) -> LanguageChoice | None:
        """The conversation's language (None: not known, as before migration 0014)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                _CONVERSATION_LANGUAGE, {"conversation_id": conversation_id}
            ).first()
        if row is None or row.language is None:
            return None
        return LanguageChoice(row.language, chosen=bool(row.language_chosen))

    def set_language(self, conversation_id: str, choice: LanguageChoice) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                _SET_LANGUAGE,
                {
                    "conversation_id": conversation_id,
                    "language": choice.language,
                    "chosen": choice.chosen,
                },
            )

    def create(
        self,
        *,
        channel: str,
        conversation_key: str | None = None,
        conversation_id: str | None = None,
    ) -> str:
        """A new conversation: under ``conversation_id`` when given (a web citizen's, see
        ``conversation_id_for``), else under a random id (one found by its key)."""
        conversation_id = conversation_id or new_session_id()
        now = utcnow()
        with self.engine.begin() as connection:
            connection.execute(
                _CREATE_CONVERSATION,
                {
                    "id": conversation_id,
                    "channel": channel,
                    "conversation_key": conversation_key,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        return conversation_id

    def find_by_key(self, *, channel: str, conversation_key: str, idle: timedelta) -> str | None:
        """The citizen's conversation on a channel, unless it has been idle too long."""
        with self._sessions() as session:
            found = session.scalars(
                select(Conversation)
                .where(
                    Conversation.channel == channel,
                    Conversation.conversation_key == conversation_key,
                )
                .order_by(Conversation.updated_at.desc())
                .limit(1)
            ).first()
        if found is None or aware(found.updated_at) < utcnow() - idle:
            return None
        return found.id

    def reply_to(self, *, channel: str, external_id: str) -> StoredReply | None:
        """The reply stored for an inbound message id, if that message was handled before."""
        with self._sessions() as session:
            reply = reply_message(session, channel=channel, external_id=external_id)
        if reply is None:
            return None
        return StoredReply(
            conversation_id=reply.conversation_id,
            text=reply.text,
            status=reply.status or "",
            confidence=reply.confidence or 0.0,
            citations=reply.citations or [],
            composer=reply.composer,
            fallback_reason=reply.fallback_reason,
        )

    def recent(self, conversation_id: str, *, limit: int) -> list[PastTurn]:
        """The last ``limit`` messages, oldest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                _RECENT_MESSAGES, {"conversation_id": conversation_id, "limit": limit}
            ).all()
        return [
            PastTurn(
                role=role,
                text=text_,
                status=status,
                cited_docs=tuple(dict.fromkeys(c["doc_id"] for c in citations or [])),
                vector=_vector_from(vector),
                vector_model=vector_model,
                offered=page.doc_id if (page := PageOffer.from_json(offer)) is not None else None,
            )
            for role, text_, status, citations, vector, vector_model, offer in reversed(rows)
        ]

    def transcript(
        self, conversation_id: str, *, after: int = 0, roles: tuple[str, ...] | None = None
    ) -> list[TranscriptMessage]:
        """The conversation's messages in order; only those numbered above ``after`` (what
        a page that saw up to ``after`` missed), and only of ``roles`` when given."""
        query = select(Message).where(Message.conversation_id == conversation_id)
        if after:
            query = query.where(Message.seq > after)
        if roles is not None:
            query = query.where(Message.role.in_(roles))
        with self._sessions() as session:
            rows = session.scalars(query.order_by(Message.id)).all()
        return [
            TranscriptMessage(
                id=m.id,
                seq=m.seq or 0,
                role=m.role,
                text=m.text,
                author=m.author,
                status=m.status,
                confidence=m.confidence,
                citations=m.citations or [],
                at=aware(m.created_at).isoformat(),
                delivery_status=m.delivery_status,
                delivery_error=m.delivery_error,
                offer=(
                    {"title": page.title, "url": page.url}
                    if (page := PageOffer.from_json(m.offer)) is not None
                    else None
                ),
            )
            for m in rows
        ]

    def add_turn(
        self,
        conversation_id: str,
        *,
        citizen_text: str,
        reply_text: str,
        status: str,
        confidence: float,
        citations: list[dict[str, Any]],
        channel: str | None = None,
        external_id: str | None = None,
        reply_vector: np.ndarray | None = None,
        reply_vector_model: str | None = None,
        timings_ms: dict[str, float] | None = None,
        signals: dict[str, float] | None = None,
        composer: str | None = None,
        fallback_reason: str | None = None,
        offer: dict[str, Any] | None = None,
    ) -> int | None:
        """Store a citizen message and its reply: the reply's sequence number (the citizen's
        is one less), or None if ``external_id`` was already stored.

        ``reply_vector`` is the composed answer's vector (kept as float16), made by the
        embedder named ``reply_vector_model``; ``timings_ms`` and ``signals`` record how the
        turn went (see ``Message.timings_ms``); ``composer`` says who wrote an answer and
        ``fallback_reason`` why a generated one was replaced; ``offer`` is the page a
        reply not sure of its answer offered (``PageOffer.to_json``)."""
        try:
            return self._add_turn(
                conversation_id,
                citizen_text=citizen_text,
                reply_text=reply_text,
                status=status,
                confidence=confidence,
                citations=citations,
                channel=channel,
                external_id=external_id,
                reply_vector=reply_vector,
                reply_vector_model=reply_vector_model,
                timings_ms=timings_ms,
                signals=signals,
                composer=composer,
                fallback_reason=fallback_reason,
                offer=offer,
            )
        except IntegrityError:
            if external_id is None:
                raise
            return None

    def add_feedback(self, conversation_id: str, *, helpful: bool, comment: str | None) -> bool:
        """The citizen's verdict on the latest answer (replacing an earlier one); False if none.

        ``comment`` must already be redacted. The cited documents are kept with it, so the
        editors' per-document report survives later changes to the conversation.
        """
        with self._sessions.begin() as session:
            answer = session.scalars(
                select(Message)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.role == "assistant",
                    Message.status == "answered",
                )
                .order_by(Message.id.desc())
                .limit(1)
            ).first()
            if answer is None:
                return False
            doc_ids = list(dict.fromkeys(c["doc_id"] for c in answer.citations or []))
            existing = session.scalars(
                select(AnswerFeedback).where(AnswerFeedback.message_id == answer.id)
            ).first()
            if existing is None:
                existing = AnswerFeedback(message_id=answer.id)
                session.add(existing)
            existing.helpful = helpful
            existing.comment = comment
            existing.doc_ids = doc_ids
            existing.created_at = utcnow()
        return True

    def add_citizen_message(
        self,
        conversation_id: str,
        *,
        text: str,
        channel: str | None = None,
        external_id: str | None = None,
        reply: tuple[str, str] | None = None,
    ) -> int | None:
        """Store a message for a caseworker (and an optional canned ``(status, text)`` reply):
        the sequence number of the last one stored, or None if ``external_id`` was stored
        before."""
        now = utcnow()
        try:
            with self._sessions.begin() as session:
                seq = take_seq(session, conversation_id, n=2 if reply is not None else 1)
                session.add(
                    Message(
                        conversation_id=conversation_id,
                        role="citizen",
                        text=text,
                        channel=channel,
                        external_id=external_id,
                        seq=seq,
                        created_at=now,
                    )
                )
                session.flush()
                if reply is not None:
                    session.add(
                        Message(
                            conversation_id=conversation_id,
                            role="assistant",
                            text=reply[1],
                            status=reply[0],
                            seq=seq + 1,
                            created_at=now,
                        )
                    )
        except IntegrityError:
            if external_id is None:
                raise
            return None
        return seq + 1 if reply is not None else seq

    def _add_turn(
        self,
        conversation_id: str,
        *,
        citizen_text: str,
        reply_text: str,
        status: str,
        confidence: float,
        citations: list[dict[str, Any]],
        channel: str | None,
        external_id: str | None,
        reply_vector: np.ndarray | None,
        reply_vector_model: str | None,
        timings_ms: dict[str, float] | None,
        signals: dict[str, float] | None,
        composer: str | None,
        fallback_reason: str | None,
        offer: dict[str, Any] | None,
    ) -> int:
        now = utcnow()
        with self.engine.begin() as connection:
            seq = take_seq(connection, conversation_id, n=2)
            # Two statements, so the citizen message gets the lower id, before its reply.
            connection.execute(
                _ADD_MESSAGE,
                {
                    "conversation_id": conversation_id,
                    "role": "citizen",
                    "text": citizen_text,
                    "channel": channel,
                    "external_id": external_id,
                    "seq": seq,
                    "created_at": now,
                },
            )
            connection.execute(
                _ADD_MESSAGE,
                {
                    "conversation_id": conversation_id,
                    "role": "assistant",
                    "seq": seq + 1,
                    "text": reply_text,
                    "status": status,
                    "confidence": confidence,
                    "citations": json.loads(json.dumps(citations)),
                    "vector": None
                    if reply_vector is None
                    else np.asarray(reply_vector, dtype=VECTOR_DTYPE).tobytes(),
                    "vector_model": None if reply_vector is None else reply_vector_model,
                    "timings_ms": _finite(timings_ms, 2),
                    "signals": _finite(signals, 4),
                    "composer": composer,
                    "fallback_reason": fallback_reason,
                    "offer": offer,
                    "created_at": now,
                },
            )
        return seq + 1


def _finite(values: dict[str, float] | None, digits: int) -> dict[str, float] | None:
    """``values`` rounded, as JSON can hold them (a NaN or an infinity is left out)."""
    if not values:
        return None
    return {k: round(float(v), digits) for k, v in values.items() if math.isfinite(v)}

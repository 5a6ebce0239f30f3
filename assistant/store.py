"""The conversation store: SQLAlchemy over SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from assistant.turns import PastTurn


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def new_session_id() -> str:
    """Unguessable: 192 random bits."""
    return secrets.token_urlsafe(24)


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    # A channel's own handle on the citizen (e.g. a keyed hash of a phone number).
    conversation_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))  # citizen | assistant
    text: Mapped[str] = mapped_column(Text)  # always redacted
    status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    citations: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The channel's id for the inbound message (Twilio's MessageSid): retries are ignored.
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)

    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_messages_channel_external_id"),
    )


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the database schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@dataclass(frozen=True, slots=True)
class StoredReply:
    """The reply already given to an inbound message (for retried deliveries)."""

    conversation_id: str
    text: str
    status: str
    confidence: float
    citations: list[dict[str, Any]]


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

    def exists(self, conversation_id: str) -> bool:
        with self._sessions() as session:
            return session.get(Conversation, conversation_id) is not None

    def create(self, *, channel: str, conversation_key: str | None = None) -> str:
        conversation_id = new_session_id()
        with self._sessions.begin() as session:
            session.add(
                Conversation(id=conversation_id, channel=channel, conversation_key=conversation_key)
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
        if found is None or _aware(found.updated_at) < _now() - idle:
            return None
        return found.id

    def reply_to(self, *, channel: str, external_id: str) -> StoredReply | None:
        """The reply stored for an inbound message id, if that message was handled before."""
        with self._sessions() as session:
            inbound = session.scalars(
                select(Message).where(
                    Message.channel == channel, Message.external_id == external_id
                )
            ).first()
            if inbound is None:
                return None
            reply = session.scalars(
                select(Message)
                .where(
                    Message.conversation_id == inbound.conversation_id,
                    Message.id > inbound.id,
                    Message.role == "assistant",
                )
                .order_by(Message.id)
                .limit(1)
            ).first()
        if reply is None:
            return None
        return StoredReply(
            conversation_id=inbound.conversation_id,
            text=reply.text,
            status=reply.status or "",
            confidence=reply.confidence or 0.0,
            citations=reply.citations or [],
        )

    def recent(self, conversation_id: str, *, limit: int) -> list[PastTurn]:
        """The last ``limit`` messages, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id.desc())
                .limit(limit)
            ).all()
        return [
            PastTurn(
                role=m.role,
                text=m.text,
                status=m.status,
                cited_docs=tuple(dict.fromkeys(c["doc_id"] for c in m.citations or [])),
            )
            for m in reversed(rows)
        ]

    def transcript(self, conversation_id: str) -> list[dict[str, Any]]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id)
            ).all()
        return [
            {
                "role": m.role,
                "text": m.text,
                "status": m.status,
                "confidence": m.confidence,
                "citations": m.citations or [],
                "at": m.created_at.isoformat(),
            }
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
    ) -> bool:
        """Store a citizen message and its reply; False if ``external_id`` was already stored."""
        try:
            self._add_turn(
                conversation_id,
                citizen_text=citizen_text,
                reply_text=reply_text,
                status=status,
                confidence=confidence,
                citations=citations,
                channel=channel,
                external_id=external_id,
            )
        except IntegrityError:
            if external_id is None:
                raise
            return False
        return True

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
    ) -> None:
        with self._sessions.begin() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:  # pragma: no cover - callers create first
                raise KeyError(conversation_id)
            conversation.updated_at = _now()
            session.add(
                Message(
                    conversation_id=conversation_id,
                    role="citizen",
                    text=citizen_text,
                    channel=channel,
                    external_id=external_id,
                )
            )
            session.flush()  # the citizen message gets the lower id, before its reply
            session.add(
                Message(
                    conversation_id=conversation_id,
                    role="assistant",
                    text=reply_text,
                    status=status,
                    confidence=confidence,
                    citations=json.loads(json.dumps(citations)),
                )
            )

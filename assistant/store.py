"""The conversation store: SQLAlchemy over SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from assistant.turns import PastTurn


def _now() -> datetime:
    return datetime.now(UTC)


def new_session_id() -> str:
    """Unguessable: 192 random bits."""
    return secrets.token_urlsafe(24)


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


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


class ConversationStore:
    """Conversations and their messages. Text given to it must already be redacted."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        Base.metadata.create_all(engine)

    def ping(self) -> bool:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True

    def exists(self, conversation_id: str) -> bool:
        with self._sessions() as session:
            return session.get(Conversation, conversation_id) is not None

    def create(self, *, channel: str) -> str:
        conversation_id = new_session_id()
        with self._sessions.begin() as session:
            session.add(Conversation(id=conversation_id, channel=channel))
        return conversation_id

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
    ) -> None:
        with self._sessions.begin() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:  # pragma: no cover - callers create first
                raise KeyError(conversation_id)
            conversation.updated_at = _now()
            session.add(Message(conversation_id=conversation_id, role="citizen", text=citizen_text))
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

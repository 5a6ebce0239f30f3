"""The tables, as SQLAlchemy models. The schema itself comes from Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    # A channel's own handle on the citizen (e.g. a keyed hash of a phone number).
    conversation_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The citizen's SMS/WhatsApp address, encrypted (channels/sms/contacts.py), so that a
    # caseworker's reply can be sent later. Never stored or logged in the clear.
    contact_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The sequence number of the conversation's latest message: a message takes the next one
    # in the transaction that stores it (see ``assistant.store.take_seq``).
    last_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The language of the conversation's last turn ("en", "es"; None before migration 0014)
    # and whether the citizen chose it rather than the detector reading it.
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Indexed for the analytics' conversations started per day (migration 0013).
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


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
    author: Mapped[str | None] = mapped_column(String(128), nullable=True)  # caseworker name
    # An outbound caseworker message sent by text: Twilio's MessageSid and its last status.
    delivery_sid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    delivery_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    delivery_error: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # An answer's vector (float16, see ComposedAnswer.vector): the next turn folds it in
    # instead of embedding the answer text again.
    vector: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The embedder that made ``vector`` (its name: folder, weights fingerprint, backend).
    vector_model: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # How the turn that made this reply went: milliseconds per stage, and the numbers its
    # decisions read (retrieval scores, answerability signals and confidence, the
    # composer's), so reports read what was decided rather than work it out again.
    timings_ms: Mapped[dict[str, float] | None] = mapped_column(JSON, nullable=True)
    signals: Mapped[dict[str, float] | None] = mapped_column(JSON, nullable=True)
    # Who wrote an answer ("extractive" | "generative"), and why a generated answer was
    # replaced by the quoted one ("timeout", "invented_citation", ...), when it was.
    composer: Mapped[str | None] = mapped_column(String(16), nullable=True)
    fallback_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # A reply not sure of its answer that offered a page ("Did you mean ...?"): the page's
    # doc_id, title and url, so the citizen's yes on the next turn is answered from it.
    # none_as_null: no offer is SQL NULL, not the JSON value null (a reply without one
    # was stored as JSON null before, which "offer IS NOT NULL" counted as an offer).
    offer: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    # 1, 2, 3 … within the conversation: a page that saw up to n asks for what came after.
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_messages_channel_external_id"),
        Index("uq_messages_conversation_seq", "conversation_id", "seq", unique=True),
        # The analytics read turns by time (migration 0013).
        Index("ix_messages_role_created_at", "role", "created_at"),
    )


class AnswerLink(Base):
    """A link to one answer's public page, ``/a/{token}`` (``channels/sms/answers.py``).

    Only the token's SHA-256 is kept: the token opens the answer, so a copy of the database
    must not (migration 0012). An answer may have several links, one per text that carried
    one (a retried delivery makes its own): each keeps working until the answer goes.
    """

    __tablename__ = "answer_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TextOutbox(Base):
    """A caseworker's reply waiting to go out by text (SMS, WhatsApp), or to be tried again.

    Worked by any live replica (``channels/sms/outbox.py``): a row is taken by setting
    ``lease_until``; one whose taker died (``kill -9``) is taken again once that passes.
    The row goes when the text is accepted by Twilio or given up on (and flagged).
    """

    __tablename__ = "text_outbox"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[str] = mapped_column(String(64))
    handoff_id: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int] = mapped_column(Integer, default=0)  # tries already made
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))  # caseworker | editor | manager | admin
    password_hash: Mapped[str] = mapped_column(String(255))
    teams: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Handoff(Base):
    __tablename__ = "handoffs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(32))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str] = mapped_column(String(32))
    # The citizen's language when queued ("en", "es"; None before migration 0014: English).
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    callback_contact: Mapped[str | None] = mapped_column(String(255), nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The first time a caseworker took it (a transfer keeps it): the wait for a person ends.
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    # At most one open handoff per conversation, whichever replica opens it (migration 0010).
    __table_args__ = (
        Index(
            "uq_handoffs_one_open_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=sql_text("state IN ('waiting', 'claimed', 'callback_requested')"),
            postgresql_where=sql_text("state IN ('waiting', 'claimed', 'callback_requested')"),
        ),
        Index("ix_handoffs_created_at", "created_at"),
    )


class HandoffNote(Base):
    __tablename__ = "handoff_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handoff_id: Mapped[str] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(128), nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Draft(Base):
    """An editor's pending change to one document; citizens see it only once published."""

    __tablename__ = "kb_drafts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))  # upsert | retire
    title: Mapped[str | None] = mapped_column(String(255), nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)  # Markdown, no front matter
    fields: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    source_name: Mapped[str | None] = mapped_column(String(255), nullable=True)  # display only
    source_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    base_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    warnings: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # from reading it
    state: Mapped[str] = mapped_column(String(16), default="draft")  # draft|published|discarded
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_version: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Publication(Base):
    __tablename__ = "kb_publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(16))  # publish | restore
    version: Mapped[str] = mapped_column(String(64))
    previous_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class AnswerFeedback(Base):
    __tablename__ = "answer_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)  # redacted
    doc_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class AnalyticsDay(Base):
    """One finished day's count for a channel and language (see ``assistant.analytics``):
    ``kind`` is ``started`` (conversations), ``status`` (replies with the status ``key``)
    or ``cited`` (answers citing the document ``key``, whose ``title`` is kept)."""

    __tablename__ = "analytics_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, UTC
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(255), nullable=True)
    n: Mapped[int] = mapped_column(Integer)


class AnalyticsWeek(Base):
    """One finished week's sums of ``analytics_days`` (``week``: its Monday), so that a
    report over months reads a seventh of the rows (migration 0017, see `make bench`)."""

    __tablename__ = "analytics_weeks"

    week: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, a Monday
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(255), nullable=True)
    n: Mapped[int] = mapped_column(Integer)


class AnalyticsRollup(Base):
    """The last day counted into ``analytics_days``, and the Monday of the last week summed
    into ``analytics_weeks`` (one row, id 1)."""

    __tablename__ = "analytics_rollup"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    through_day: Mapped[str] = mapped_column(String(10))
    through_week: Mapped[str | None] = mapped_column(String(10), nullable=True)


class SavedReply(Base):
    """A reply a caseworker inserts instead of typing it again: a team's (``team`` set) or
    one person's own (``owner_id`` set), never both."""

    __tablename__ = "saved_replies"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    team: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AnswerProposal(Base):
    """A caseworker's answer, marked when resolving, offered to editors as a draft (issue #18).

    ``question`` and ``answer`` are redacted before they are stored, like every stored text;
    nothing reaches citizens until an editor makes a draft of it and publishes the draft.
    """

    __tablename__ = "kb_proposals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    handoff_id: Mapped[str] = mapped_column(
        ForeignKey("handoffs.id", ondelete="CASCADE"), unique=True
    )
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    # How the assistant's reply to the question ended (its content gap): a status value.
    gap_status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    proposed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open|drafted|dismissed
    draft_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_kb_proposals_state", "state"),)

"""Content editing: drafts, publications and citizens' feedback on answers.

- ``kb_drafts``: an editor's pending change to one document (new or updated Markdown and
  metadata, or retiring it); nothing reaches citizens until it is published.
- ``kb_publications``: every publish and restore, with the index versions before and after.
- ``answer_feedback``: a citizen's "was this helpful?" on one answer, with the documents
  that answer cited (for the per-document feedback report).

Revision ID: 0005_editorial
Revises: 0004_sms_delivery
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_editorial"
down_revision = "0004_sms_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_drafts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("doc_id", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("title", sa.String(255), nullable=True),
        sa.Column("body", sa.Text, nullable=True),
        sa.Column("fields", sa.JSON, nullable=True),
        sa.Column("source_name", sa.String(255), nullable=True),
        sa.Column("source_kind", sa.String(16), nullable=True),
        sa.Column("base_hash", sa.String(64), nullable=True),
        sa.Column("warnings", sa.JSON, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_version", sa.String(64), nullable=True),
    )
    op.create_index("ix_kb_drafts_state_doc", "kb_drafts", ["state", "doc_id"])
    op.create_table(
        "kb_publications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("previous_version", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.JSON, nullable=True),
    )
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "message_id",
            sa.Integer,
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("doc_ids", sa.JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("answer_feedback")
    op.drop_table("kb_publications")
    op.drop_index("ix_kb_drafts_state_doc", table_name="kb_drafts")
    op.drop_table("kb_drafts")

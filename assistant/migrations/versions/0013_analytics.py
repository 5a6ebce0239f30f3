"""What the managers' analytics read: when a handoff was first claimed, and indexes that
keep the analytics queries to the range asked for.

``handoffs.claimed_at``: the first time a caseworker took the conversation (a transfer
back to the queue keeps it), so the wait for a person is ``claimed_at - created_at``.
NULL for handoffs made before this migration: they are left out of the wait figures.

``analytics_days``: each finished day's counts per channel and language (conversations
started, replies by status, answers citing each document), written once the day is over
(``assistant.analytics.Analytics.refresh``), so a report over a year reads a few
thousand rows rather than a million turns. ``analytics_rollup``: the last day counted.

Revision ID: 0013_analytics
Revises: 0012_no_keys_stored
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_analytics"
down_revision = "0012_no_keys_stored"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch: on SQLite a batch copies the table and drops the old one.
    op.add_column("handoffs", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    # The analytics read turns, handoffs and ratings by time: without these each query reads
    # every row ever stored (see `make bench`, "analytics").
    op.create_index("ix_messages_role_created_at", "messages", ["role", "created_at"])
    op.create_index("ix_handoffs_created_at", "handoffs", ["created_at"])
    op.create_index("ix_answer_feedback_created_at", "answer_feedback", ["created_at"])
    op.create_index("ix_conversations_created_at", "conversations", ["created_at"])
    op.create_table(
        "analytics_days",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("title", sa.String(255), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_table(
        "analytics_rollup",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("through_day", sa.String(10), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("analytics_rollup")
    op.drop_table("analytics_days")
    op.drop_index("ix_conversations_created_at", table_name="conversations")
    op.drop_index("ix_answer_feedback_created_at", table_name="answer_feedback")
    op.drop_index("ix_handoffs_created_at", table_name="handoffs")
    op.drop_index("ix_messages_role_created_at", table_name="messages")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("claimed_at")

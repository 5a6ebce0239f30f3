"""The text outbox: caseworkers' replies by SMS/WhatsApp waiting to be sent or retried.

Rows in the database rather than jobs in one replica's memory, so a reply survives the
replica that queued it (``kill -9`` included) and any live replica sends it.

Revision ID: 0011_text_outbox
Revises: 0010_replicas
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_text_outbox"
down_revision = "0010_replicas"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "text_outbox",
        sa.Column(
            "message_id",
            sa.Integer(),
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("handoff_id", sa.String(32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_text_outbox_due_at", "text_outbox", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_text_outbox_due_at", table_name="text_outbox")
    op.drop_table("text_outbox")

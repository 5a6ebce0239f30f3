"""Caseworkers' answers offered to editors as drafts (issue #18, part 4).

Revision ID: 0016_answer_proposals
Revises: 0015_saved_replies
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_answer_proposals"
down_revision = "0015_saved_replies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_proposals",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "handoff_id",
            sa.String(32),
            sa.ForeignKey("handoffs.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("gap_status", sa.String(64), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("proposed_by", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("draft_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kb_proposals_state", "kb_proposals", ["state"])


def downgrade() -> None:
    op.drop_index("ix_kb_proposals_state", table_name="kb_proposals")
    op.drop_table("kb_proposals")

"""Saved replies: a team's or one caseworker's own, inserted into a reply (issue #19).

Revision ID: 0015_saved_replies
Revises: 0014_conversation_language
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_saved_replies"
down_revision = "0014_conversation_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_replies",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column(
            "owner_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        # A team's reply or one person's, never both nor neither.
        sa.CheckConstraint(
            "(team IS NULL) <> (owner_id IS NULL)", name="ck_saved_replies_team_or_owner"
        ),
    )
    op.create_index("ix_saved_replies_team", "saved_replies", ["team"])
    op.create_index("ix_saved_replies_owner_id", "saved_replies", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_saved_replies_owner_id", table_name="saved_replies")
    op.drop_index("ix_saved_replies_team", table_name="saved_replies")
    op.drop_table("saved_replies")

"""A reply not sure of its answer may offer a page ("Did you mean ...?", issue #20):
``messages.offer`` holds that page's doc_id, title and url, so the citizen's yes on
the next turn, on whichever replica, is answered from it.

Revision ID: 0018_reply_offer
Revises: 0017_analytics_weeks
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_reply_offer"
down_revision = "0017_analytics_weeks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch: on SQLite a batch copies the table.
    op.add_column("messages", sa.Column("offer", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("offer")

"""The analytics' weekly sums (issue #18): ``analytics_weeks`` holds each finished week's
sums of ``analytics_days``, so a report over 90 days or a year reads a seventh of the
rows; ``analytics_rollup.through_week`` is the Monday of the last week summed. Filled by
``assistant.analytics.Analytics.refresh`` on the next report (existing days included).

Revision ID: 0017_analytics_weeks
Revises: 0016_answer_proposals
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_analytics_weeks"
down_revision = "0016_answer_proposals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_weeks",
        sa.Column("week", sa.String(10), primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("title", sa.String(255), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    # Plain ADD COLUMN, not a batch: on SQLite a batch copies the table.
    op.add_column("analytics_rollup", sa.Column("through_week", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analytics_rollup") as batch:
        batch.drop_column("through_week")
    op.drop_table("analytics_weeks")

"""SMS opt-outs: citizens who texted STOP, by channel and keyed hash of the number.

Revision ID: 0003_sms_opt_outs
Revises: 0002_handoffs
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sms_opt_outs"
down_revision = "0002_handoffs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_opt_outs",
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("phone_hash", sa.String(128), primary_key=True),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sms_opt_outs")

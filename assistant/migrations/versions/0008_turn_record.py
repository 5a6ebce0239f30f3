"""A reply records how its turn went: per-stage timings and the decisions' numbers.

``messages.timings_ms``: milliseconds per stage of the turn pipeline (``retrieve``,
``compose``, ``bring_in_a_person`` ...). ``messages.signals``: the scores the turn's
decisions read (retrieval, the answerability signals and ``confidence``, the composer's).
Both JSON, on the assistant's replies only; earlier replies have neither.

Revision ID: 0008_turn_record
Revises: 0007_answer_vector_model
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_turn_record"
down_revision = "0007_answer_vector_model"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("timings_ms", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("signals", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("signals")
        batch.drop_column("timings_ms")

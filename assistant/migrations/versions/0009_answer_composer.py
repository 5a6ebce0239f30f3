"""A reply records who wrote it and why a generated answer was replaced.

``messages.composer``: ``extractive`` or ``generative`` on an answer (none on canned
replies and on replies stored before this). ``messages.fallback_reason``: when a language
model's answer was not sent and the quoted one went instead, why (``timeout``, ``error``,
``malformed``, ``empty``, ``refusal``, ``no_citation``, ``invented_citation``,
``unsupported``, ``forbidden``).

Revision ID: 0009_answer_composer
Revises: 0008_turn_record
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_answer_composer"
down_revision = "0008_turn_record"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("composer", sa.String(16), nullable=True))
        batch.add_column(sa.Column("fallback_reason", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("fallback_reason")
        batch.drop_column("composer")

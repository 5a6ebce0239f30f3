"""An answer's vector is stored with it.

``messages.vector``: the composed answer's meaning (float16 bytes), folded into the next
question's query instead of embedding the answer text again. Empty for older answers,
which are embedded as before.

Revision ID: 0006_answer_vectors
Revises: 0005_editorial
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_answer_vectors"
down_revision = "0005_editorial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("vector", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("vector")

"""An answer's vector records the embedding model that made it.

``messages.vector_model``: the embedder's name (folder name and weights fingerprint, plus
the backend) when ``messages.vector`` was stored. A follow-up folds a stored vector in
only when the running model made it; any other answer (one from before this column, or
from before a model switch) is embedded again from its text, as before 0006.

Revision ID: 0007_answer_vector_model
Revises: 0006_answer_vectors
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_answer_vector_model"
down_revision = "0006_answer_vectors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("vector_model", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("vector_model")

"""The language a conversation is in, whether the citizen chose it, and a handoff's.

``conversations.language``: ``en`` or ``es``, the language of the last turn (NULL for
conversations stored before this, read as English). ``conversations.language_chosen``:
true when the citizen chose it (the page's switch, a text such as ESPAÑOL), so a short
message the detector reads otherwise does not change it. ``handoffs.language``: the
language the citizen was in when they were queued, shown to caseworkers (NULL: English).

Revision ID: 0014_conversation_language
Revises: 0013_analytics
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_conversation_language"
down_revision = "0013_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch: on SQLite a batch copies the table and drops the old
    # one, and dropping ``conversations`` cascades to every message (the migration test
    # lost the transcript that way).
    op.add_column("conversations", sa.Column("language", sa.String(8), nullable=True))
    op.add_column(
        "conversations",
        sa.Column("language_chosen", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("handoffs", sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("language_chosen")
        batch.drop_column("language")

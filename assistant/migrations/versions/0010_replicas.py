"""Many replicas on one database: message sequence numbers and one open handoff each.

- ``messages.seq``: 1, 2, 3 … within a conversation, so a page that saw up to n can ask
  any replica for what came after; ``conversations.last_seq`` hands them out (a row
  update in the same transaction that stores the message, so numbers become visible in
  order). Existing messages are numbered by id.
- ``uq_handoffs_one_open_per_conversation``: a partial unique index (SQLite and
  PostgreSQL both have them), so two replicas asked for a person at once open one
  handoff. Conversations that already have two open ones keep the one a caseworker holds
  (else the oldest); the others are closed as ``resolved`` first, or the index could
  not be built.

Revision ID: 0010_replicas
Revises: 0009_answer_composer
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_replicas"
down_revision = "0009_answer_composer"
branch_labels = None
depends_on = None

OPEN = "state IN ('waiting', 'claimed', 'callback_requested')"


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("last_seq", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
    # Window functions: SQLite 3.25+ and PostgreSQL alike.
    op.execute(
        "UPDATE messages SET seq = (SELECT n FROM (SELECT id, ROW_NUMBER() OVER "
        "(PARTITION BY conversation_id ORDER BY id) AS n FROM messages) AS numbered "
        "WHERE numbered.id = messages.id)"
    )
    op.execute(
        "UPDATE conversations SET last_seq = COALESCE((SELECT MAX(seq) FROM messages "
        "WHERE messages.conversation_id = conversations.id), 0)"
    )
    op.create_index(
        "uq_messages_conversation_seq", "messages", ["conversation_id", "seq"], unique=True
    )

    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            f"SELECT id, conversation_id FROM handoffs WHERE {OPEN} "
            "ORDER BY conversation_id, CASE WHEN state = 'claimed' THEN 0 ELSE 1 END, created_at"
        )
    ).all()
    kept: set[str] = set()
    for handoff_id, conversation_id in rows:
        if conversation_id in kept:
            connection.execute(
                sa.text(
                    "UPDATE handoffs SET state = 'resolved', resolved_at = CURRENT_TIMESTAMP "
                    "WHERE id = :id"
                ),
                {"id": handoff_id},
            )
        kept.add(conversation_id)
    op.create_index(
        "uq_handoffs_one_open_per_conversation",
        "handoffs",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("uq_handoffs_one_open_per_conversation", table_name="handoffs")
    op.drop_index("uq_messages_conversation_seq", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("seq")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("last_seq")

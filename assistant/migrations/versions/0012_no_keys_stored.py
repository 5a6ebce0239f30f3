"""No citizen's key in the database: conversations under a hash of the session id, and
answer links as hashes of their tokens.

- A web citizen's session id is their key to the conversation (it reads and writes it),
  and it used to be the conversation's id: in the database, in the console, in staff
  events. Every conversation moves to ``assistant.store.conversation_id_for(old id)``, so a
  citizen's page keeps working with the session id it holds; messages, handoffs and the
  text outbox follow. Conversations found by a key (SMS, WhatsApp, Rasa) move too: their
  old ids were shown to staff, and the web API would have taken one as a session id.
- The raw tokens of ``/a/{token}`` links (``messages.answer_token``) become
  ``answer_links`` rows holding each token's SHA-256; the column is emptied and its index
  dropped. The column itself stays, unused: dropping a column on SQLite rebuilds the
  table, and dropping ``messages`` with foreign keys on would take the rows that point
  at it (feedback, outbox) along.

Conversations are moved in a few statements over a table of (old id, new id): each row is
copied under its new id, its children pointed at the copy, then the old row deleted, so
foreign keys hold at every step on SQLite and PostgreSQL alike.

The downgrade restores the tables' shapes, not the old ids or tokens (a hash cannot be
undone): after it, citizens' open pages start new conversations and old links lead to
"Answer not found".

Revision ID: 0012_no_keys_stored
Revises: 0011_text_outbox
Create Date: 2026-12-06
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0012_no_keys_stored"
down_revision = "0011_text_outbox"
branch_labels = None
depends_on = None

# Copied from assistant.store (a migration must not change when the code does later).
_CONVERSATION_ID_PREFIX = b"citizen-assistant conversation id v1\x00"


def _conversation_id_for(session_id: str) -> str:
    digest = hashlib.sha256(_CONVERSATION_ID_PREFIX + session_id.encode("utf-8", "replace"))
    return digest.hexdigest()[:32]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def upgrade() -> None:
    connection = op.get_bind()
    op.create_table(
        "answer_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "message_id",
            sa.Integer(),
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_answer_links_message_id", "answer_links", ["message_id"])
    links = connection.execute(
        sa.text("SELECT id, answer_token, created_at FROM messages WHERE answer_token IS NOT NULL")
    ).all()
    if links:
        connection.execute(
            sa.text(
                "INSERT INTO answer_links (token_hash, message_id, created_at) "
                "VALUES (:token_hash, :message_id, :created_at)"
            ),
            [
                {"token_hash": _token_hash(token), "message_id": id_, "created_at": at}
                for id_, token, at in links
            ],
        )
    op.drop_index("ix_messages_answer_token", table_name="messages")
    connection.execute(sa.text("UPDATE messages SET answer_token = NULL"))

    moves = op.create_table(
        "conversation_id_moves",
        sa.Column("old_id", sa.String(64), primary_key=True),
        sa.Column("new_id", sa.String(64), nullable=False),
    )
    old_ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM conversations"))]
    if old_ids:
        op.bulk_insert(moves, [{"old_id": o, "new_id": _conversation_id_for(o)} for o in old_ids])
    moved = "SELECT old_id FROM conversation_id_moves"
    # Whatever columns the table has when this runs (another branch's migration may come
    # first and add some): every value but the id is copied.
    kept = ", ".join(
        f"conversations.{column['name']}"
        for column in sa.inspect(connection).get_columns("conversations")
        if column["name"] != "id"
    )
    names = kept.replace("conversations.", "")
    connection.execute(
        sa.text(
            f"INSERT INTO conversations (id, {names}) SELECT m.new_id, {kept} "
            "FROM conversations JOIN conversation_id_moves m ON m.old_id = conversations.id"
        )
    )
    for table in ("messages", "handoffs", "text_outbox"):
        connection.execute(
            sa.text(
                f"UPDATE {table} SET conversation_id = (SELECT new_id FROM "
                f"conversation_id_moves m WHERE m.old_id = {table}.conversation_id) "
                f"WHERE conversation_id IN ({moved})"
            )
        )
    connection.execute(sa.text(f"DELETE FROM conversations WHERE id IN ({moved})"))
    op.drop_table("conversation_id_moves")


def downgrade() -> None:
    op.create_index("ix_messages_answer_token", "messages", ["answer_token"], unique=True)
    op.drop_index("ix_answer_links_message_id", table_name="answer_links")
    op.drop_table("answer_links")

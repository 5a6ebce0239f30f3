"""Caseworker replies by text: the citizen's encrypted address, delivery state, answer links.

- ``conversations.contact_encrypted``: the citizen's SMS/WhatsApp address, Fernet-encrypted
  (never the raw number), so a caseworker's reply can be sent later.
- ``messages.delivery_sid``/``delivery_status``/``delivery_error``: the Twilio MessageSid of
  an outbound caseworker message and what Twilio last reported about it.
- ``messages.answer_token``: the unguessable id of an answer's public page, ``/a/{token}``.

Revision ID: 0004_sms_delivery
Revises: 0003_sms_opt_outs
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_sms_delivery"
down_revision = "0003_sms_opt_outs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("contact_encrypted", sa.Text, nullable=True))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("delivery_sid", sa.String(64), nullable=True))
        batch.add_column(sa.Column("delivery_status", sa.String(24), nullable=True))
        batch.add_column(sa.Column("delivery_error", sa.String(255), nullable=True))
        batch.add_column(sa.Column("answer_token", sa.String(64), nullable=True))
    op.create_index("ix_messages_delivery_sid", "messages", ["delivery_sid"])
    op.create_index("ix_messages_answer_token", "messages", ["answer_token"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_messages_answer_token", table_name="messages")
    op.drop_index("ix_messages_delivery_sid", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("answer_token")
        batch.drop_column("delivery_error")
        batch.drop_column("delivery_status")
        batch.drop_column("delivery_sid")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("contact_encrypted")

"""Citizens who texted STOP: while opted out they are sent nothing.

The table is created by the Alembic migration ``0002_sms_opt_outs`` (it runs whenever the
conversation store opens the database); queries here use SQLAlchemy Core on the store's
engine. Only the keyed hash of the number is kept.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, MetaData, String, Table, delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

metadata = MetaData()

sms_opt_outs = Table(
    "sms_opt_outs",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("phone_hash", String(128), primary_key=True),
    Column("opted_out_at", DateTime(timezone=True), nullable=False),
)


class OptOutStore:
    """Opt-outs by (channel, phone hash): STOP on SMS does not silence WhatsApp, as at Twilio."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def opt_out(self, *, channel: str, phone_hash: str) -> None:
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(sms_opt_outs).values(
                        channel=channel, phone_hash=phone_hash, opted_out_at=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            pass  # already opted out: STOP twice is still STOP

    def opt_in(self, *, channel: str, phone_hash: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                delete(sms_opt_outs).where(
                    sms_opt_outs.c.channel == channel, sms_opt_outs.c.phone_hash == phone_hash
                )
            )

    def is_opted_out(self, *, channel: str, phone_hash: str) -> bool:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(sms_opt_outs.c.phone_hash).where(
                    sms_opt_outs.c.channel == channel, sms_opt_outs.c.phone_hash == phone_hash
                )
            ).first()
        return found is not None

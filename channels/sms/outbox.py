"""The text outbox: rows in the database that any live replica works.

A caseworker's reply by text is a row (``text_outbox``) until Twilio accepts it or it is
given up on. Each replica runs a couple of worker threads that take due rows:

- on PostgreSQL with ``SELECT … FOR UPDATE SKIP LOCKED`` (two replicas never take the
  same row, and neither waits for the other), on SQLite with a conditional UPDATE;
- taking a row sets a lease (``lease_until``); a replica killed mid-send (``kill -9``)
  leaves the lease to run out, and then any replica takes the row again. A text can so
  be sent twice (killed after Twilio accepted it, before the row went) but never lost;
- a retry is the same row with ``attempt`` + 1 and a later ``due_at``.

Workers sleep until nudged (a new row here) or for ``poll_seconds`` (rows queued on other
replicas, retries falling due): the database is the schedule, nothing is held in memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from assistant.models import Message, TextOutbox, utcnow

log = logging.getLogger(__name__)


class Outbox:
    def __init__(
        self,
        engine: Engine,
        run: Callable[[Any], None],
        make_job: Callable[[str, str, int, str, int], Any],
        *,
        workers: int = 2,
        poll_seconds: float = 1.0,
        lease_seconds: float = 60.0,
    ) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._run = run
        self._make_job = make_job
        self._workers = workers
        self._poll = poll_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._wake = threading.Event()
        self._started = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    def start(self) -> None:
        """Start this replica's workers (once); they also pick up rows left by others."""
        with self._started:
            if self._threads:
                return
            self._stop = stop = threading.Event()  # this start's own: a later one is fresh
            for n in range(self._workers):
                thread = threading.Thread(
                    target=self._loop, args=(stop,), name=f"text-outbox-{n}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Let the workers finish what they are sending and end (at shutdown): rows left
        are another replica's, or this one's after a restart. ``start`` starts them again.
        """
        with self._started:
            threads, self._threads = self._threads, []
            self._stop.set()
            self._wake.set()
        for thread in threads:
            thread.join(timeout)

    def add(self, *, message_id: int, conversation_id: str, handoff_id: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                insert(TextOutbox).values(
                    message_id=message_id,
                    conversation_id=conversation_id,
                    handoff_id=handoff_id,
                    attempt=0,
                    due_at=utcnow(),
                )
            )
        self.start()
        self._wake.set()

    def retry_later(self, message_id: int, *, attempt: int, delay: float) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(TextOutbox)
                .where(TextOutbox.message_id == message_id)
                .values(
                    attempt=attempt, due_at=utcnow() + timedelta(seconds=delay), lease_until=None
                )
            )

    def done(self, message_id: int) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(TextOutbox).where(TextOutbox.message_id == message_id))

    def waiting(self) -> int:
        """Rows not yet done (for tests and the operator)."""
        with self._sessions() as session:
            return len(session.scalars(select(TextOutbox.message_id)).all())

    def _loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                job = self._take()
            except Exception:  # the database away for a moment: try again after a pause
                log.exception("text outbox: could not read the outbox")
                job = None
            if job is None:
                self._wake.wait(self._poll)
                self._wake.clear()
                continue
            try:
                self._run(job)
            except Exception:  # a bug must not kill the worker; the lease brings it back
                log.exception("text outbox: a delivery crashed message=%s", job.message_id)

    def _take(self) -> Any:
        now = utcnow()
        free = or_(TextOutbox.lease_until.is_(None), TextOutbox.lease_until < now)
        with self._sessions.begin() as session:
            query = (
                select(TextOutbox)
                .where(TextOutbox.due_at <= now, free)
                .order_by(TextOutbox.due_at)
                .limit(1)
            )
            if self._engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = session.scalars(query).first()
            if row is None:
                return None
            # On SQLite the conditional UPDATE decides between takers; on PostgreSQL the
            # row is already locked to us.
            taken = session.execute(
                update(TextOutbox)
                .where(TextOutbox.message_id == row.message_id, free)
                .values(lease_until=now + self._lease)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None
            text = session.scalar(select(Message.text).where(Message.id == row.message_id))
            if text is None:  # the conversation was erased meanwhile
                session.execute(delete(TextOutbox).where(TextOutbox.message_id == row.message_id))
                return None
            return self._make_job(
                row.conversation_id, row.handoff_id, row.message_id, text, row.attempt
            )

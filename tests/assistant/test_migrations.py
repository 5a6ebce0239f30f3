"""Migrations: replicas starting together on PostgreSQL, and databases made before 0010."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Engine

from assistant.store import ConversationStore, migrate
from tests.assistant.db import postgres_engine, sqlite_engine

MIGRATIONS = Path(__file__).resolve().parents[2] / "assistant" / "migrations"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        yield sqlite_engine(tmp_path)
    else:
        yield from postgres_engine()


@pytest.fixture
def postgres() -> Iterator[Engine]:
    yield from postgres_engine()


@pytest.mark.postgres
def test_replicas_starting_together_take_turns_on_the_migrations(postgres: Engine) -> None:
    # Without the advisory lock these starts block one another on the new tables (seen
    # here: still stuck after two minutes) or fail on "already exists".
    starters = 4
    barrier = threading.Barrier(starters)
    failures: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            migrate(postgres)
        except BaseException as error:  # the test reports every failure
            failures.append(error)

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with postgres.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == "0012_saved_replies"


def _upgrade(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_an_older_database_gets_numbers_and_keeps_one_open_handoff(engine: Engine) -> None:
    _upgrade(engine, "0008_turn_record")
    with engine.begin() as connection:
        for conversation in ("c1", "c2"):
            connection.execute(
                text(
                    "INSERT INTO conversations (id, channel, created_at, updated_at) "
                    "VALUES (:c, 'web', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"c": conversation},
            )
        for n, conversation in enumerate(["c1", "c2", "c1", "c1"]):
            connection.execute(
                text(
                    "INSERT INTO messages (conversation_id, role, text, created_at) "
                    "VALUES (:c, 'citizen', :t, CURRENT_TIMESTAMP)"
                ),
                {"c": conversation, "t": f"m{n}"},
            )
        # The bug this revision closes: two open handoffs for one conversation.
        for handoff_id, state, minute in (("h1", "waiting", 1), ("h2", "claimed", 2)):
            connection.execute(
                text(
                    "INSERT INTO handoffs (id, conversation_id, state, reason, reasons, "
                    "priority, channel, summary, created_at, updated_at) VALUES (:id, 'c1', "
                    ":state, 'requested', '[]', 0, 'web', '', :at, :at)"
                ),
                {"id": handoff_id, "state": state, "at": f"2026-01-01 10:0{minute}:00"},
            )
    store = ConversationStore(engine)  # upgrades to head
    assert [(m.text, m.seq) for m in store.transcript("c1")] == [("m0", 1), ("m2", 2), ("m3", 3)]
    assert [m.seq for m in store.transcript("c2")] == [1]
    assert store.last_seq("c1") == 3
    store.add_citizen_message("c1", text="next")
    assert store.transcript("c1", after=3)[0].seq == 4
    with engine.connect() as connection:
        states = dict(connection.execute(text("SELECT id, state FROM handoffs")).all())
    assert states == {"h1": "resolved", "h2": "claimed"}  # the one a caseworker holds stays

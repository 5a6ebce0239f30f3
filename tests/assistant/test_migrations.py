"""Migrations: replicas starting together on PostgreSQL, databases made before 0010, and
session ids and answer tokens taken out of the database (0012)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Engine

from assistant.store import ConversationStore, conversation_id_for, migrate
from channels.sms.answers import AnswerLinks
from tests.assistant.db import postgres_engine

MIGRATIONS = Path(__file__).resolve().parents[2] / "assistant" / "migrations"


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
    assert version == _head()


def _head() -> str:
    """The newest migration's revision (what a fresh start must end at)."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


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
    c1, c2 = conversation_id_for("c1"), conversation_id_for("c2")  # 0012 moved them
    assert [(m.text, m.seq) for m in store.transcript(c1)] == [("m0", 1), ("m2", 2), ("m3", 3)]
    assert [m.seq for m in store.transcript(c2)] == [1]
    assert store.last_seq(c1) == 3
    store.add_citizen_message(c1, text="next")
    assert store.transcript(c1, after=3)[0].seq == 4
    with engine.connect() as connection:
        states = dict(connection.execute(text("SELECT id, state FROM handoffs")).all())
    assert states == {"h1": "resolved", "h2": "claimed"}  # the one a caseworker holds stays


def test_session_ids_and_answer_tokens_leave_the_database(engine: Engine) -> None:
    """0012: a conversation stored under the citizen's session id moves to its hash with
    everything in it, the page's session id still opens it, and a link's token is kept
    only as a hash that still opens the answer."""
    _upgrade(engine, "0011_text_outbox")
    session_id, sms_id, token = "S3ss10n-" + "x" * 24, "sms-conversation-1", "t0k3n" + "y" * 17
    with engine.begin() as connection:
        for conversation, channel, key in ((session_id, "web", None), (sms_id, "sms", "k" * 64)):
            connection.execute(
                text(
                    "INSERT INTO conversations (id, channel, conversation_key, "
                    "contact_encrypted, last_seq, created_at, updated_at) VALUES (:c, :ch, "
                    ":k, :contact, 2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"c": conversation, "ch": channel, "k": key, "contact": key and "sealed"},
            )
            for seq, role in ((1, "citizen"), (2, "assistant")):
                connection.execute(
                    text(
                        "INSERT INTO messages (conversation_id, role, text, status, seq, "
                        "answer_token, created_at) VALUES (:c, :role, :t, 'answered', :seq, "
                        ":token, CURRENT_TIMESTAMP)"
                    ),
                    {
                        "c": conversation,
                        "role": role,
                        "t": f"{channel} {role}",
                        "seq": seq,
                        "token": token if (channel, role) == ("sms", "assistant") else None,
                    },
                )
        connection.execute(
            text(
                "INSERT INTO handoffs (id, conversation_id, state, reason, reasons, priority, "
                "channel, summary, created_at, updated_at) VALUES ('h1', :c, 'waiting', "
                "'requested', '[]', 0, 'web', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"c": session_id},
        )
        answer_id = connection.execute(
            text("SELECT id FROM messages WHERE answer_token IS NOT NULL")
        ).scalar()
        connection.execute(
            text(
                "INSERT INTO text_outbox (message_id, conversation_id, handoff_id, attempt, "
                "due_at) VALUES (:m, :c, 'h1', 0, CURRENT_TIMESTAMP)"
            ),
            {"m": answer_id, "c": sms_id},
        )
    store = ConversationStore(engine)  # upgrades to head
    web = conversation_id_for(session_id)
    assert [m.text for m in store.transcript(web)] == ["web citizen", "web assistant"]
    assert store.last_seq(web) == 2 and store.channel_of(web) == "web"
    found = store.find_by_key(channel="sms", conversation_key="k" * 64, idle=timedelta(days=1))
    assert found == conversation_id_for(sms_id)
    assert [m.text for m in store.transcript(found)] == ["sms citizen", "sms assistant"]
    assert AnswerLinks(engine).answer(token) is not None  # the link sent by text still works
    with engine.connect() as connection:
        handoff_of = connection.execute(
            text("SELECT conversation_id FROM handoffs WHERE id = 'h1'")
        ).scalar()
        outbox_of = connection.execute(text("SELECT conversation_id FROM text_outbox")).scalar()
        contact = connection.execute(
            text("SELECT contact_encrypted FROM conversations WHERE channel = 'sms'")
        ).scalar()
        conversations = connection.execute(text("SELECT COUNT(*) FROM conversations")).scalar()
        dump = repr(
            [
                connection.execute(text(f"SELECT * FROM {table}")).all()
                for table in (
                    "conversations",
                    "messages",
                    "handoffs",
                    "text_outbox",
                    "answer_links",
                )
            ]
        )
    assert handoff_of == web and outbox_of == found and conversations == 2
    assert contact == "sealed"  # every column comes along
    assert session_id not in dump and sms_id not in dump and token not in dump

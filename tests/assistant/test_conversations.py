"""Conversations keyed by a channel's handle, retries of one message, and migrations."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import inspect

from assistant.container import Container
from assistant.store import ConversationStore, make_engine
from assistant.turns import InboundMessage, Status


def test_a_retried_delivery_gets_the_same_single_reply(container: Container) -> None:
    message = InboundMessage(
        "sms", "How do I pay my water bill?", conversation_key="k1", external_id="SM123"
    )
    first = container.assistant.handle(message)
    again = container.assistant.handle(message)
    assert first.status is Status.ANSWERED and not first.duplicate
    assert again.duplicate and again.text == first.text and again.session_id == first.session_id
    transcript = container.conversation_store.transcript(first.session_id)
    assert [m.role for m in transcript] == ["citizen", "assistant"]


def test_concurrent_retries_store_one_turn(container: Container) -> None:
    message = InboundMessage(
        "sms", "When is trash picked up?", conversation_key="k2", external_id="SM-race"
    )
    replies = []
    threads = [
        threading.Thread(target=lambda: replies.append(container.assistant.handle(message)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(not r.duplicate for r in replies) == 1
    assert len({r.text for r in replies}) == 1
    transcript = container.conversation_store.transcript(replies[0].session_id)
    assert len(transcript) == 2


def test_a_channel_key_continues_the_conversation_until_it_goes_idle(
    container: Container,
) -> None:
    first = container.assistant.handle(
        InboundMessage("sms", "How do I renew my driver's license?", conversation_key="phone-a")
    )
    follow = container.assistant.handle(
        InboundMessage("sms", "how much does it cost?", conversation_key="phone-a")
    )
    assert follow.session_id == first.session_id
    assert follow.citations and follow.citations[0].doc_id == "renew-drivers-license"
    other = container.assistant.handle(InboundMessage("sms", "hello", conversation_key="phone-b"))
    assert other.session_id != first.session_id
    container.assistant.idle_timeout = timedelta(0)
    later = container.assistant.handle(
        InboundMessage("sms", "hello again", conversation_key="phone-a")
    )
    assert later.session_id != first.session_id


def test_the_schema_comes_from_migrations(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    ConversationStore(engine)
    ConversationStore(engine)  # a second start upgrades nothing and breaks nothing
    tables = set(inspect(engine).get_table_names())
    assert {"conversations", "messages", "alembic_version"} <= tables

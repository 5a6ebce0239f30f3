"""One contract for the conversation store and the handoff queue, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from assistant.events import InProcessEventBus
from assistant.handoffs import AlreadyClaimedError, HandoffQueue, NotHolderError
from assistant.staff import Role, Staff
from assistant.store import ConversationStore
from tests.assistant.db import postgres_engine, sqlite_engine

PASSWORD = "a long enough password"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        yield sqlite_engine(tmp_path)
    else:
        yield from postgres_engine()


@pytest.fixture
def parts(engine: Engine) -> tuple[ConversationStore, Staff, HandoffQueue]:
    store = ConversationStore(engine)
    staff = Staff(engine)
    return store, staff, HandoffQueue(engine, staff=staff, events=InProcessEventBus())


def _open(
    store: ConversationStore, queue: HandoffQueue, *, reason: str = "requested", priority: int = 10
) -> str:
    conversation = store.create(channel="web")
    return queue.open(
        conversation_id=conversation,
        channel="web",
        reasons=[reason],
        priority=priority,
        summary="needs help",
        team="General",
    ).id


def test_exactly_one_of_many_concurrent_claims_wins(parts) -> None:  # type: ignore[no-untyped-def]
    store, staff, queue = parts
    workers = [
        staff.create(username=f"cw{i}", password=PASSWORD, role=Role.CASEWORKER) for i in range(6)
    ]
    handoff_id = _open(store, queue)
    barrier = threading.Barrier(len(workers))
    outcomes: list[str] = []

    def attempt(user) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            queue.claim(handoff_id, user)
            outcomes.append(user.username)
        except AlreadyClaimedError:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o != "refused"]
    assert len(winners) == 1 and len(outcomes) == len(workers)
    assert queue.get(handoff_id).claimed_by.username == winners[0]  # type: ignore[union-attr]


def test_claim_next_gives_concurrent_caseworkers_different_conversations(parts) -> None:  # type: ignore[no-untyped-def]
    store, staff, queue = parts
    ids = {_open(store, queue) for _ in range(4)}
    workers = [
        staff.create(username=f"n{i}", password=PASSWORD, role=Role.CASEWORKER) for i in range(4)
    ]
    taken: list[str] = []
    lock = threading.Lock()

    def take(user) -> None:  # type: ignore[no-untyped-def]
        got = queue.claim_next(user)
        assert got is not None
        with lock:
            taken.append(got.id)

    threads = [threading.Thread(target=take, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(ids)


def test_crisis_first_then_waiting_time_and_positions_move_up(parts) -> None:  # type: ignore[no-untyped-def]
    store, staff, queue = parts
    user = staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    first = _open(store, queue)
    second = _open(store, queue, reason="own_case")
    crisis = _open(store, queue, reason="crisis", priority=100)
    waiting = queue.in_view("waiting", user)
    assert [h.id for h in waiting] == [crisis, first, second]
    assert [h.position for h in waiting] == [1, 2, 3]
    queue.claim(crisis, user)
    assert queue.get(second).position == 2


def test_only_the_holder_replies_and_notes_stay_internal(parts) -> None:  # type: ignore[no-untyped-def]
    store, staff, queue = parts
    sam = staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER, display_name="Sam")
    kim = staff.create(username="kim", password=PASSWORD, role=Role.CASEWORKER)
    handoff_id = _open(store, queue)
    with pytest.raises(NotHolderError):
        queue.reply(handoff_id, sam, "hello")
    queue.claim(handoff_id, sam)
    with pytest.raises(NotHolderError):
        queue.reply(handoff_id, kim, "hello")
    queue.reply(handoff_id, sam, "Hello, my number is 555-123-4567")
    queue.add_note(handoff_id, sam, "Check the SNAP file")
    conversation = queue.get(handoff_id).conversation_id
    transcript = store.transcript(conversation)
    assert [m.author for m in transcript if m.role == "caseworker"] == ["Sam"]
    assert "555-123-4567" not in str(transcript)  # redacted like every stored message
    assert "SNAP file" not in str(transcript)
    assert queue.notes(handoff_id)[0]["text"] == "Check the SNAP file"


def test_transfer_resolve_and_rating(parts) -> None:  # type: ignore[no-untyped-def]
    store, staff, queue = parts
    sam = staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    kim = staff.create(username="kim", password=PASSWORD, role=Role.CASEWORKER, teams=["DMV"])
    handoff_id = _open(store, queue)
    queue.claim(handoff_id, sam)
    moved = queue.transfer(handoff_id, sam, team="DMV")
    assert moved.state == "waiting" and moved.team == "DMV" and moved.claimed_by is None
    assert [h.id for h in queue.in_view("waiting", kim)] == [handoff_id]
    queue.claim(handoff_id, kim)
    to_sam = queue.transfer(handoff_id, kim, to_username="sam")
    assert to_sam.claimed_by is not None and to_sam.claimed_by.username == "sam"
    done = queue.resolve(handoff_id, sam)
    assert done.state == "resolved"
    rated = queue.rate(done.conversation_id, rating=4, comment="quick help")
    assert rated.rating == 4
    assert [h.id for h in queue.in_view("resolved", sam)] == [handoff_id]
    actions = [e["action"] for e in staff.audit_log()]
    assert {"handoff.claim", "handoff.transfer", "handoff.resolved"} <= set(actions)


def test_sign_in_sessions_and_roles(parts) -> None:  # type: ignore[no-untyped-def]
    _, staff, _ = parts
    staff.create(username="Eve", password=PASSWORD, role=Role.EDITOR)
    assert staff.sign_in("eve", "wrong password!!") is None
    signed = staff.sign_in("eve", PASSWORD)
    assert signed is not None and signed.user.role is Role.EDITOR
    assert staff.session(signed.token) is not None
    staff.sign_out(signed.token)
    assert staff.session(signed.token) is None
    with pytest.raises(ValueError, match="10 characters"):
        staff.create(username="short", password="short", role=Role.CASEWORKER)


class RecordingBus(InProcessEventBus):
    """The in-process bus, keeping the last event published on each topic."""

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[str, dict] = {}  # type: ignore[type-arg]

    def publish(self, topic: str, event: dict) -> None:  # type: ignore[type-arg]
        self.last[topic] = event
        super().publish(topic, event)


def test_every_citizen_is_told_the_place_the_queue_gives_them(engine: Engine) -> None:
    """The places announced to citizens, from one query for the whole line, are the ones
    each handoff's own view gives (priority first, then the longer wait)."""
    store, staff = ConversationStore(engine), Staff(engine)
    bus = RecordingBus()
    queue = HandoffQueue(engine, staff=staff, events=bus)
    caseworker = staff.create(username="cw", password=PASSWORD, role=Role.CASEWORKER)
    opened = [_open(store, queue, priority=p) for p in (10, 20, 10, 100, 10)]
    queue.claim(opened[1], caseworker)  # claimed: no longer in line, everyone moves up
    for handoff_id in opened:
        view = queue.get(handoff_id)
        told = bus.last[f"chat:{view.conversation_id}"]
        assert (told["id"], told["state"], told["position"]) == (
            view.id,
            view.state,
            view.position,
        )
    assert [queue.get(h).position for h in opened] == [2, None, 3, 1, 4]

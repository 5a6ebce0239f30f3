"""One contract for the conversation store and the handoff queue, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from assistant.events import InProcessEventBus
from assistant.handoffs import AlreadyClaimedError, HandoffQueue, NotHolderError
from assistant.staff import Role, Staff
from assistant.store import ConversationStore

PASSWORD = "a long enough password"


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
    queue.reply(handoff_id, sam, "Call our office on 555-123-4567, 12 Main Street")
    queue.add_note(handoff_id, sam, "Check the SNAP file")
    conversation = queue.get(handoff_id).conversation_id
    transcript = store.transcript(conversation)
    assert [m.author for m in transcript if m.role == "caseworker"] == ["Sam"]
    # A caseworker's words reach the citizen as written: they are not the citizen's data.
    assert [m.text for m in transcript if m.role == "caseworker"] == [
        "Call our office on 555-123-4567, 12 Main Street"
    ]
    assert "SNAP file" not in str(transcript)
    assert queue.notes(handoff_id)[0].text == "Check the SNAP file"


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
    actions = [e.action for e in staff.audit_log()]
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


def test_racing_requests_for_a_person_open_one_handoff(parts) -> None:  # type: ignore[no-untyped-def]
    store, _, queue = parts
    conversation = store.create(channel="web")
    racers = 8
    barrier = threading.Barrier(racers)
    opened: list[str] = []

    def ask() -> None:
        barrier.wait()
        view = queue.open(
            conversation_id=conversation,
            channel="web",
            reasons=["requested"],
            priority=10,
            summary="needs help",
            team="General",
        )
        opened.append(view.id)

    threads = [threading.Thread(target=ask) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every request got an answer, and it is the same handoff: the database kept it to one.
    assert len(opened) == racers and len(set(opened)) == 1
    with queue.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT COUNT(*) FROM handoffs WHERE conversation_id = :c"), {"c": conversation}
        ).scalar()
    assert rows == 1


def test_a_second_open_handoff_is_refused_by_the_database(parts) -> None:  # type: ignore[no-untyped-def]
    store, _, queue = parts
    conversation = store.create(channel="web")
    first = _open_in(queue, conversation)
    insert = text(
        "INSERT INTO handoffs (id, conversation_id, state, reason, reasons, priority, channel,"
        " summary, created_at, updated_at) VALUES ('x2', :c, 'waiting', 'requested', '[]', 0,"
        " 'web', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    with pytest.raises(IntegrityError), queue.engine.begin() as connection:
        connection.execute(insert, {"c": conversation})
    sam = queue.staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    queue.claim(first, sam)
    queue.resolve(first, sam)
    # Once it is closed, the conversation may ask for a person again.
    assert _open_in(queue, conversation) != first


def _open_in(queue: HandoffQueue, conversation: str) -> str:
    return queue.open(
        conversation_id=conversation,
        channel="web",
        reasons=["requested"],
        priority=10,
        summary="needs help",
        team="General",
    ).id


def test_messages_are_numbered_per_conversation_and_read_from_a_number(parts) -> None:  # type: ignore[no-untyped-def]
    store, staff, queue = parts
    conversation = store.create(channel="web")
    other = store.create(channel="web")
    store.add_turn(
        conversation,
        citizen_text="hi",
        reply_text="Hello",
        status="greeting",
        confidence=1.0,
        citations=[],
    )
    store.add_turn(
        other,
        citizen_text="hi",
        reply_text="Hello",
        status="greeting",
        confidence=1.0,
        citations=[],
    )
    handoff = _open_in(queue, conversation)
    store.add_citizen_message(conversation, text="are you there?", reply=("handoff_waiting", "…"))
    sam = staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    queue.claim(handoff, sam)  # a system note: "… has joined"
    queue.reply(handoff, sam, "Yes, I am here.")
    transcript = store.transcript(conversation)
    assert [m.seq for m in transcript] == [1, 2, 3, 4, 5, 6]
    assert [m.seq for m in store.transcript(other)] == [1, 2]
    assert store.last_seq(conversation) == 6 and store.last_seq("nope") is None
    missed = store.transcript(conversation, after=4, roles=("caseworker",))
    assert [(m.seq, m.text) for m in missed] == [(6, "Yes, I am here.")]


def test_concurrent_writers_get_gapless_distinct_numbers(parts) -> None:  # type: ignore[no-untyped-def]
    store, _, _ = parts
    conversation = store.create(channel="web")
    writers, each = 6, 5
    barrier = threading.Barrier(writers)

    def write(n: int) -> None:
        barrier.wait()
        for i in range(each):
            store.add_citizen_message(conversation, text=f"{n}-{i}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seqs = [m.seq for m in store.transcript(conversation)]
    assert sorted(seqs) == list(range(1, writers * each + 1))
    assert seqs == sorted(seqs)  # stored (and read) in the order they were numbered


class RecordingBus(InProcessEventBus):
    """The in-process bus, keeping the last event published on each topic, and every
    citizen's event (in order)."""

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[str, dict] = {}  # type: ignore[type-arg]
        self.told: list[tuple[str, dict]] = []  # type: ignore[type-arg]

    def publish(self, topic: str, event: dict) -> None:  # type: ignore[type-arg]
        self.last[topic] = event
        if topic.startswith("chat:"):
            self.told.append((topic, event))
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


def test_a_change_tells_only_the_citizens_it_moves(engine: Engine) -> None:
    """Queue positions without a cost per waiting citizen for every change: one joining at
    the back or a claimed conversation closing tells one citizen; the head being claimed
    tells each one behind it their new place (the ones a change can move)."""
    store, staff = ConversationStore(engine), Staff(engine)
    bus = RecordingBus()
    queue = HandoffQueue(engine, staff=staff, events=bus)
    caseworker = staff.create(username="cw", password=PASSWORD, role=Role.CASEWORKER)
    waiting = [_open(store, queue) for _ in range(30)]
    bus.told.clear()
    last = _open(store, queue)
    assert [(e["id"], e["position"]) for _, e in bus.told] == [(last, 31)]
    bus.told.clear()
    queue.claim(waiting[0], caseworker)
    told = {e["id"]: e["position"] for _, e in bus.told}
    assert told == {h: n for n, h in enumerate([*waiting[1:], last], start=1)} | {waiting[0]: None}
    assert all(queue.get(h).position == p for h, p in told.items())
    bus.told.clear()
    queue.resolve(waiting[0], caseworker)
    assert [(e["id"], e["state"]) for _, e in bus.told if e["type"] == "handoff"] == [
        (waiting[0], "resolved")
    ]
    bus.told.clear()
    queue.claim(waiting[10], caseworker)  # from the middle: those behind move up
    moved = {e["id"] for _, e in bus.told} - {waiting[10]}
    assert moved == {*waiting[11:], last}
    # The caseworkers' list gives each the place its own view does (read in one query).
    listed = queue.in_view("waiting", caseworker)
    assert [v.position for v in listed] == list(range(1, len(listed) + 1))
    assert [v.position for v in listed] == [queue.get(v.id).position for v in listed]
    active = queue.in_view("active", caseworker)
    assert {v.id: v.position for v in active} == {v.id: queue.get(v.id).position for v in active}


def test_call_backs_left_out_of_hours_do_not_count_in_a_live_chats_place(engine: Engine) -> None:
    """A citizen on the page is told how many live chats are ahead of them: call-backs
    left out of hours (older, even more urgent) are taken after every live chat, so they
    neither count in a live chat's place and wait nor move it when they come and go."""
    store, staff = ConversationStore(engine), Staff(engine)
    bus = RecordingBus()
    queue = HandoffQueue(engine, staff=staff, events=bus, minutes_per_case=6.0)
    caseworker = staff.create(username="cw", password=PASSWORD, role=Role.CASEWORKER)

    def left_out_of_hours(priority: int = 10) -> str:
        return queue.open(
            conversation_id=store.create(channel="web"),
            channel="web",
            reasons=["requested"],
            priority=priority,
            summary="call me back",
            team="General",
            state="callback_requested",
            callback_contact="555-0100",
        ).id

    callbacks = [left_out_of_hours(priority=20), left_out_of_hours()]
    live = [_open(store, queue), _open(store, queue)]
    first = queue.get(live[0])
    assert [queue.get(h).position for h in live] == [1, 2]
    assert first.citizen_json(minutes_per_case=6.0) == {
        "id": first.id,
        "state": "waiting",
        "position": 1,
        "expected_wait_minutes": 6,
    }
    # The call-backs wait behind every live chat, and the caseworkers' list says so too.
    assert [queue.get(h).position for h in callbacks] == [3, 4]
    listed = queue.in_view("waiting", caseworker)
    assert [v.id for v in listed] == [*live, *callbacks]
    assert [v.position for v in listed] == [1, 2, 3, 4]

    # A call-back coming or going moves no live chat: its citizens are not told anything.
    bus.told.clear()
    another = left_out_of_hours(priority=100)
    queue.claim(callbacks[0], caseworker)
    live_topics = {f"chat:{queue.get(h).conversation_id}" for h in live}
    assert not [topic for topic, _ in bus.told if topic in live_topics]
    assert [queue.get(h).position for h in live] == [1, 2]
    assert queue.get(another).position == 3  # the most urgent call-back, after the live chats

    # "Take the next one" gives the live chat first, whatever the call-backs' urgency.
    taken = queue.claim_next(caseworker)
    assert taken is not None and taken.id == live[0]
    assert queue.get(live[1]).position == 1
    assert bus.last[f"chat:{queue.get(live[1]).conversation_id}"]["position"] == 1


def test_the_citizen_is_told_what_a_caseworker_did(engine: Engine) -> None:
    """Each event on the citizen's own topic says what happened: a caseworker joined, passed
    the conversation to a colleague, or let it go to another team's line (with the team
    and the new place); closing it is said by its state."""
    store, staff = ConversationStore(engine), Staff(engine)
    bus = RecordingBus()
    queue = HandoffQueue(engine, staff=staff, events=bus)
    sam = staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    staff.create(username="ana", password=PASSWORD, role=Role.CASEWORKER)
    ahead = _open(store, queue)
    handoff_id = _open(store, queue)
    topic = f"chat:{queue.get(handoff_id).conversation_id}"

    def last_told() -> dict:  # type: ignore[type-arg]
        told = [event for to, event in bus.told if to == topic]
        return told[-1]

    queue.claim(handoff_id, sam)
    assert last_told() == {
        "type": "handoff",
        "id": handoff_id,
        "state": "claimed",
        "position": None,
        "expected_wait_minutes": None,
        "change": "joined",
    }
    ana = queue.transfer(handoff_id, sam, to_username="ana")
    assert (last_told()["state"], last_told()["change"]) == ("claimed", "transferred")
    assert "team" not in last_told()
    assert ana.claimed_by is not None
    queue.transfer(handoff_id, ana.claimed_by, team="DMV")
    told = last_told()
    assert (told["state"], told["change"], told["team"]) == ("waiting", "transferred", "DMV")
    assert told["position"] == 2 == queue.get(handoff_id).position  # behind the older chat
    # Only its own citizen hears what was done; the one ahead is not moved, nor told.
    assert all("change" not in e for to, e in bus.told if to != topic)
    assert queue.get(ahead).position == 1
    queue.claim(handoff_id, sam)
    queue.resolve(handoff_id, sam)
    assert [e["type"] for to, e in bus.told if to == topic][-2:] == ["handoff", "resolved"]
    assert [e for to, e in bus.told if to == topic][-2]["state"] == "resolved"
    assert "change" not in [e for to, e in bus.told if to == topic][-2]

"""Two real replicas (uvicorn processes) on one PostgreSQL database and one Redis: every
live event crosses between them both ways, and a page catches up what it missed.

The test creates its own PostgreSQL database and drops it afterwards; Redis is named by
``CA_TEST_REDIS_URL`` (a database number of its own: ``.ci/run`` sets it), without which
the test is skipped, since ``make test`` needs no Redis.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.channels.web.replicas import ASK_FOR_PERSON, Caseworker, Deployment, Replica, chat

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

Event = dict[str, Any]


def citizen_line(replica: Replica, session_id: str, after: int | None = None) -> ClientConnection:
    query = "" if after is None else f"?after={after}"
    return connect(f"{replica.ws}/ws/chat/{session_id}{query}")


def heard(socket: ClientConnection, wanted: Callable[[Event], bool], seconds: float = 15) -> Event:
    """The first event on the socket that ``wanted`` picks (others are passed over)."""
    deadline = time.monotonic() + seconds
    seen: list[Event] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"never heard it; heard {seen}")
        try:
            event = json.loads(socket.recv(timeout=left))
        except TimeoutError:
            continue
        if wanted(event):
            return event
        seen.append(event)


def handoff_event(kind: str, handoff_id: str) -> Callable[[Event], bool]:
    return lambda e: e.get("type") == kind and e.get("handoff", {}).get("id") == handoff_id


def citizen_wrote(handoff_id: str) -> Callable[[Event], bool]:
    return lambda e: (
        e.get("type") == "message"
        and e["handoff_id"] == handoff_id
        and e["message"]["role"] == "citizen"
    )


def test_every_live_event_crosses_between_replicas_both_ways(deployment: Deployment) -> None:
    a, b = deployment.a, deployment.b
    sam = Caseworker(b)
    with sam.console(a) as console_a, sam.console(b) as console_b:
        # A citizen asks for a person on A: the console on B hears of it (A -> B) ...
        first = chat(a, ASK_FOR_PERSON)
        first_id, first_session = first["handoff"]["id"], first["session_id"]
        heard(console_b, handoff_event("handoff.created", first_id))
        # ... and one asking on B is heard on A (B -> A).
        second = chat(b, ASK_FOR_PERSON)
        second_id, second_session = second["handoff"]["id"], second["session_id"]
        assert second["handoff"]["position"] == 2
        heard(console_a, handoff_event("handoff.created", second_id))

        # The citizens' live lines land on the other replica from their chat.
        with citizen_line(b, first_session) as line_1, citizen_line(a, second_session) as line_2:
            heard(line_1, lambda e: e.get("type") == "handoff" and e["state"] == "waiting")
            heard(line_2, lambda e: e.get("type") == "handoff" and e["position"] == 2)

            # Claimed on A: the first citizen's line on B hears it (A -> B), the second
            # citizen on A moves up the queue, and the console on B is told.
            sam.post(a, f"{first_id}/claim")
            heard(line_1, lambda e: e.get("type") == "handoff" and e["state"] == "claimed")
            heard(line_2, lambda e: e.get("type") == "handoff" and e["position"] == 1)
            heard(console_b, handoff_event("handoff.updated", first_id))

            # The caseworker's reply, sent on A, reaches the citizen on B as written.
            sent = sam.post(a, f"{first_id}/reply", {"text": "Call us on 555-010-2000."})
            message = heard(line_1, lambda e: e.get("type") == "message")
            assert message["text"] == "Call us on 555-010-2000." and message["seq"] == sent["seq"]

            # Claimed and answered on B: heard on A (B -> A).
            sam.post(b, f"{second_id}/claim")
            heard(line_2, lambda e: e.get("type") == "handoff" and e["state"] == "claimed")
            sam.post(b, f"{second_id}/reply", {"text": "Hello from B"})
            assert heard(line_2, lambda e: e.get("type") == "message")["text"] == "Hello from B"

            # Citizens write back through the other replica: their caseworker's consoles
            # on either side hear it.
            chat(b, "thank you, calling now", first_session)
            said = heard(console_a, citizen_wrote(first_id))
            assert said["message"]["text"] == "thank you, calling now"
            chat(a, "one more question", second_session)
            said = heard(console_b, citizen_wrote(second_id))
            assert said["message"]["text"] == "one more question"

            # Transferred on B, heard on A; resolved on each side, heard on the other.
            sam.post(b, f"{second_id}/transfer", {"team": "DMV"})
            heard(console_a, handoff_event("handoff.updated", second_id))
            heard(line_2, lambda e: e.get("type") == "handoff" and e["state"] == "waiting")
            sam.post(a, f"{first_id}/resolve")
            heard(line_1, lambda e: e.get("type") == "resolved" and e["id"] == first_id)
            sam.post(b, f"{second_id}/claim")
            sam.post(b, f"{second_id}/resolve")
            heard(line_2, lambda e: e.get("type") == "resolved" and e["id"] == second_id)


def test_a_line_that_comes_back_gets_what_it_missed_on_either_replica(
    deployment: Deployment,
) -> None:
    a, b = deployment.a, deployment.b
    sam = Caseworker(a)
    asked = chat(a, ASK_FOR_PERSON)
    handoff_id, session_id = asked["handoff"]["id"], asked["session_id"]
    sam.post(a, f"{handoff_id}/claim")
    with citizen_line(b, session_id) as line:
        heard(line, lambda e: e.get("type") == "handoff")
        first = sam.post(a, f"{handoff_id}/reply", {"text": "first"})
        assert heard(line, lambda e: e.get("type") == "message")["seq"] == first["seq"]
    # The line is down while two more replies are sent on B.
    sam.post(b, f"{handoff_id}/reply", {"text": "second"})
    sam.post(b, f"{handoff_id}/reply", {"text": "third"})
    with citizen_line(a, session_id, after=first["seq"]) as line:
        missed = [heard(line, lambda e: e.get("type") == "message") for _ in range(2)]
        assert [m["text"] for m in missed] == ["second", "third"]
        live = sam.post(b, f"{handoff_id}/reply", {"text": "fourth"})
        again = heard(line, lambda e: e.get("type") == "message")
        assert (again["text"], again["seq"]) == ("fourth", live["seq"])  # nothing twice
    # And the stored transcript, from either replica, has it all in order.
    stored = httpx.get(f"{b.url}/api/chat/{session_id}/messages", timeout=30).json()
    replies = [m["text"] for m in stored["messages"] if m["role"] == "caseworker"]
    assert replies == ["first", "second", "third", "fourth"]
    assert stored["last_seq"] == stored["messages"][-1]["seq"]

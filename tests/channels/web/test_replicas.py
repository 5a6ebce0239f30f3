"""Two real replicas (uvicorn processes) on one PostgreSQL database and one Redis: every
live event crosses between them both ways, and a page catches up what it missed.

The test creates its own PostgreSQL database and drops it afterwards; Redis is named by
``CA_TEST_REDIS_URL`` (a database number of its own: ``.ci/run`` sets it), without which
the test is skipped, since ``make test`` needs no Redis.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from websockets.sync.client import ClientConnection, connect

from assistant.container import Container
from assistant.settings import Settings
from tests.assistant.db import POSTGRES_URL
from tests.conftest import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "a long enough password"
ASK_FOR_PERSON = "I want to talk to a real person"
Event = dict[str, Any]


@pytest.fixture
def database_url() -> Iterator[str]:
    """A PostgreSQL database of the test's own, dropped afterwards."""
    name = f"ca_replicas_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        pytest.fail(f"PostgreSQL is needed at {POSTGRES_URL}: {error}")
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


class Replica:
    """``uvicorn server:app`` in a child process of its own."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "server:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.log = log

    def wait_ready(self, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"replica {self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(f"replica {self.name} never became ready:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


@dataclass
class Deployment:
    a: Replica
    b: Replica
    settings: Settings  # as the replicas read them, to set up staff from the test


@pytest.fixture
def deployment(
    sample_data_dir: Path, tmp_path: Path, database_url: str, redis_url: str
) -> Iterator[Deployment]:
    shared_index = tmp_path / "shared-index"
    shutil.copytree(sample_data_dir / "index", shared_index)
    common = {
        "CA_INDEX_STORE": str(shared_index),
        "CA_DATABASE_URL": database_url,
        "CA_REDIS_URL": redis_url,
        "CA_ENVIRONMENT": "test",
        "CA_STAFF_HOURS": "always",
        "CA_SAMPLE_KB_ON_EMPTY": "false",
        "CA_ONNX_CACHE_DIR": str(sample_data_dir / "models"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    # Both start at once on an empty database: they take turns on the migrations.
    replicas = [
        Replica(name, {**os.environ, **common, "CA_DATA_DIR": str(tmp_path / name)},
                tmp_path / f"{name}.log")
        for name in ("a", "b")
    ]  # fmt: skip
    try:
        for replica in replicas:
            replica.wait_ready()
        settings = Settings(
            data_dir=tmp_path / "setup", database_url=database_url, index_store=shared_index
        )
        container = Container(settings)
        container.staff.create(
            username="sam", password=PASSWORD, role="caseworker", display_name="Sam Rivera"
        )
        container.engine.dispose()
        yield Deployment(replicas[0], replicas[1], settings)
    finally:
        for replica in replicas:
            replica.stop()


class Caseworker:
    """Sam, signed in once; the session is in the database, so good on either replica."""

    def __init__(self, replica: Replica) -> None:
        signed = httpx.post(
            replica.url + "/api/staff/login",
            json={"username": "sam", "password": PASSWORD},
            timeout=30,
        )
        assert signed.status_code == 200, signed.text
        self.cookie = signed.cookies["ca_staff"]
        self.csrf = signed.json()["csrf_token"]

    def post(self, replica: Replica, path: str, body: Any = None) -> Any:
        response = httpx.post(
            replica.url + "/api/staff/handoffs/" + path,
            json=body,
            cookies={"ca_staff": self.cookie},
            headers={"X-CSRF-Token": self.csrf},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def console(self, replica: Replica) -> ClientConnection:
        return connect(
            replica.ws + "/ws/staff", additional_headers={"Cookie": f"ca_staff={self.cookie}"}
        )


def chat(replica: Replica, message: str, session_id: str | None = None) -> Any:
    response = httpx.post(
        replica.url + "/api/chat", json={"message": message, "session_id": session_id}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


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

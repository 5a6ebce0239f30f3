"""The privacy grep of a full run (issue #15): a real server on 127.0.0.1, a citizen who
types a card and a street address, a handoff a caseworker claims and answers, an SMS whose
answer is linked, a callback and a rating; then the whole database (SQLite, PostgreSQL)
and everything logged hold no session id, no answer-link token, no card expiry or code
and no address, and no staff surface shows a session id."""

from __future__ import annotations

import io
import json
import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import Engine
from websockets.sync.client import connect

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from channels.sms.answers import AnswerLinks
from tests.assistant.db import POSTGRES_URL
from tests.channels.sms.twilio import FakeTwilioApi, messages, text_to, with_sms
from tests.conftest import LiveServer

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password"
ADDRESS = "88 Quarry Hill"
EXPIRY = "09/29"
CVV = "737"
CARD_MESSAGE = (
    f"Can I pay the fee with my card 4111 1111 1111 1111 exp {EXPIRY} CVV {CVV}? "
    f"I live at {ADDRESS}"
)
# A long answer, cut to fit two segments: its text ends with a link to the whole answer.
LONG_QUESTION = "How much does it cost to renew my driver's license?"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None: the data dir's SQLite file; else a private PostgreSQL schema, dropped after."""
    if request.param == "sqlite":
        yield None
        return
    schema = f"ca_privacy_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(data_dir: Any, database_url: str | None) -> Settings:
    return Settings(
        data_dir=data_dir, environment="test", database_url=database_url, staff_hours="always"
    )


@pytest.fixture
def server(settings: Settings, container: Container, captured: io.StringIO) -> Iterator[LiveServer]:
    container.staff.create(
        username="sam", password=PASSWORD, role=Role.CASEWORKER, display_name="Sam"
    )
    with FakeTwilioApi() as twilio:
        sms_settings = with_sms(settings, twilio, answer_max_chars=700)
        container.settings = sms_settings
        # log_config=None: uvicorn keeps the capturing handlers rather than its own.
        live = LiveServer(sms_settings, container, log_level="info", log_config=None)
        # Twilio signs the public URL; here that is the server's own address.
        container.settings = sms_settings.model_copy(update={"public_url": live.url})
        with live:
            yield live
    container.engine.dispose()


def test_a_full_run_leaves_no_key_and_no_card_or_address_behind(
    server: LiveServer, container: Container, captured: io.StringIO
) -> None:
    url, ws = server.url, server.url.replace("http", "ws")
    sam = httpx.Client(base_url=url, timeout=30)
    signed = sam.post("/api/staff/login", json={"username": "sam", "password": PASSWORD})
    sam.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
    staff_cookie = {"Cookie": f"ca_staff={sam.cookies.get('ca_staff')}"}
    staff_seen: list[str] = []  # every staff response and event, to grep as well

    with connect(ws + "/ws/staff", additional_headers=staff_cookie) as staff_socket:
        # A citizen asks, types a card and an address, then asks for a person.
        first = chat(url, "How do I renew my driver's license?", None)
        session_id = first["session_id"]
        typed = chat(url, CARD_MESSAGE, session_id)
        assert EXPIRY not in json.dumps(typed)  # the page is given the redacted copy to keep
        asked = chat(url, "I want to talk to a real person", session_id)
        # (The card may already have brought a person in: then this joins that handoff.)
        assert asked["status"] in ("handoff_requested", "handoff_waiting"), asked
        handoff_id = asked["handoff"]["id"]
        staff_seen.append(json.dumps(next_event(staff_socket, "handoff.created")))

        with connect(f"{ws}/ws/chat/{session_id}?after=0") as citizen_socket:
            assert sam.post(f"/api/staff/handoffs/{handoff_id}/claim").status_code == 200
            sam.post(f"/api/staff/handoffs/{handoff_id}/reply", json={"text": "Hello, Sam here"})
            assert next_event(citizen_socket, "message")["text"] == "Hello, Sam here"
            chat(url, "Thanks. " + CARD_MESSAGE, session_id)  # while a person holds it
            relayed = next_event(
                staff_socket, "message", lambda e: e["message"]["role"] == "citizen"
            )
            staff_seen.append(json.dumps(relayed))
            detail = sam.get(f"/api/staff/handoffs/{handoff_id}")
            staff_seen += [detail.text, sam.get("/api/staff/handoffs").text]
            conversation_id = detail.json()["conversation_id"]
            assert sam.post(f"/api/staff/handoffs/{handoff_id}/resolve").status_code == 200
            assert next_event(citizen_socket, "resolved")["id"] == handoff_id
        # The citizen's page still works with its session id: reload and catch up, rate.
        reloaded = httpx.get(f"{url}/api/chat/{session_id}/messages", params={"after": 0})
        assert reloaded.status_code == 200
        texts = [m["text"] for m in reloaded.json()["messages"]]
        assert "Hello, Sam here" in texts and texts[0] == "How do I renew my driver's license?"
        assert conversation_id != session_id
        unknown = httpx.get(f"{url}/api/chat/{conversation_id}/messages")
        assert unknown.status_code == 404  # what staff see does not open the conversation
        rated = httpx.post(
            url + "/api/chat/rating",
            json={"session_id": session_id, "rating": 4, "comment": f"Come to {ADDRESS}"},
        )
        assert rated.status_code == 200, rated.text
        feedback = httpx.post(
            url + "/api/chat/feedback",
            json={"session_id": session_id, "helpful": True, "comment": f"exp {EXPIRY}"},
        )
        assert feedback.status_code == 200, feedback.text

        # Another citizen leaves a callback request.
        other = chat(url, "What documents do I need for a permit?", None)["session_id"]
        left = httpx.post(
            url + "/api/chat/callback",
            json={"session_id": other, "message": CARD_MESSAGE, "contact": "555-0100"},
            timeout=30,
        )
        assert left.status_code == 200, left.text
        staff_seen.append(json.dumps(next_event(staff_socket, "handoff.created")))
        staff_seen.append(sam.get("/api/staff/handoffs", params={"view": "waiting"}).text)

    # A text message whose answer is cut, with the link to the whole of it.
    [texted] = messages(text_to(server, LONG_QUESTION, "SM" + "7" * 32))
    assert "More: " in texted, texted
    token = AnswerLinks(container.engine).token_for_reply(
        channel="sms", external_id="SM" + "7" * 32
    )
    assert token is not None
    assert httpx.get(f"{url}/a/{token}").status_code == 200

    secrets_ = {"session id": session_id, "other session id": other, "answer token": token}
    typed_ = {"card expiry": EXPIRY, "address": "Quarry Hill"}
    database = dump(container.engine)
    logs = captured.getvalue()
    assert "/ws/chat/#" in logs and "/a/#" in logs  # the requests were logged ...
    assert conversation_id in database  # ... and stored, under the id staff see
    for where, found in (("database", database), ("logs", logs), ("staff", "\n".join(staff_seen))):
        for what, value in {**secrets_, **typed_}.items():
            assert value not in found, f"{what} in the {where}"
        # The code, in its phrase (a bare "737" may be part of a number or a stored vector).
        assert not re.search(rf"(?i)(cvv|code)\W*{CVV}\b", found), f"card code in the {where}"
    assert "[CARD EXPIRY]" in database and "[ADDRESS]" in database  # what was typed, redacted


def chat(url: str, message: str, session_id: str | None) -> dict[str, Any]:
    answered = httpx.post(
        url + "/api/chat", json={"message": message, "session_id": session_id}, timeout=60
    )
    assert answered.status_code == 200, answered.text
    body: dict[str, Any] = answered.json()
    return body


def next_event(socket: Any, kind: str, where: Any = lambda event: True) -> Any:
    for _ in range(50):
        event = json.loads(socket.recv(timeout=30))
        if event.get("type") == kind and where(event):
            return event
    raise AssertionError(f"no {kind} event")


def dump(engine: Engine) -> str:
    """Every row of every table, as text (binary values, answer vectors, left out)."""
    tables = MetaData()
    tables.reflect(engine)
    lines = []
    with engine.connect() as connection:
        for table in tables.sorted_tables:
            for row in connection.execute(select(table)):
                values = ["<bytes>" if isinstance(v, bytes | memoryview) else v for v in row]
                lines.append(f"{table.name} {values!r}")
    return "\n".join(lines)

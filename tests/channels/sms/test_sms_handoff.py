"""A handoff taken over SMS: the caseworker's console reply goes out through the real
``twilio`` client to a fake Twilio API on 127.0.0.1; status callbacks, retries, failures."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from twilio.request_validator import RequestValidator
from websockets.sync.client import ClientConnection, connect

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from channels.sms.signing import STATUS_PATH
from tests.channels.sms.twilio import (
    ACCOUNT_SID,
    CITIZEN,
    OUR_NUMBER,
    TOKEN,
    FakeTwilioApi,
    messages,
    text_to,
    with_sms,
)
from tests.conftest import LiveServer

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password"


@pytest.fixture
def server(
    settings: Settings, container: Container, twilio_api: FakeTwilioApi
) -> Iterator[LiveServer]:
    sms_settings = with_sms(
        settings,
        twilio_api,
        staff_hours="always",
        contact_encryption_key=SecretStr("test-contact-key"),
        sms_delivery_backoff_seconds=(0.05, 0.2),
    )
    container.settings = sms_settings
    container.staff.create(
        username="sam", password=PASSWORD, role=Role.CASEWORKER, display_name="Sam"
    )
    live = LiveServer(sms_settings, container)
    container.settings = sms_settings.model_copy(update={"public_url": live.url})
    with live:
        yield live


def sign_in(server: LiveServer) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30)
    response = client.post("/api/staff/login", json={"username": "sam", "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


def report(server: LiveServer, sid: str, status: str, *, token: str = TOKEN, **extra: str) -> int:
    """Twilio's status callback for one message, signed as Twilio signs it."""
    url = server.url + STATUS_PATH
    form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID, **extra}
    signature = RequestValidator(token).compute_signature(url, form)
    response = httpx.post(url, data=form, headers={"X-Twilio-Signature": signature})
    return response.status_code


def wait_for(check: Callable[[], Any], what: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def next_event(socket: ClientConnection, where: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    for _ in range(100):
        event: dict[str, Any] = json.loads(socket.recv(timeout=15))
        if where(event):
            return event
    raise AssertionError("no such event")


def open_sms_handoff(server: LiveServer, sam: httpx.Client) -> str:
    """The citizen texts for a person; Sam, signed in, claims the conversation."""
    [reply] = messages(text_to(server, "I want to talk to a person", "SM" + "7" * 32))
    assert "caseworker" in reply and "number 1" in reply
    [waiting] = sam.get("/api/staff/handoffs", params={"view": "waiting"}).json()
    assert waiting["channel"] == "sms" and waiting["reason"] == "requested"
    assert sam.post(f"/api/staff/handoffs/{waiting['id']}/claim").status_code == 200
    return str(waiting["id"])


def sent_message(sam: httpx.Client, handoff_id: str, text: str) -> dict[str, Any]:
    detail = sam.get(f"/api/staff/handoffs/{handoff_id}").json()
    return next(m for m in detail["transcript"] if m["text"] == text)


def test_a_caseworker_reply_is_texted_to_the_citizen_and_its_delivery_shown(
    server: LiveServer,
    settings: Settings,
    twilio_api: FakeTwilioApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    sam = sign_in(server)
    cookie = f"ca_staff={sam.cookies.get('ca_staff')}"
    ws_url = server.url.replace("http", "ws") + "/ws/staff"
    with connect(ws_url, additional_headers={"Cookie": cookie}) as staff_socket:
        handoff_id = open_sms_handoff(server, sam)
        started = time.perf_counter()
        posted = sam.post(
            f"/api/staff/handoffs/{handoff_id}/reply",
            json={"text": "Hello, this is Sam from the city."},
        )
        assert posted.status_code == 200 and time.perf_counter() - started < 2
        message = posted.json()
        assert message["delivery_status"] == "pending" and isinstance(message["id"], int)

        assert twilio_api.received.wait(15), "the reply never reached the Twilio API"
        [sent] = twilio_api.sent
        assert sent["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        assert sent["To"] == CITIZEN and sent["From"] == OUR_NUMBER
        assert sent["Body"] == "Hello, this is Sam from the city."
        assert sent["StatusCallback"] == server.url + STATUS_PATH
        sid = f"SM{1:032d}"
        queued = next_event(staff_socket, lambda e: e["type"] == "delivery")
        assert queued == {
            "type": "delivery",
            "handoff_id": handoff_id,
            "message_id": message["id"],
            "status": "queued",
            "error": None,
        }

        # Status callbacks: refused unsigned, then recorded; a late "sent" changes nothing.
        assert report(server, sid, "delivered", token="forged") == 403
        assert report(server, sid, "sent") == 204
        assert report(server, sid, "delivered") == 204
        assert report(server, sid, "sent") == 204
        delivered = next_event(
            staff_socket, lambda e: e["type"] == "delivery" and e["status"] == "delivered"
        )
        assert delivered["message_id"] == message["id"]
    # (An event after the socket closed lets the server's handler notice at once.)
    assert sam.post(f"/api/staff/handoffs/{handoff_id}/resolve").status_code == 200
    shown = sent_message(sam, handoff_id, "Hello, this is Sam from the city.")
    assert shown["delivery_status"] == "delivered" and shown["delivery_error"] is None
    assert shown["role"] == "caseworker" and shown["author"] == "Sam"

    # The number is kept encrypted and never logged.
    with sqlite3.connect(settings.data_dir / "assistant.db") as db:
        [(contact,)] = db.execute("SELECT contact_encrypted FROM conversations").fetchall()
        dump = "\n".join(db.iterdump())
    assert contact and "5550123" not in dump and "5550199" not in dump
    assert "5550123" not in caplog.text


def test_passing_failures_are_retried_and_lasting_ones_flagged(
    server: LiveServer, twilio_api: FakeTwilioApi
) -> None:
    sam = sign_in(server)
    handoff_id = open_sms_handoff(server, sam)
    url = f"/api/staff/handoffs/{handoff_id}/reply"

    # Twilio has a bad moment: 500 twice, then the message is taken.
    twilio_api.plan = [(500, {"message": "oops"}), (500, {"message": "oops"})]
    sam.post(url, json={"text": "First try may fail."})
    retried = wait_for(
        lambda: sent_message(sam, handoff_id, "First try may fail.")["delivery_status"] == "queued",
        "the retried reply",
    )
    assert retried and [m["Body"] for m in twilio_api.sent] == ["First try may fail."] * 3

    # Twilio refuses it for good: no retry, and the caseworker is told why.
    twilio_api.plan = [(400, {"code": 21211, "message": "Invalid 'To'", "status": 400})]
    sam.post(url, json={"text": "This one is refused."})
    flagged = wait_for(
        lambda: (
            sent_message(sam, handoff_id, "This one is refused.")["delivery_status"] == "failed"
        ),
        "the refused reply",
    )
    assert flagged and len(twilio_api.sent) == 4
    refused = sent_message(sam, handoff_id, "This one is refused.")
    assert "not valid" in refused["delivery_error"] and "21211" in refused["delivery_error"]
    transcript = sam.get(f"/api/staff/handoffs/{handoff_id}").json()["transcript"]
    notes = [m["text"] for m in transcript if m["role"] == "system"]
    assert (
        "Could not deliver the reply by text: the phone number is not valid (Twilio error 21211)"
        in notes
    )

    # Always down: flagged once the retries are used up.
    twilio_api.plan = [(503, {})] * 3
    sam.post(url, json={"text": "Nobody home."})
    wait_for(
        lambda: sent_message(sam, handoff_id, "Nobody home.")["delivery_status"] == "failed",
        "the reply that kept failing",
    )
    assert "HTTP 503 (3 tries)" in sent_message(sam, handoff_id, "Nobody home.")["delivery_error"]

    # Accepted, then the carrier could not deliver it: flagged from the status callback.
    assert report(server, f"SM{3:032d}", "undelivered", ErrorCode="30003") == 204
    undelivered = sent_message(sam, handoff_id, "First try may fail.")
    assert undelivered["delivery_status"] == "undelivered"
    assert "unreachable" in undelivered["delivery_error"]
    transcript = sam.get(f"/api/staff/handoffs/{handoff_id}").json()["transcript"]
    assert sum("Could not deliver" in m["text"] for m in transcript) == 3


def test_nothing_is_texted_after_stop(server: LiveServer, twilio_api: FakeTwilioApi) -> None:
    sam = sign_in(server)
    handoff_id = open_sms_handoff(server, sam)
    assert messages(text_to(server, "STOP", "SM" + "8" * 32)) == []
    sam.post(f"/api/staff/handoffs/{handoff_id}/reply", json={"text": "Are you there?"})
    wait_for(
        lambda: sent_message(sam, handoff_id, "Are you there?")["delivery_status"] == "failed",
        "the reply to an opted-out citizen",
    )
    assert twilio_api.sent == []
    assert "opted out" in sent_message(sam, handoff_id, "Are you there?")["delivery_error"]

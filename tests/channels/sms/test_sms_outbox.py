"""The text outbox survives its replica: a reply waiting for a retry when the server is
killed with SIGKILL is sent by the server started after it (a real uvicorn process)."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from tests.channels.sms.twilio import ACCOUNT_SID, CITIZEN, TOKEN, FakeTwilioApi, text_to
from tests.channels.web.replicas import Replica
from tests.conftest import free_port

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password"
REPLY = "Your appointment is on Monday at 10."


def replica(data_dir: Path, api: FakeTwilioApi, log: Path) -> Replica:
    port = free_port()
    env = {
        **os.environ,
        "CA_DATA_DIR": str(data_dir),
        "CA_ENVIRONMENT": "test",
        "CA_STAFF_HOURS": "always",
        "CA_SAMPLE_KB_ON_EMPTY": "false",
        "CA_SMS_ENABLED": "true",
        "CA_TWILIO_AUTH_TOKEN": TOKEN,
        "CA_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "CA_TWILIO_API_BASE_URL": api.url,
        "CA_PHONE_HASH_KEY": "test-phone-key",
        "CA_CONTACT_ENCRYPTION_KEY": "test-contact-key",
        "CA_PUBLIC_URL": f"http://127.0.0.1:{port}",
        # A retry 5 s after the first failure: time enough to kill the server before it.
        "CA_SMS_DELIVERY_BACKOFF_SECONDS": "[5]",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    server = Replica("sms", env, log, port=port)
    server.wait_ready()
    return server


def delivery_status(data_dir: Path) -> tuple[str | None, int]:
    with sqlite3.connect(data_dir / "assistant.db") as db:
        (status,) = db.execute(
            "SELECT delivery_status FROM messages WHERE role = 'caseworker'"
        ).fetchone()
        (waiting,) = db.execute("SELECT COUNT(*) FROM text_outbox").fetchone()
    return status, waiting


def test_a_retry_outlives_a_killed_server_and_is_sent_by_the_next(
    data_dir: Path, tmp_path: Path, twilio_api: FakeTwilioApi
) -> None:
    Container(Settings(data_dir=data_dir)).staff.create(
        username="sam", password=PASSWORD, role=Role.CASEWORKER
    )
    twilio_api.plan = [(503, {})]  # the first try fails for a passing reason
    first = replica(data_dir, twilio_api, tmp_path / "first.log")
    try:
        sam = httpx.Client(base_url=first.url, timeout=30)  # signed in: someone is on duty
        signed = sam.post("/api/staff/login", json={"username": "sam", "password": PASSWORD})
        sam.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        assert text_to(first, "I want to talk to a person", "SM" + "8" * 32).status_code == 200
        [waiting] = sam.get("/api/staff/handoffs", params={"view": "waiting"}).json()
        assert sam.post(f"/api/staff/handoffs/{waiting['id']}/claim").status_code == 200
        assert (
            sam.post(f"/api/staff/handoffs/{waiting['id']}/reply", json={"text": REPLY}).status_code
            == 200
        )
        deadline = time.monotonic() + 15
        while delivery_status(data_dir) != ("retrying", 1):
            assert time.monotonic() < deadline, delivery_status(data_dir)
            time.sleep(0.1)
    finally:
        first.kill()
    assert [m["Body"] for m in twilio_api.sent] == [REPLY]

    second = replica(data_dir, twilio_api, tmp_path / "second.log")
    try:
        deadline = time.monotonic() + 20
        while delivery_status(data_dir) != ("queued", 0):
            assert time.monotonic() < deadline, delivery_status(data_dir)
            time.sleep(0.1)
    finally:
        second.stop()
    assert [(m["Body"], m["To"]) for m in twilio_api.sent] == [(REPLY, CITIZEN)] * 2

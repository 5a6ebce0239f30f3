"""Conversations, the queue and claims survive a restart of the server process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from tests.conftest import free_port

PASSWORD = "a long enough password"


@contextmanager
def server_process(data_dir: Path, port: int) -> Iterator[str]:
    env = {**os.environ, "CA_DATA_DIR": str(data_dir), "CA_STAFF_HOURS": "always"}
    # The installed console script, run from another folder: what `make run` starts.
    script = Path(sys.executable).parent / "citizen-assistant"
    process = subprocess.Popen(
        [str(script), "serve", "--port", str(port)],
        env=env,
        cwd=data_dir.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "died")
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.mark.slow
def test_a_handoff_carries_on_across_a_restart(data_dir: Path) -> None:
    Container(Settings(data_dir=data_dir)).staff.create(
        username="sam", password=PASSWORD, role=Role.CASEWORKER, display_name="Sam"
    )
    port = free_port()
    staff = httpx.Client(timeout=30)
    with server_process(data_dir, port) as url:
        signed = staff.post(
            url + "/api/staff/login", json={"username": "sam", "password": PASSWORD}
        ).json()
        staff.headers["X-CSRF-Token"] = signed["csrf_token"]
        asked = httpx.post(
            url + "/api/chat", json={"message": "I want to talk to a representative"}, timeout=30
        ).json()
        session_id, handoff_id = asked["session_id"], asked["handoff"]["id"]
        assert staff.post(f"{url}/api/staff/handoffs/{handoff_id}/claim").status_code == 200
        httpx.post(
            url + "/api/chat",
            json={"message": "It is about my parking permit", "session_id": session_id},
            timeout=30,
        )

    with server_process(data_dir, port) as url:  # a new process, same data dir
        detail = staff.get(f"{url}/api/staff/handoffs/{handoff_id}")
        assert detail.status_code == 200, "the staff session did not survive"
        body = detail.json()
        assert body["state"] == "claimed" and body["claimed_by"]["username"] == "sam"
        assert "It is about my parking permit" in [m["text"] for m in body["transcript"]]
        again = httpx.post(
            url + "/api/chat",
            json={"message": "Are you still there?", "session_id": session_id},
            timeout=30,
        ).json()
        assert again["session_id"] == session_id and again["status"] == "handoff_active"
        reply = staff.post(
            f"{url}/api/staff/handoffs/{handoff_id}/reply", json={"text": "Yes, still here"}
        )
        assert reply.status_code == 200

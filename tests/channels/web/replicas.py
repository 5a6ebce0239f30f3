"""Two real replicas for the tests: uvicorn processes on one PostgreSQL database (made for
the test, dropped after it) and one Redis (``CA_TEST_REDIS_URL``), sharing one index store.
The ``deployment`` fixture that starts them is in this folder's conftest."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "a long enough password"
ASK_FOR_PERSON = "I want to talk to a real person"


@contextmanager
def own_database() -> Iterator[str]:
    """A PostgreSQL database of the test's own, dropped afterwards; yields its URL."""
    name = f"ca_replicas_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        pytest.fail(f"PostgreSQL is needed at {POSTGRES_URL}: {error}")
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


class Replica:
    """``uvicorn server:app`` in a child process of its own."""

    def __init__(self, name: str, env: dict[str, str], log: Path, *, port: int = 0) -> None:
        self.name = name
        self.port = port or free_port()
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

    def kill(self) -> None:
        """SIGKILL: no shutdown, nothing flushed, as a crashed machine would leave it."""
        self.process.kill()
        self.process.wait()
        self._log.close()

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


def start_deployment(sample_data_dir: Path, tmp_path: Path, redis_url: str) -> Iterator[Deployment]:
    """Starts both replicas at once on an empty database of their own."""
    with own_database() as database_url:
        yield from _run(sample_data_dir, tmp_path, database_url, redis_url)


def _run(
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
        # Every citizen here comes from 127.0.0.1, and the limits' counters live in the same
        # Redis across test runs: these tests are about events, the limits have their own.
        "CA_CHAT_RATE_PER_ADDRESS": "1000000/minute",
        "CA_CHAT_RATE_PER_CONVERSATION": "1000000/minute",
        "CA_HANDOFFS_PER_ADDRESS": "1000000/minute",
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


def chat(replica: Replica, message: str, session_id: str | None = None) -> Any:
    response = httpx.post(
        replica.url + "/api/chat", json={"message": message, "session_id": session_id}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()

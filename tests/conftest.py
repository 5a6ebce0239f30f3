"""Shared fixtures: the real model, a real index of the bundled sample, real servers."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.container import SAMPLE_KB, Container
from assistant.settings import Settings


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the bundled sample knowledge base ingested once per test run."""
    data_dir = tmp_path_factory.mktemp("sample-data")
    container = Container(Settings(data_dir=data_dir))
    report = container.ensure_knowledge_base()
    assert report is not None and not report.errors, report
    return data_dir


# The exported model and the index's versions are written once, then only ever replaced
# whole (a new version is a new folder; the model lands by os.replace), so each test's
# copy links to them instead of copying tens of MB: CI once ran out of disk part-way
# through a run. What a test may change in place (the database, settings) is copied.
_LINKED = (("models",), ("index", "versions"))


@pytest.fixture
def data_dir(sample_data_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the sample data dir: tests may change it freely."""

    def link_or_copy(source: str, target: str) -> object:
        parts = Path(source).relative_to(sample_data_dir).parts
        if any(parts[: len(shared)] == shared for shared in _LINKED):
            try:
                os.link(source, target)
                return target
            except OSError:  # another file system, or links not allowed: copy
                pass
        return shutil.copy2(source, target)

    target = tmp_path / "data"
    shutil.copytree(sample_data_dir, target, copy_function=link_or_copy)
    return target


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, environment="test")


@pytest.fixture(scope="session")
def shared_container(sample_data_dir: Path) -> Container:
    """A read-mostly container over the sample (one model load for the whole run)."""
    return Container(Settings(data_dir=sample_data_dir, environment="test"))


@pytest.fixture
def container(settings: Settings, shared_container: Container) -> Container:
    """A fresh container over a private data dir that re-uses the loaded model."""
    fresh = Container(settings)
    fresh.__dict__["embedder"] = shared_container.embedder
    return fresh


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """A real uvicorn server on 127.0.0.1 in a background thread."""

    def __init__(
        self,
        settings: Settings,
        container: Container | None = None,
        *,
        ready_path: str = "/readyz",
        **options: object,
    ) -> None:
        from server import create_app

        self.app = create_app(settings)
        if container is not None:
            self.app.state.container = container
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ready_path = ready_path
        options = {"log_level": "warning", **options}
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, **options)  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become ready")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def sign_in(self, username: str, password: str) -> httpx.Client:
        """A staff client signed in as ``username``, sending its CSRF token."""
        client = httpx.Client(base_url=self.url, timeout=120)
        response = client.post(
            "/api/staff/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client

    def chat(self, message: str, session_id: str | None = None) -> dict[str, Any]:
        """A citizen's message to ``/api/chat``; the reply's JSON."""
        response = httpx.post(
            self.url + "/api/chat", json={"message": message, "session_id": session_id}, timeout=60
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def live_server(settings: Settings, container: Container) -> Iterator[LiveServer]:
    with LiveServer(settings, container) as server:
        yield server


# Redis is for many replicas only: `make test` needs none, so these tests run when a Redis
# is named (`.ci/run` names the machine's, on a database number of its own).
REDIS_URL = os.environ.get("CA_TEST_REDIS_URL")


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("set CA_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/13) to run; .ci/run does")
    return REDIS_URL


__all__ = ["REDIS_URL", "SAMPLE_KB", "LiveServer", "free_port"]

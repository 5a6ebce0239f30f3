"""Two replicas on PostgreSQL sharing an index store: a publish on one is answered on the other."""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import create_engine, text

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from tests.assistant.db import POSTGRES_URL
from tests.conftest import LiveServer

PASSWORD = "a long enough password"
QUESTION = "How much is a beekeeping permit?"
BEES = """# Beekeeping permit

Residents of Fairhaven who keep honey bees need a beekeeping permit from Animal Services.
The beekeeping permit costs $25 a year.
"""


@pytest.fixture
def database_url() -> Iterator[str]:
    schema = f"ca_test_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:
        pytest.fail(f"PostgreSQL is needed at {POSTGRES_URL}: {error}")
    yield f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def replicas(
    sample_data_dir: Path, tmp_path: Path, database_url: str, shared_container: Container
) -> Iterator[tuple[LiveServer, LiveServer]]:
    shared_index = tmp_path / "shared-index"
    shutil.copytree(sample_data_dir / "index", shared_index)
    servers = []
    for name in ("a", "b"):
        settings = Settings(
            data_dir=tmp_path / name,
            index_store=shared_index,
            database_url=database_url,
            environment="test",
            onnx_cache_dir=shared_container.settings.resolved_onnx_cache_dir,
        )
        container = Container(settings)
        container.__dict__["embedder"] = shared_container.embedder
        servers.append(LiveServer(settings, container))
    servers[0].app.state.container.staff.create(username="eve", password=PASSWORD, role=Role.EDITOR)
    with servers[0] as first, servers[1] as second:
        yield first, second


def cited(server: LiveServer) -> list[str]:
    response = httpx.post(
        server.url + "/api/chat", json={"message": QUESTION, "session_id": None}, timeout=30
    )
    assert response.status_code == 200, response.text
    return [c["doc_id"] for c in response.json()["reply"]["citations"]]


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the other replica did not pick up the change"
        time.sleep(0.2)


def test_publish_on_one_replica_restore_on_the_other(
    replicas: tuple[LiveServer, LiveServer],
) -> None:
    first, second = replicas
    eve = httpx.Client(base_url=first.url, timeout=60)
    login = eve.post("/api/staff/login", json={"username": "eve", "password": PASSWORD})
    eve.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    drafted = eve.post("/api/editor/drafts", json={"title": "Beekeeping permit", "markdown": BEES})
    assert drafted.status_code == 201, drafted.text
    assert "beekeeping-permit" not in cited(second)

    assert eve.post("/api/editor/publish", json={}).status_code == 200
    eventually(lambda: cited(second)[:1] == ["beekeeping-permit"])

    # The session lives in PostgreSQL, so the same editor carries on on the other replica.
    on_second = httpx.Client(base_url=second.url, timeout=60, cookies=eve.cookies)
    on_second.headers["X-CSRF-Token"] = eve.headers["X-CSRF-Token"]
    assert on_second.post("/api/editor/restore", json={}).status_code == 200
    eventually(lambda: "beekeeping-permit" not in cited(first))
    history = on_second.get("/api/editor/versions").json()["publications"]
    assert [p["action"] for p in history] == ["restore", "publish"]

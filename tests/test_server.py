"""The app's start-up, as the server process runs it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.settings import Settings
from server import GC_FIRST_THRESHOLD, create_app


@pytest.fixture
def collector() -> Iterator[None]:
    """Puts the test process's garbage collector back as it was."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_server_process_leaves_what_start_up_loaded_out_of_collections(
    data_dir: Path, collector: None
) -> None:
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(Settings(data_dir=data_dir), whole_process=True)) as client:
        assert client.get("/readyz").status_code == 200
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == GC_FIRST_THRESHOLD
        reply = client.post("/api/chat", json={"message": "How do I renew my driver's license?"})
        assert reply.status_code == 200 and reply.json()["status"] == "answered"


def test_an_app_in_a_shared_process_leaves_the_collector_alone(
    data_dir: Path, collector: None
) -> None:
    threshold = gc.get_threshold()
    with TestClient(create_app(Settings(data_dir=data_dir))) as client:
        assert client.get("/readyz").status_code == 200
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == threshold

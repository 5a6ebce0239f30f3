"""The editors' report of translations older than the page they translate, over a real
server: the bundled Spanish pages are up to date; an English page reviewed again makes its
Spanish page show up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.container import SAMPLE_KB, Container
from assistant.settings import Settings
from assistant.staff import Role
from tests.conftest import LiveServer

PASSWORD = "a long enough password"


@pytest.fixture
def server(settings: Settings, container: Container) -> Iterator[LiveServer]:
    container.staff.create(username="eve", password=PASSWORD, role=Role.EDITOR)
    with LiveServer(settings, container) as live:
        yield live


def report(server: LiveServer) -> list[dict]:
    client = httpx.Client(base_url=server.url, timeout=60)
    signed = client.post("/api/staff/login", json={"username": "eve", "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    response = client.get("/api/editor/reports/translations")
    assert response.status_code == 200, response.text
    return response.json()["translations"]


def test_a_translation_older_than_its_page_is_reported(
    server: LiveServer, container: Container, tmp_path: Path
) -> None:
    assert report(server) == []  # the bundled translations were reviewed with their pages

    english = (SAMPLE_KB / "pay-your-water-bill.md").read_text(encoding="utf-8")
    assert "last_reviewed: 2026-05-04" in english
    changed = tmp_path / "pay-your-water-bill.md"
    changed.write_text(
        english.replace("last_reviewed: 2026-05-04", "last_reviewed: 2026-12-01").replace(
            "$5.20 for every 100 cubic feet", "$5.45 for every 100 cubic feet"
        ),
        encoding="utf-8",
    )
    container.ingest_paths([changed])

    [stale] = report(server)
    assert stale["doc_id"] == "pagar-su-factura-de-agua"
    assert stale["translation_of"] == "pay-your-water-bill"
    assert stale["language"] == "es"
    assert (stale["last_reviewed"], stale["original_last_reviewed"]) == ("2026-05-04", "2026-12-01")
    assert stale["original_title"] == "Pay your water and sewer bill"

"""Fixtures of the web channel's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.channels.web.replicas import Deployment


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module (imported here, so that without playwright only the
    browser test modules are skipped)."""
    from tests.channels.web.browser import launch

    with launch() as chromium:
        yield chromium


@pytest.fixture
def deployment(redis_url: str, sample_data_dir: Path, tmp_path: Path) -> Iterator[Deployment]:
    """Two replicas (uvicorn processes) on PostgreSQL and Redis: see ``replicas.py``.
    (``redis_url`` first: without Redis the test is skipped before anything is built.)"""
    from tests.channels.web.replicas import start_deployment

    yield from start_deployment(sample_data_dir, tmp_path, redis_url)

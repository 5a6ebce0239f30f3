"""Fixtures of the web channel's tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module (imported here, so that without playwright only the
    browser test modules are skipped)."""
    from tests.channels.web.browser import launch

    with launch() as chromium:
        yield chromium

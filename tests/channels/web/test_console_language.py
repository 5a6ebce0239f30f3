"""The caseworker sees the citizen's language (issue #17), in real Chromium against a real
server and a real citizen page: a Spanish conversation is queued with a Spanish badge and
fact, and when the citizen switches the page to English the open conversation's fact
follows without a reload; axe-core on the console."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")
from playwright.sync_api import Browser, Page, expect

from assistant.container import Container
from assistant.settings import Settings
from tests.channels.web.browser import DESKTOP, Pages, serious_violations
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
PASSWORD = "correct horse battery staple"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, environment="test", staff_hours="always")


@pytest.fixture
def pages(browser: Browser, live_server: LiveServer, container: Container) -> Iterator[Pages]:
    container.staff.create(
        username="sam", password=PASSWORD, role="caseworker", display_name="Sam Rivera"
    )
    opened = Pages(browser, live_server.url)
    yield opened
    opened.close()


def language_fact(page: Page):
    return page.locator("#facts .facts__row").filter(has=page.locator("dt", has_text="Language"))


def test_the_console_shows_the_citizens_language_and_follows_the_switch(pages: Pages) -> None:
    sam = pages.new(DESKTOP)
    sam.goto("/console")
    sam.get_by_label("Username").fill("sam")
    sam.get_by_label("Password").fill(PASSWORD)
    sam.get_by_role("button", name="Sign in").click()
    expect(sam.get_by_role("tab", name="Waiting")).to_be_visible()

    citizen = pages.new(DESKTOP)
    citizen.goto("/?lang=es")
    citizen.get_by_role("button", name="Hablar con una persona").click()
    expect(citizen.locator("#handoff-live")).to_contain_text(
        "Su lugar en la fila: 1", timeout=TIMEOUT_MS
    )

    card = sam.locator("#panel-waiting .handoff-card")
    expect(card).to_have_count(1)
    expect(card.locator(".badge").filter(has_text="Spanish")).to_have_count(1)
    card.locator(".handoff-card__open").click()
    expect(language_fact(sam).locator("dd")).to_have_text("Spanish")
    problems = serious_violations(sam)
    assert not problems, "\n".join(problems)

    # The citizen switches the page to English: the open conversation says so at once.
    citizen.get_by_role("navigation", name="Idioma").get_by_role("link").click()
    expect(citizen.locator("html")).to_have_attribute("lang", "en")
    expect(language_fact(sam).locator("dd")).to_have_text("English")
    expect(card.locator(".badge").filter(has_text="Spanish")).to_have_count(0)

"""The editor console's everyday tools (issue #19), in real Chromium against a real server:
search that finds words only a document's text says, a draft's changes against the live
text, reports that show they are loading, by keyboard and with axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")
from playwright.sync_api import Browser, Page, Route, ViewportSize, expect

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from tests.channels.web.browser import Pages, serious_violations
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PASSWORD = "correct horse battery staple"


@pytest.fixture
def pages(browser: Browser, live_server: LiveServer, container: Container) -> Iterator[Pages]:
    container.staff.create(
        username="eddie", password=PASSWORD, role=Role.EDITOR, display_name="Eddie Editor"
    )
    opened = Pages(browser, live_server.url)
    yield opened
    opened.close()


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, environment="test")


def sign_in(page: Page) -> None:
    page.goto("/editor")
    page.get_by_label("Username").fill("eddie")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#documents-table-wrap tbody tr").first).to_be_visible()


def no_serious_problems(page: Page, where: str) -> None:
    problems = serious_violations(page)
    assert not problems, f"{where}:\n" + "\n".join(problems)


def test_search_the_text_see_a_drafts_changes_and_wait_for_reports(pages: Pages) -> None:
    page = pages.new(DESKTOP)
    # The slow report is held back until the page has been looked at while it waits.
    held: list[Route] = []
    page.route("**/api/editor/reports/gaps*", lambda route: held.append(route))
    sign_in(page)
    rows = page.locator("#documents-table-wrap tbody tr")

    # "vision test": in no title, in two pages' text.
    search = page.get_by_label("Search titles and ids, or words in the text")
    search.fill("vision test")
    expect(rows).to_have_count(2)
    expect(page.locator("#documents-table-wrap")).to_contain_text("Renew")
    search.fill("vision zeppelin")
    expect(page.locator("#documents-table-wrap")).to_contain_text("No documents match")

    # Edit a live document by keyboard; the draft shows what it changes.
    search.fill("vision test")
    title = page.locator("#documents-table-wrap").get_by_role("button").filter(has_text="Renew")
    title.first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#document-heading")).to_be_focused()
    expect(page.locator("#document-diff")).to_be_hidden()  # no draft, nothing to compare
    content = page.get_by_label("Content (Markdown)")
    text = content.input_value()
    assert "short vision test" in text
    content.fill(text.replace("short vision test", "short eye test"))
    page.get_by_role("button", name="Save draft").click()
    diff = page.get_by_role("region", name="What this draft changes")
    expect(diff).to_be_visible()
    expect(diff.locator("del")).to_contain_text(["vision"])
    expect(diff.locator("ins")).to_contain_text(["eye"])
    expect(diff).to_contain_text("added")  # said in words too, not by colour alone
    no_serious_problems(page, "a draft's changes")

    page.get_by_role("tab", name="Drafts").click()
    show = page.get_by_role("button", name="Show changes")
    expect(show).to_have_attribute("aria-expanded", "false")
    show.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Hide changes")).to_have_attribute(
        "aria-expanded", "true"
    )
    card_diff = page.locator(".draft-card .diff")
    expect(card_diff.locator("del")).to_contain_text(["vision"])
    expect(card_diff.locator("ins")).to_contain_text(["eye"])

    # Reports: while the gaps report is on its way, the tab says so.
    page.get_by_role("tab", name="Reports").click()
    progress = page.locator("#reports-progress")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text("4 of 5 ready")
    expect(page.locator("#gaps")).to_contain_text("Loading")
    expect(page.locator("#gaps").locator("xpath=..")).to_have_attribute("aria-busy", "true")
    expect(page.get_by_role("button", name="Refresh reports")).to_be_disabled()
    no_serious_problems(page, "reports loading")
    assert len(held) == 1
    held[0].continue_()
    expect(progress).to_be_hidden()
    expect(page.locator("#gaps")).to_contain_text("not answered in the last 30 days")
    expect(page.get_by_role("button", name="Refresh reports")).to_be_enabled()
    page.screenshot(path="/tmp/editor-desk.png", full_page=True)

"""The editor console's translations table (issue #17), in real Chromium against a real
server: it loads under the reports' progress bar like the others, lists which Spanish page
translates which English page, shows one as out of date (with both dates) once its English
page is reviewed again, opens either page from the table, and leaves the rest of the
console working (every other report, the tabs, no script errors, axe-core clean)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")
from playwright.sync_api import Browser, Page, Route, expect

from assistant.container import SAMPLE_KB, Container
from assistant.settings import Settings
from assistant.staff import Role
from tests.channels.web.browser import DESKTOP, Pages, serious_violations
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
#: The bundled Spanish pages (knowledge_base/sample, front matter translation_of).
BUNDLED_TRANSLATIONS = 12


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, environment="test")


@pytest.fixture
def pages(browser: Browser, live_server: LiveServer, container: Container) -> Iterator[Pages]:
    container.staff.create(
        username="eddie", password=PASSWORD, role=Role.EDITOR, display_name="Eddie Editor"
    )
    opened = Pages(browser, live_server.url)  # fails the test on any script error
    yield opened
    opened.close()


def sign_in(page: Page) -> None:
    page.goto("/editor")
    page.get_by_label("Username").fill("eddie")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#documents-table-wrap tbody tr").first).to_be_visible()


def no_serious_problems(page: Page, where: str) -> None:
    problems = serious_violations(page)
    assert not problems, f"{where}:\n" + "\n".join(problems)


def review_english_water_page_again(container: Container, tmp_path: Path) -> None:
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


def test_the_translations_table_loads_marks_a_stale_page_and_opens_both(
    pages: Pages, container: Container, tmp_path: Path
) -> None:
    page = pages.new(DESKTOP)
    held: list[Route] = []
    page.route("**/api/editor/reports/translations*", lambda route: held.append(route))
    sign_in(page)

    # While the table's answer is on its way, the tab says so, as for every report.
    page.get_by_role("tab", name="Reports").click()
    progress = page.locator("#reports-progress")
    expect(progress).to_contain_text("4 of 5 ready")
    translations = page.get_by_role("region", name="Translations", exact=True)
    expect(translations).to_have_attribute("aria-busy", "true")
    expect(translations).to_contain_text("Loading")
    no_serious_problems(page, "translations loading")
    assert len(held) == 1
    held[0].continue_()
    expect(progress).to_be_hidden()
    expect(translations).not_to_have_attribute("aria-busy", "true")

    # Every bundled Spanish page and the English page it translates, all up to date.
    rows = translations.locator("tbody tr")
    expect(rows).to_have_count(BUNDLED_TRANSLATIONS)
    expect(translations).to_contain_text("Every translation is up to date (12 translated pages)")
    water = rows.filter(has_text="pagar-su-factura-de-agua")
    expect(water).to_contain_text("Pay your water and sewer bill")
    expect(water).to_contain_text("Up to date")
    expect(water.locator("time")).to_have_text(["4 May 2026", "4 May 2026"])
    # The other reports are all there too, and nothing was reported as failing.
    expect(page.locator("#gaps")).to_contain_text("not answered in the last 30 days")
    expect(page.locator("#stale")).not_to_contain_text("Loading")
    expect(page.locator("#cited")).not_to_contain_text("Loading")
    expect(page.locator("#feedback")).not_to_contain_text("Loading")
    expect(page.locator("#reports-error")).to_be_empty()
    no_serious_problems(page, "translations")

    # The English page is reviewed (and changed) again: its Spanish page is out of date.
    review_english_water_page_again(container, tmp_path)
    page.route("**/api/editor/reports/translations*", lambda route: route.continue_())
    page.get_by_role("button", name="Refresh reports").click()
    expect(page.locator("#reports-status")).to_contain_text("Reports refreshed")
    expect(translations).to_contain_text("1 translation is out of date, of 12.")
    first = rows.first  # out of date first
    expect(first).to_contain_text("pagar-su-factura-de-agua")
    expect(first).to_contain_text("Out of date")
    expect(first).to_contain_text("reviewed 211 days later")
    expect(first.locator("time")).to_have_text(["4 May 2026", "1 Dec 2026"])
    assert "row--overdue" in (first.get_attribute("class") or "")
    expect(rows.filter(has_text="Out of date")).to_have_count(1)
    no_serious_problems(page, "a stale translation")
    page.screenshot(path="/tmp/editor-translations.png", full_page=True)

    # Each side opens in the Documents tab.
    first.get_by_role("button", name="Pay your water and sewer bill").click()
    expect(page.get_by_role("tab", name="Documents")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#document-heading")).to_have_text("Pay your water and sewer bill")
    expect(page.locator("#document-heading")).to_be_focused()

    # The reports load again: wait for the table's answer, then for the bar to go, so the
    # click below lands on the new table rather than the one being replaced.
    with page.expect_response("**/api/editor/reports/translations*"):
        page.get_by_role("tab", name="Reports").click()
    expect(progress).to_be_hidden()
    expect(translations).not_to_have_attribute("aria-busy", "true")
    spanish = rows.first.get_by_role("button").first
    expect(spanish).to_have_attribute("lang", "es")
    title = spanish.inner_text()
    spanish.click()
    expect(page.locator("#document-heading")).to_have_text(title)
    expect(page.get_by_label("Language")).to_have_value("es")

    # The other tabs still work after the reports.
    page.get_by_role("tab", name=re.compile("^History")).click()
    expect(page.locator("#versions tbody tr").first).to_be_visible()
    page.get_by_role("tab", name="Preview").click()
    page.get_by_label("Question a citizen might ask").fill("How do I pay my water bill?")
    page.get_by_role("button", name="Preview answer").click()
    expect(page.locator("#preview-status")).to_contain_text("Preview ready")

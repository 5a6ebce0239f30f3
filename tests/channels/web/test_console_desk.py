"""The caseworker's desk (issue #19), in real Chromium against a real server and a real
citizen page: the example routing puts a licence question in DMV's queue, the typing
indicator goes both ways, a team's saved reply is written and inserted by keyboard with
the citizen's reference filled in, the citizen's earlier conversation shows beside the
current one, search finds conversations by what was said, reference, state and date, the
team filter, and axe-core on all of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")
from playwright.sync_api import Browser, Page, ViewportSize, expect

from assistant.container import Container
from assistant.settings import Settings
from tests.channels.web.browser import Pages, serious_violations
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PASSWORD = "correct horse battery staple"
ROUTES = Path(__file__).resolve().parents[3] / "deploy" / "team-routes.example.json"
LICENCE_QUESTION = "How do I renew my driver's license?"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        environment="test",
        staff_hours="always",
        team_routes=json.loads(ROUTES.read_text("utf-8")),
    )


@pytest.fixture
def pages(browser: Browser, live_server: LiveServer, container: Container) -> Iterator[Pages]:
    container.staff.create(
        username="sam",
        password=PASSWORD,
        role="caseworker",
        display_name="Sam Rivera",
        teams=["DMV"],
    )
    opened = Pages(browser, live_server.url)
    yield opened
    opened.close()


def sign_in(page: Page, username: str) -> None:
    page.goto("/console")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("tab", name="Waiting")).to_be_visible()


def citizen_says(page: Page, text: str, *, expect_reply: bool = True) -> None:
    replies = page.locator("#messages .message--assistant")
    before = replies.count()
    box = page.get_by_label("Ask a question")
    box.fill(text)
    box.press("Enter")
    if expect_reply:
        expect(replies).to_have_count(before + 1, timeout=TIMEOUT_MS)
    else:
        expect(page.locator("#status")).to_have_text("Your message was sent to the caseworker.")


def no_serious_problems(page: Page, where: str) -> None:
    problems = serious_violations(page)
    assert not problems, f"{where}:\n" + "\n".join(problems)


def test_a_day_at_the_desk(pages: Pages) -> None:
    sam = pages.new(DESKTOP)
    sign_in(sam, "sam")  # a caseworker on duty, so the citizen is queued (not offered a call)
    citizen = pages.new(DESKTOP)
    citizen.goto("/")
    citizen_says(citizen, LICENCE_QUESTION)
    citizen_says(citizen, "talk to a person")
    expect(citizen.locator("#handoff-live")).to_contain_text("Your place in the queue: 1")

    card = sam.locator("#panel-waiting .handoff-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Team: DMV")  # the example routing
    # The summary names the page by its title and quotes the question once.
    expect(card).to_contain_text("Pages discussed: Renew")
    assert card.inner_text().count("renew my driver") == 1

    # The team filter: only General shows nothing; back to all teams, mine first.
    sam.get_by_label("Teams shown").select_option(label="Only General")
    expect(sam.locator("#panel-waiting")).to_contain_text("None for the teams shown")
    sam.get_by_label("Teams shown").select_option(label="All teams, mine first")
    expect(card).to_have_count(1)

    sam.locator("#panel-waiting .handoff-card__open").first.click()
    sam.get_by_role("button", name="Claim").click()
    reply_box = sam.get_by_label("Reply to the citizen")
    expect(reply_box).to_be_focused()
    expect(citizen.locator("#handoff-live")).to_contain_text("A caseworker has joined")
    reference = sam.evaluate(
        "() => document.querySelector('.handoff-card__open[aria-current]')"
        " && document.querySelector('.handoff-card__open[aria-current]')"
        ".dataset.id"
    )
    assert isinstance(reference, str) and len(reference) == 16

    # Typing, both ways; nothing of it lands in either transcript.
    citizen.get_by_label("Ask a question").press_sequentially("I have a")
    expect(sam.locator("#typing")).to_have_text("The citizen is typing…")
    reply_box.press_sequentially("Hel")
    expect(citizen.locator("#typing")).to_have_text("The caseworker is typing…")
    reply_box.fill("")
    citizen.get_by_label("Ask a question").fill("")

    # Saved replies, by keyboard: "/" in the empty box opens them; Escape goes back.
    reply_box.press("/")
    expect(sam.get_by_label("Find a saved reply")).to_be_focused()
    expect(sam.locator("#saved-list")).to_contain_text("No saved replies yet")
    sam.keyboard.press("Escape")
    expect(reply_box).to_be_focused()
    expect(reply_box).to_have_value("")
    reply_box.press("Alt+s")
    expect(sam.get_by_role("button", name="Saved replies")).to_have_attribute(
        "aria-expanded", "true"
    )
    sam.get_by_text("Save a new reply").click()
    sam.get_by_label("Title").fill("Your reference")
    sam.get_by_label("Text", exact=True).fill("Your reference is {reference}. {caseworker}, {team}")
    sam.get_by_label("Who can use it").select_option(label="Everyone in DMV")
    sam.get_by_role("button", name="Save reply").click()
    expect(sam.locator("#saved-list")).to_contain_text("Your reference · DMV")
    no_serious_problems(sam, "saved replies open")
    sam.get_by_label("Find a saved reply").fill("refer")
    sam.keyboard.press("Enter")
    expect(reply_box).to_be_focused()
    expected = f"Your reference is {reference}. Sam Rivera, DMV"
    expect(reply_box).to_have_value(expected)
    expect(sam.locator("#saved-panel")).to_be_hidden()
    sam.keyboard.press("Control+Enter")
    expect(citizen.locator("#messages .message--caseworker")).to_contain_text(expected)
    expect(citizen.locator("#typing")).to_have_text("")  # the message came: no longer typing

    sam.get_by_role("button", name="Resolve").click()
    expect(sam.locator("#facts")).to_contain_text("Resolved")

    # The same citizen asks again: the new conversation shows the first one beside it.
    citizen_says(citizen, "can I talk to a person again please")
    sam.get_by_role("tab", name="Waiting").click()
    expect(card).to_have_count(1)
    sam.locator("#panel-waiting .handoff-card__open").first.click()
    earlier = sam.get_by_role("region", name="Earlier conversations with this citizen")
    expect(earlier.locator(".handoff-card")).to_have_count(1)
    expect(earlier).to_contain_text("Resolved")
    no_serious_problems(sam, "earlier conversations")
    earlier.locator(".handoff-card__open").click()
    expect(sam.locator("#detail-heading")).to_contain_text(reference[:8])
    expect(sam.locator("#transcript")).to_contain_text(expected)

    # Search: by what was said, narrowed by state; by reference; by a day with none.
    search = sam.get_by_role("region", name="Search conversations")
    search.get_by_label("Words said").fill("RENEW my driver")
    search.get_by_role("button", name="Search", exact=True).click()
    expect(sam.locator("#search-status")).to_have_text("2 conversations match.")
    search.get_by_label("State").select_option(label="Resolved")
    search.get_by_label("Words said").press("Enter")
    expect(sam.locator("#search-status")).to_have_text("1 conversation matches.")
    expect(sam.locator("#search-results .handoff-card")).to_contain_text("Resolved")
    search.get_by_role("button", name="Clear search").click()
    expect(search.get_by_label("Words said")).to_be_focused()
    search.get_by_label("Citizen’s reference").fill(reference[:6].upper())
    search.get_by_label("Citizen’s reference").press("Enter")
    expect(sam.locator("#search-status")).to_have_text("1 conversation matches.")
    today = datetime.now(UTC).date().isoformat()
    search.get_by_label("From").fill(today)
    search.get_by_label("To").fill(today)
    search.get_by_label("Citizen’s reference").press("Enter")
    expect(sam.locator("#search-status")).to_have_text("1 conversation matches.")
    search.get_by_label("To").fill("2020-01-01")
    search.get_by_label("Citizen’s reference").press("Enter")
    expect(sam.locator("#search-status")).to_have_text("No conversations match.")
    no_serious_problems(sam, "search")
    sam.screenshot(path="/tmp/console-desk.png", full_page=True)

""" "Did you mean ...?" on the citizen page, in a real Chromium against a real server: the
page the assistant was not sure of, named and linked, with a yes that gets its answer and
a no; over the API too. The answer threshold is set to decline every answer, so the offer
is certain whatever the CPU's numbers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")
from playwright.sync_api import Browser, Page, expect

from assistant.container import Container
from assistant.settings import Settings
from tests.channels.web.browser import DESKTOP, axe_violations, watched_page
from tests.conftest import LiveServer

ANSWER_TIMEOUT_MS = 30_000
QUESTION = "How do I renew my driver's license?"
PAGE_TITLE = "Renew your driver's license"


@pytest.fixture
def unsure_server(settings: Settings, container: Container) -> Iterator[LiveServer]:
    unsure = settings.model_copy(
        update={"min_confidence": 1.0, "spanish_min_confidence": 1.0, "offer_min_confidence": 0}
    )
    container.settings = unsure
    with LiveServer(unsure, container) as server:
        yield server


def test_the_api_offers_the_page_and_answers_the_yes(unsure_server: LiveServer) -> None:
    asked = unsure_server.chat(QUESTION)
    assert asked["status"] == "unanswerable_low_confidence"
    assert asked["reply"]["citations"] == []
    assert asked["offer"]["title"] == PAGE_TITLE
    assert asked["offer"]["url"].startswith("https://")
    agreed = unsure_server.chat("yes", asked["session_id"])
    assert agreed["status"] == "answered" and agreed["offer"] is None
    assert {c["title"] for c in agreed["reply"]["citations"]} == {PAGE_TITLE}
    # The OpenAPI document describes the field the page reads.
    schema = httpx.get(unsure_server.url + "/openapi.json", timeout=30).json()
    assert "offer" in schema["components"]["schemas"]["ChatResponse"]["properties"]


@pytest.mark.browser
def test_the_page_offers_the_page_and_its_yes_shows_the_answer(
    browser: Browser, unsure_server: LiveServer
) -> None:
    page, problems = watched_page(browser, unsure_server.url, DESKTOP)
    page.goto("/")
    ask(page, QUESTION)
    offer = page.get_by_role("group", name=f"Is this the page you mean? {PAGE_TITLE}")
    expect(offer).to_be_visible()
    expect(offer.get_by_role("link", name=PAGE_TITLE)).to_have_attribute(
        "href", unsure_server.chat(QUESTION)["offer"]["url"]
    )
    assert axe_violations(page) == []

    before = page.locator("#messages .message--assistant").count()
    offer.get_by_role("button", name="Yes, show me").click()
    answers = page.locator("#messages .message--assistant")
    expect(answers).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#messages .message--user").last).to_have_text("You said:yes")
    latest = answers.last
    expect(latest.get_by_role("link", name=PAGE_TITLE).first).to_be_visible()
    expect(page.locator(".offer")).to_have_count(0)  # a new message takes the offer away
    assert axe_violations(page) == []
    page.context.close()
    problems.check()


@pytest.mark.browser
def test_the_no_button_asks_for_other_words(browser: Browser, unsure_server: LiveServer) -> None:
    page, problems = watched_page(browser, unsure_server.url, DESKTOP)
    page.goto("/")
    ask(page, QUESTION)
    page.get_by_role("button", name="No", exact=True).click()
    latest = page.locator("#messages .message--assistant").nth(1)
    expect(latest).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#messages .message--user").last).to_have_text("You said:no")
    expect(page.locator(".offer")).to_have_count(0)
    page.context.close()
    problems.check()


def ask(page: Page, question: str) -> None:
    before = page.locator("#messages .message--assistant").count()
    page.get_by_label("Ask a question").fill(question)
    page.keyboard.press("Enter")
    expect(page.locator("#messages .message--assistant")).to_have_count(
        before + 1, timeout=ANSWER_TIMEOUT_MS
    )

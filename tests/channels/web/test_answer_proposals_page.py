"""A caseworker's marked answer becomes a draft and then an answer (issue #18, part 4),
driven in real Chromium against a real server: the caseworker offers the answer as they
resolve in the console, the editor finds it under "From caseworkers" with nothing
personal in it, makes a draft, publishes it, and the assistant answers the question.
axe-core checks both consoles along the way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")
from playwright.sync_api import Browser, Page, expect

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from tests.channels.web.browser import Pages, serious_violations
from tests.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery staple"
QUESTION = "my email is jane.doe@example.com, how do I register a pet llama?"
ANSWER = (
    "Hi Jane, this is Sam Rivera. You register a pet llama with Fairhaven Animal Services. "
    "Llama registration costs $15 a year. Call me on 555-123-4567 if you are stuck. Thanks, Sam"
)
PERSONAL = ["jane.doe", "example.com", "Jane", "Sam Rivera", "555-123-4567"]


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, environment="test", staff_hours="always")


@pytest.fixture
def server(settings: Settings, container: Container) -> Iterator[LiveServer]:
    container.staff.create(
        username="sam",
        password=PASSWORD,
        role=Role.CASEWORKER,
        display_name="Sam Rivera",
        teams=["General"],
    )
    container.staff.create(username="eve", password=PASSWORD, role=Role.EDITOR)
    with LiveServer(settings, container) as live:
        yield live


@pytest.fixture
def pages(browser: Browser, server: LiveServer) -> Iterator[Pages]:
    opened = Pages(browser, server.url)
    yield opened
    opened.close()


def chat(server: LiveServer, message: str, session_id: str | None = None) -> dict[str, Any]:
    return server.chat(message, session_id)


def sign_in(page: Page, path: str, username: str) -> None:
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_offered_answer_is_drafted_published_and_answers_citizens(
    pages: Pages, server: LiveServer
) -> None:
    # The caseworker is signed in (someone is there to take it), answers, and offers the
    # answer as they resolve.
    console = pages.new()
    sign_in(console, "/console", "sam")
    expect(console.get_by_role("tab", name="Waiting")).to_be_visible()
    first = chat(server, QUESTION)
    assert first["status"].startswith("unanswerable_"), first
    handed = chat(server, "I want to talk to a person", first["session_id"])
    assert handed["handoff"], handed
    console.locator("#panel-waiting .handoff-card__open").first.click()
    console.get_by_role("button", name="Claim").click()
    console.get_by_label("Reply to the citizen").fill(ANSWER)
    console.get_by_role("button", name="Send reply").click()
    expect(console.locator("#action-status")).to_contain_text("Reply sent")
    offer = console.get_by_label("Offer my answer for the knowledge base when I resolve")
    expect(offer).not_to_be_checked()
    offer.check()
    problems = serious_violations(console)
    assert not problems, "console:\n" + "\n".join(problems)
    console.get_by_role("button", name="Resolve").click()
    expect(console.locator("#action-status")).to_contain_text("offered to the content editors")
    expect(offer).to_be_hidden()  # a resolved conversation has nothing more to offer

    # The editor finds it, with nothing personal left, and makes a draft of it.
    editor = pages.new()
    sign_in(editor, "/editor", "eve")
    # The content gap it answers says so, and leads to it.
    editor.get_by_role("tab", name="Reports").click()
    gap = editor.locator("#gaps .gap").filter(has_text="register a pet llama")
    expect(gap).to_contain_text("1 caseworker answer offered for this", timeout=60_000)
    gap.get_by_role("button", name="From caseworkers").click()
    tab = editor.get_by_role("tab", name="From caseworkers")
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(tab).to_be_focused()
    group = editor.locator("#answers .answer-group")
    expect(group).to_have_count(1)
    expect(group).to_contain_text("how do I register a pet llama?")
    expect(group).to_contain_text("You register a pet llama with Fairhaven Animal Services.")
    expect(group).to_contain_text("[PHONE]")
    shown = editor.locator("#panel-answers").inner_text()
    for personal in PERSONAL:
        assert personal not in shown, personal
    problems = serious_violations(editor)
    assert not problems, "from caseworkers:\n" + "\n".join(problems)
    editor.screenshot(path="/tmp/editor-answers.png", full_page=True)

    group.get_by_role("button", name="Make a draft").click()
    expect(editor.locator("#documents-status")).to_contain_text("Made a draft")
    expect(editor.locator("#document-heading")).to_have_text("How do I register a pet llama?")
    markdown = editor.get_by_label("Content (Markdown)")
    expect(markdown).to_have_value(re.compile("Fairhaven Animal Services"))
    # The editor rewords what was removed, and saves.
    markdown.fill(
        "You register a pet llama with Fairhaven Animal Services. "
        "Llama registration costs $15 a year."
    )
    editor.get_by_role("button", name="Save draft").click()
    expect(editor.locator("#documents-status")).to_contain_text("Draft updated")
    problems = serious_violations(editor)
    assert not problems, "the draft:\n" + "\n".join(problems)

    # Published through the usual flow, the assistant answers the question from it.
    editor.get_by_role("tab", name=re.compile("^Drafts")).click()
    editor.get_by_role("button", name="Publish all drafts").click()
    confirm = editor.locator(".confirm")
    confirm.get_by_role("button", name="Yes, publish").click()
    expect(editor.locator("#drafts-status")).to_contain_text(
        "Citizens now get answers from version", timeout=60_000
    )
    after = chat(server, "How do I register a pet llama?")
    assert after["status"] == "answered", after
    assert any(c["doc_id"].startswith("faq-") for c in after["reply"]["citations"]), after
    assert "Animal Services" in after["reply"]["text"]

    tab.click()
    expect(editor.locator("#answers")).to_contain_text("No answers are waiting")

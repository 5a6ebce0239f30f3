"""The chat page's language switch, mid-conversation, in real Chromium against a real
server: the server is told (the conversation keeps the language, a caseworker sees it),
the page's words, labels and `lang` change where they stand, the change is said once,
the next replies and canned text come in the new language, and axe-core finds nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")
from playwright.sync_api import Browser, Page, expect

from assistant.container import Container
from assistant.language import LanguageChoice
from assistant.settings import Settings
from assistant.staff import Role
from assistant.store import conversation_id_for
from tests.channels.web.browser import DESKTOP, axe_violations, watched_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

ANSWER_TIMEOUT_MS = 30_000
PASSWORD = "a long enough password"
SWITCHED_ES = "Esta página ahora está en español."
SWITCHED_EN = "This page is now in English."


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, environment="test", staff_hours="always")


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    page, problems = watched_page(browser, live_server.url, DESKTOP)
    page.goto("/")
    expect(page.locator("#ask-form")).to_be_visible()  # app.js has started
    yield page
    page.context.close()
    problems.check()


def replies(page: Page):
    return page.locator("#messages .message--assistant")


def ask(page: Page, label: str, question: str) -> None:
    before = replies(page).count()
    page.get_by_label(label).fill(question)
    page.keyboard.press("Enter")
    expect(replies(page)).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)


def session_id(page: Page) -> str:
    stored = page.evaluate("() => localStorage.getItem('fairhaven-assistant/conversation/v1')")
    return str(json.loads(stored)["sessionId"])


def no_violations(page: Page) -> None:
    problems = axe_violations(page)
    assert problems == [], problems


def test_switching_to_spanish_mid_conversation_and_back(
    page: Page, live_server: LiveServer, container: Container
) -> None:
    ask(page, "Ask a question", "How do I pay my water bill?")
    expect(replies(page).first).to_have_attribute("lang", "en")
    conversation = conversation_id_for(session_id(page))

    switch = page.get_by_role("navigation", name="Language").get_by_role("link")
    expect(switch).to_have_text("Español")
    switch.click()

    # The page, where it stands: words, labels, lang, and the switch offering English.
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page).to_have_title("Asistente de servicios de Fairhaven")
    expect(page.get_by_role("heading", level=1)).to_have_text("Asistente de servicios de Fairhaven")
    expect(page.get_by_role("complementary", name="Sobre este servicio")).to_be_visible()
    switch = page.get_by_role("navigation", name="Idioma").get_by_role("link")
    expect(switch).to_have_text("English")
    expect(switch).to_have_attribute("lang", "en")
    expect(switch).to_be_focused()  # the citizen stays where they were
    assert page.url.endswith("/?lang=es")
    # The conversation is still there, its labels in Spanish, nothing added to it.
    expect(page.locator("#messages > li")).to_have_count(2)
    expect(replies(page).first.locator(".message__who")).to_contain_text("Asistente")
    # Said once: in the status line, not in the conversation or anywhere else.
    expect(page.get_by_role("status").filter(has_text=SWITCHED_ES)).to_have_count(1)
    assert page.locator("body").inner_text().count(SWITCHED_ES) == 1
    expect(page.locator("#transcript")).to_have_attribute("aria-live", "polite")
    no_violations(page)

    # The server was told: the conversation keeps Spanish, even for a message that does
    # not say which language it wants (and is itself in English).
    store = container.conversation_store
    assert store.language_of(conversation) == LanguageChoice("es", chosen=True)
    thanks = httpx.post(
        live_server.url + "/api/chat",
        json={"message": "thank you", "session_id": session_id(page)},
        timeout=60,
    ).json()
    assert thanks["language"] == "es"
    assert thanks["reply"]["text"].startswith("De nada.")

    # The page's next answer comes from the Spanish page.
    page.reload()  # the conversation is kept in the browser, ?lang=es too
    expect(page.locator("html")).to_have_attribute("lang", "es")
    ask(page, "Haga una pregunta", "¿Hay ayuda para pagar la factura del agua?")
    answer = replies(page).last
    expect(answer).to_have_attribute("lang", "es")
    expect(answer.locator(".message__text")).to_contain_text("25%")
    expect(answer.locator(".sources a[href]").first).to_have_attribute(
        "href", "https://www.fairhaven.example/es/agua/pagar"
    )

    # And back to English: the same, the other way.
    page.get_by_role("navigation", name="Idioma").get_by_role("link").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Ask a question")).to_be_visible()
    expect(page.get_by_role("button", name="Talk to a person")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text=SWITCHED_EN)).to_have_count(1)
    assert page.locator("body").inner_text().count(SWITCHED_ES) == 0
    assert store.language_of(conversation) == LanguageChoice("en", chosen=True)
    ask(page, "Ask a question", "thanks")
    expect(replies(page).last).to_contain_text("You're welcome")
    no_violations(page)


def test_switching_while_waiting_for_a_person(
    page: Page, live_server: LiveServer, container: Container
) -> None:
    container.staff.create(username="ana", password=PASSWORD, role=Role.CASEWORKER)
    assert container.staff.sign_in("ana", PASSWORD) is not None  # someone is on duty

    page.get_by_role("button", name="Talk to a person").click()
    expect(replies(page)).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    expect(replies(page).first).to_contain_text("I've asked a caseworker")
    expect(page.locator("#handoff-live")).to_contain_text("Talking to a person")
    conversation = conversation_id_for(session_id(page))
    handoff = container.people.queue.open_for(conversation)
    assert handoff is not None and handoff.language == "en"

    page.get_by_role("navigation", name="Language").get_by_role("link").click()
    expect(page.get_by_role("status").filter(has_text=SWITCHED_ES)).to_have_count(1)
    # Where the request stands, in Spanish; the caseworker's console shows Spanish.
    expect(page.locator("#handoff-live")).to_contain_text("Hablando con una persona")
    handoff = container.people.queue.open_for(conversation)
    assert handoff is not None and handoff.language == "es"
    no_violations(page)

    # While waiting, what the assistant says is in Spanish.
    page.get_by_label("Haga una pregunta").fill("thank you")
    page.keyboard.press("Enter")
    expect(replies(page)).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    expect(replies(page).last).to_contain_text("Gracias, un trabajador social verá su mensaje.")

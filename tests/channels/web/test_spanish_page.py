"""The citizen page in Spanish, in a real Chromium against a real server: its words and
accessibility labels from the catalog, `lang` right on the page and on each exchange, a
Spanish conversation answered from Spanish pages, a person and a crisis in Spanish, and
no accessibility violations (axe-core, every impact)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")
from playwright.sync_api import Browser, Page, expect

from tests.channels.web.browser import DESKTOP, axe_violations, watched_page

pytestmark = pytest.mark.browser

ANSWER_TIMEOUT_MS = 30_000


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    page, problems = watched_page(browser, live_server.url, DESKTOP)
    page.goto("/?lang=es")
    expect(page.locator("#ask-form")).to_be_visible()  # app.js has started
    yield page
    page.context.close()
    problems.check()


def assistant_messages(page: Page):
    return page.locator("#messages .message--assistant")


def ask(page: Page, question: str) -> None:
    before = assistant_messages(page).count()
    page.get_by_label("Haga una pregunta").fill(question)
    page.keyboard.press("Enter")
    expect(assistant_messages(page)).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)


def test_the_spanish_page_speaks_spanish_and_has_no_accessibility_violations(
    page: Page,
) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page).to_have_title("Asistente de servicios de Fairhaven")
    expect(page.get_by_role("heading", level=1)).to_have_text("Asistente de servicios de Fairhaven")
    expect(page.get_by_role("complementary", name="Sobre este servicio")).to_be_visible()
    expect(page.get_by_role("button", name="Hablar con una persona")).to_be_visible()
    # The switch names English in English, marked as English.
    switch = page.get_by_role("navigation", name="Idioma").get_by_role("link")
    expect(switch).to_have_text("English")
    expect(switch).to_have_attribute("lang", "en")
    assert axe_violations(page) == []

    ask(page, "¿Hay un programa de ayuda para pagar la factura del agua?")
    answer = assistant_messages(page).first
    expect(answer).to_have_attribute("lang", "es")
    expect(page.locator("#messages .message--user").first).to_have_attribute("lang", "es")
    expect(answer.locator(".message__who")).to_contain_text("Asistente")
    expect(answer.locator(".message__text")).to_contain_text("25%")
    sources = answer.locator(".sources a[href]")
    expect(sources.first).to_have_attribute("href", "https://www.fairhaven.example/es/agua/pagar")
    expect(sources.first).to_contain_text("(se abre en una pestaña nueva)")
    assert axe_violations(page) == []

    page.get_by_label("Haga una pregunta").focus()
    page.keyboard.press("Enter")  # blank: the error state, in Spanish
    expect(page.get_by_role("alert").first).to_contain_text("Escriba una pregunta")
    assert axe_violations(page) == []


def test_a_person_asked_for_in_spanish(page: Page) -> None:
    page.get_by_role("button", name="Hablar con una persona").click()
    expect(assistant_messages(page)).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#messages .message--user .message__text")).to_have_text(
        "Quiero hablar con una persona"
    )
    # Nobody is signed in here: the call back is offered, in Spanish, with the form.
    expect(assistant_messages(page).first).to_contain_text("No hay un trabajador social")
    form = page.locator("#callback-form")
    expect(form).to_be_visible()
    expect(form.get_by_role("heading")).to_have_text("Deje un mensaje para un trabajador social")
    assert axe_violations(page) == []
    form.get_by_role("button", name="Enviar mensaje").click()
    expect(page.locator("#callback-error")).to_contain_text("Escriba un mensaje")
    form.get_by_label("Su mensaje").fill("Necesito ayuda con mi solicitud de Medicaid")
    form.get_by_label("Número de teléfono o correo electrónico").fill("555-010-9999")
    with page.expect_response("**/api/chat/callback") as answered:
        form.get_by_role("button", name="Enviar mensaje").click()
    assert answered.value.status == 200, answered.value.text()
    assert answered.value.json()["text"].startswith("Gracias. Su mensaje está con nuestros")
    expect(form).to_be_hidden()
    expect(page.locator("#handoff-live")).to_contain_text("Alguien se comunicará con usted")


def test_a_crisis_in_spanish_on_the_english_page_is_answered_in_spanish(
    browser: Browser, live_server
) -> None:
    page, problems = watched_page(browser, live_server.url, DESKTOP)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Ask a question").fill("no quiero vivir")
    page.keyboard.press("Enter")
    reply = assistant_messages(page).first
    expect(reply).to_contain_text("Si está en peligro ahora mismo, llame al 911.", timeout=30_000)
    expect(reply).to_have_attribute("lang", "es")  # read with a Spanish voice on this page
    assert axe_violations(page) == []
    page.context.close()
    problems.check()

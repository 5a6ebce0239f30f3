"""The citizen's side of talking to a person (issue #19), in real Chromium against a real
server, with caseworkers acting through the real staff API on the same server: the "Talk
to a person" button and the queue box follow the handoff; joining, a transfer to a
colleague or back to a team's line, and resolving are told in plain words (English and
Spanish) with one announcement each; and the page behind a texted link (/a/{token}) wears
the site's frame, fits a 360-pixel phone and shows the way to a person. axe-core on each.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")
from playwright.sync_api import Browser, Page, ViewportSize, expect

from assistant.container import Container
from assistant.language import LanguageChoice
from assistant.settings import Settings
from assistant.turns import Status
from channels.sms.answers import AnswerLinks
from tests.channels.web.browser import Pages, serious_violations
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 740}
PASSWORD = "correct horse battery staple"

# Every text the two live regions of the handoff (the panel and the transcript, a log)
# take on, in order, so a test can count what a screen reader would be told.
RECORD_ANNOUNCEMENTS = """() => {
  window.__panel = [];
  window.__transcript = [];
  const keep = (list, node) => () => {
    const text = node.textContent;
    if (list[list.length - 1] !== text) list.push(text);
  };
  for (const [list, id] of [[window.__panel, 'handoff-live'], [window.__transcript, 'messages']]) {
    const node = document.getElementById(id);
    new MutationObserver(keep(list, node))
      .observe(node, { childList: true, subtree: true, characterData: true });
  }
}"""


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    # Always open, so a signed-in caseworker means the citizen is queued (not offered a call).
    return Settings(data_dir=data_dir, environment="test", staff_hours="always")


@pytest.fixture
def pages(browser: Browser, live_server: LiveServer, container: Container) -> Iterator[Pages]:
    for username, name, teams in (("sam", "Sam Rivera", ["DMV"]), ("ana", "Ana Ruiz", [])):
        container.staff.create(
            username=username,
            password=PASSWORD,
            role="caseworker",
            display_name=name,
            teams=teams,
        )
    opened = Pages(browser, live_server.url)
    yield opened
    opened.close()


def caseworker(server: LiveServer, username: str) -> httpx.Client:
    """A caseworker signed in to the staff API (which also puts them on duty)."""
    client = httpx.Client(base_url=server.url, timeout=30)
    response = client.post("/api/staff/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


def act(client: httpx.Client, handoff_id: str, action: str, **body: str) -> dict:  # type: ignore[type-arg]
    response = client.post(f"/api/staff/handoffs/{handoff_id}/{action}", json=body or None)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def only_waiting(client: httpx.Client) -> str:
    waiting = client.get("/api/staff/handoffs", params={"view": "waiting"}).json()
    assert len(waiting) == 1, waiting
    return str(waiting[0]["id"])


def announced_since(page: Page, region: str, mark: int) -> list[str]:
    return list(page.evaluate(f"() => window.__{region}.slice({mark})"))


def marks(page: Page) -> tuple[int, int]:
    got = page.evaluate("() => [window.__panel.length, window.__transcript.length]")
    return int(got[0]), int(got[1])


def no_serious_problems(page: Page, where: str) -> None:
    problems = serious_violations(page)
    assert not problems, f"{where}:\n" + "\n".join(problems)


def test_the_person_button_and_queue_box_follow_the_handoff(
    pages: Pages, live_server: LiveServer
) -> None:
    sam = caseworker(live_server, "sam")
    ana = caseworker(live_server, "ana")
    citizen = pages.new(DESKTOP)
    citizen.goto("/")
    button = citizen.get_by_role("button", name="Talk to a person")
    expect(button).to_be_visible()
    citizen.evaluate(RECORD_ANNOUNCEMENTS)
    panel = citizen.locator("#handoff-live")
    transcript = citizen.locator("#messages")

    # Asked for: the button goes (out of the tab order and the accessibility tree), and
    # the panel under the transcript says where the citizen stands in the line.
    button.click()
    expect(citizen.locator("#messages .message--assistant")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(panel).to_contain_text("Your place in the queue: 1")
    expect(panel).to_contain_text("Expected wait: about 6 minutes")
    expect(citizen.locator(".js-handoff")).to_have_count(1)
    expect(citizen.locator("#handoff-button")).to_be_hidden()
    assert citizen.get_by_role("button", name="Talk to a person").count() == 0
    handoff_id = only_waiting(sam)
    # The reply keeps the request's reference, and no place in line that could go stale.
    expect(transcript.locator(".handoff")).to_contain_text(handoff_id)
    expect(transcript).not_to_contain_text("place in the queue")
    no_serious_problems(citizen, "waiting for a person")

    # A caseworker joins: the place in line is gone from everywhere, and a screen reader
    # is told once, by the panel (the transcript, a live log too, stays as it was).
    panel_mark, transcript_mark = marks(citizen)
    act(sam, handoff_id, "claim")
    expect(panel).to_contain_text("A caseworker has joined the conversation")
    expect(citizen.locator("body")).not_to_contain_text("place in the queue")
    joined = announced_since(citizen, "panel", panel_mark)
    assert len(joined) == 1 and "A caseworker has joined" in joined[0], joined
    assert announced_since(citizen, "transcript", transcript_mark) == []
    expect(citizen.locator("#handoff-button")).to_be_hidden()

    # Passed to a colleague, then let go to the DMV team's line: each is said plainly.
    panel_mark, _ = marks(citizen)
    act(sam, handoff_id, "transfer", username="ana")
    expect(panel).to_contain_text("passed to another caseworker")
    act(ana, handoff_id, "transfer", team="DMV")
    expect(panel).to_contain_text("passed to the DMV team")
    expect(panel).to_contain_text("Your place in the queue: 1")
    told = announced_since(citizen, "panel", panel_mark)
    assert len(told) == 2, told  # one announcement for each move
    expect(citizen.locator("#handoff-button")).to_be_hidden()

    # Sam (of DMV) takes it again and resolves it: the button is back, with the rating.
    act(sam, handoff_id, "claim")
    expect(panel).to_contain_text("A caseworker has joined")
    expect(panel).not_to_contain_text("DMV")
    act(sam, handoff_id, "resolve")
    expect(panel).to_contain_text("The caseworker has finished this conversation.")
    expect(panel).to_contain_text("talk to a person again")
    expect(citizen.locator("#handoff-button")).to_be_visible()
    expect(citizen.locator("#handoff-button")).to_be_enabled()
    expect(citizen.locator("#rating-form")).to_be_visible()
    no_serious_problems(citizen, "after the caseworker resolved it")

    # Kept over a reload: the button stays, and the stored reply shows no old place.
    citizen.reload()
    expect(citizen.locator("#handoff-button")).to_be_visible()
    expect(citizen.locator("#messages")).not_to_contain_text("place in the queue")
    sam.close()
    ana.close()


def test_a_spanish_page_is_told_of_a_transfer_in_spanish(
    pages: Pages, live_server: LiveServer
) -> None:
    sam = caseworker(live_server, "sam")
    citizen = pages.new(DESKTOP)
    citizen.goto("/?lang=es")
    citizen.get_by_role("button", name="Hablar con una persona").click()
    panel = citizen.locator("#handoff-live")
    expect(panel).to_contain_text("Su lugar en la fila: 1", timeout=TIMEOUT_MS)
    expect(citizen.locator("#handoff-button")).to_be_hidden()
    handoff_id = only_waiting(sam)
    act(sam, handoff_id, "claim")
    act(sam, handoff_id, "transfer", team="DMV")
    expect(panel).to_contain_text("equipo DMV")
    act(sam, handoff_id, "claim")
    act(sam, handoff_id, "return")
    expect(panel).to_contain_text("hablar con una persona de nuevo")
    expect(citizen.locator("#handoff-button")).to_be_visible()
    no_serious_problems(citizen, "Spanish, back with the assistant")
    sam.close()


def answer_link(container: Container, *, language: str = "en") -> str:
    """The path of a stored answer's page (/a/{token}), as an SMS reply links it: a long
    answer with a long web address in its source, as a narrow screen finds hardest."""
    store = container.conversation_store
    conversation = store.create(channel="sms")
    external_id = "SM" + language * 16
    store.add_turn(
        conversation,
        citizen_text="How do I renew my driver's license?",
        reply_text=(
            "You can renew your driver's license online, by mail or in person. [1]\n"
            "You will need:\n"
            "- your current license\n"
            "- proof of address, such as a utility bill dated in the last 90 days [1]\n"
            "The fee is $35. [1]"
        ),
        status=str(Status.ANSWERED),
        confidence=0.9,
        citations=[
            {
                "n": 1,
                "doc_id": "dmv-renew",
                "title": "Renew a driver's license",
                "url": "https://dmv.westmark.example/licenses/renewals/"
                "renew-a-drivers-license-online-by-mail-or-in-person",
                "section": "What you need",
            }
        ],
        channel="sms",
        external_id=external_id,
    )
    store.set_language(conversation, LanguageChoice(language, chosen=False))
    token = AnswerLinks(container.engine).token_for_reply(channel="sms", external_id=external_id)
    assert token is not None
    return f"/a/{token}"


def test_the_answer_behind_a_texted_link_fits_a_phone_and_offers_a_person(
    pages: Pages, live_server: LiveServer, container: Container
) -> None:
    phone = pages.new(PHONE)
    phone.goto(answer_link(container))
    # The site's frame: the chat page's stylesheet, header and footer.
    expect(phone.locator(".site-header")).to_contain_text("City of Fairhaven")
    expect(phone.locator(".site-footer")).to_contain_text("In an emergency, call 911.")
    assert phone.evaluate(
        "() => [...document.styleSheets].some((s) => s.href && s.href.endsWith('/static/app.css'))"
    )
    header_colour = phone.locator(".site-header").evaluate(
        "(node) => getComputedStyle(node).backgroundColor"
    )
    assert header_colour == "rgb(11, 12, 12)", header_colour  # styled, as on the chat page
    expect(phone.get_by_role("heading", level=1)).to_have_text("Answer from the City of Fairhaven")
    expect(phone.locator(".answer-lines__item")).to_have_count(2)
    # No sideways scrolling on a 360-pixel screen, long web address and all.
    width = phone.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= 360, width

    # The way to a person: by text, by the agency's own contact line, or on the chat page.
    person = phone.get_by_role("region", name="Talk to a person")
    expect(person).to_contain_text("talk to a person")
    expect(person).to_contain_text("call 311")
    no_serious_problems(phone, "the answer behind a texted link")
    person.get_by_role("link", name="Talk to a person online").click()
    expect(phone).to_have_url(live_server.url + "/#handoff-button")
    expect(phone.locator("#handoff-button")).to_be_focused()  # one key press from a person

    # In Spanish when the conversation was; an unknown link says so in the same frame.
    phone.goto(answer_link(container, language="es"))
    expect(phone.locator("html")).to_have_attribute("lang", "es")
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Respuesta de la Ciudad de Fairhaven"
    )
    expect(phone.get_by_role("region", name="Hablar con una persona")).to_be_visible()
    phone.goto("/a/no-such-answer")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Answer not found")
    expect(phone.locator(".site-header")).to_be_visible()
    expect(phone.get_by_role("region", name="Talk to a person")).to_contain_text("call 311")
    width = phone.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= 360, width
    no_serious_problems(phone, "an unknown answer link")

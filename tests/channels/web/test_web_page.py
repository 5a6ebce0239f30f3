"""The citizen chat page, driven in a real Chromium against a real server.

Each test checks something a citizen would notice: an answer with links to official pages,
a conversation that survives a reload, a person one click away, markup shown as text, kind
errors that keep what was typed, a page that fits a small phone, and no serious accessibility
problems. Chromium is not optional: when it is missing these tests fail (CI installs it).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator

import pytest

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")
from playwright.sync_api import (
    Browser,
    Page,
    Request,
    Route,
    ViewportSize,
    WebSocketRoute,
    expect,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant import canned
from assistant.container import Container
from assistant.models import AnswerFeedback, Message
from assistant.settings import Settings
from assistant.store import conversation_id_for
from tests.channels.web.browser import (
    PageProblems,
    axe_violations,
    serious_violations,
    watched_page,
)

pytestmark = pytest.mark.browser

ANSWER_TIMEOUT_MS = 30_000
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
MOBILE: ViewportSize = {"width": 360, "height": 740}

FIRST_QUESTION = "How do I renew my driver's license?"
FOLLOW_UP = "how much does it cost?"
MARKUP = '<img src=x onerror="window.__pwned=1"><b>bold</b>'


# ---------------------------------------------------------------------------- fixtures


def open_page(browser: Browser, base_url: str, viewport: ViewportSize) -> tuple[Page, PageProblems]:
    page, problems = watched_page(browser, base_url, viewport)
    page.goto("/")
    expect(page.locator("#ask-form")).to_be_visible()  # app.js has started
    return page, problems


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    page, problems = open_page(browser, live_server.url, DESKTOP)
    yield page
    page.context.close()
    problems.check()


@pytest.fixture
def mobile_page(browser: Browser, live_server) -> Iterator[Page]:
    page, problems = open_page(browser, live_server.url, MOBILE)
    yield page
    page.context.close()
    problems.check()


# ---------------------------------------------------------------------------- helpers


def assistant_messages(page: Page):
    return page.locator("#messages .message--assistant")


def ask(page: Page, question: str) -> None:
    """Type a question in the box and press Enter, as a citizen would, then wait for the reply."""
    before = assistant_messages(page).count()
    box = page.get_by_label("Ask a question")
    box.focus()
    page.keyboard.type(question)
    page.keyboard.press("Enter")
    expect(assistant_messages(page)).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)


def stored_session_id(page: Page) -> str | None:
    raw = page.evaluate("() => window.localStorage.getItem('fairhaven-assistant/conversation/v1')")
    return json.loads(raw)["sessionId"] if raw else None


def sent_session_id(request: Request) -> str | None:
    body = request.post_data_json
    assert isinstance(body, dict), body
    return body["session_id"]


def fake_reply(route: Route, body: dict) -> None:
    route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


class FakeChatSocket:
    """Stands in for the server's end of WS /ws/chat/{session_id}: the test decides what
    the caseworker side says, and sees every connection the page makes."""

    def __init__(self) -> None:
        self.connections: list[WebSocketRoute] = []

    def route(self, ws: WebSocketRoute) -> None:
        self.connections.append(ws)  # not connected to the server: everything is mocked

    def send(self, event: dict) -> None:
        assert self.connections, "the page has not opened its WebSocket"
        self.connections[-1].send(json.dumps(event))


def handoff_reply(status: str, handoff: dict | None, text: str) -> dict:
    return {
        "session_id": "s-1",
        "reply": {"text": text, "citations": []},
        "status": status,
        "confidence": 1.0,
        "handoff": handoff,
    }


# ---------------------------------------------------------------------------- tests


def test_keyboard_only_question_gets_a_cited_answer_and_a_follow_up(page: Page) -> None:
    # From the top of the page: Tab reaches the skip link, Enter jumps to the question box.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the question box")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Ask a question")).to_be_focused()

    page.keyboard.type(FIRST_QUESTION)
    page.keyboard.press("Enter")

    answer = assistant_messages(page).first
    expect(answer).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#messages .message--user").first).to_contain_text(FIRST_QUESTION)
    sources = answer.locator(".sources a[href]")
    expect(sources.first).to_be_visible()
    hrefs = sources.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(href.startswith("http") for href in hrefs), hrefs
    expect(sources.first).to_have_attribute("target", "_blank")
    expect(sources.first).to_have_attribute("rel", "noopener noreferrer")
    expect(sources.first).to_contain_text("(opens in a new tab)")
    # Each [n] marker in the text links to its source under the message.
    marker = answer.locator(".message__text a.cite-ref").first
    first_source_id = answer.locator(".sources li").first.get_attribute("id")
    expect(marker).to_have_attribute("href", f"#{first_source_id}")
    # The box is empty, still focused, and ready for the next question.
    expect(page.get_by_label("Ask a question")).to_be_focused()
    expect(page.get_by_label("Ask a question")).to_have_value("")

    page.keyboard.type(FOLLOW_UP)
    page.keyboard.press("Enter")
    expect(assistant_messages(page)).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    expect(assistant_messages(page).nth(1).locator(".message__text")).to_contain_text("$")

    page.screenshot(path="/tmp/page-desktop.png", full_page=True)


def test_conversation_survives_a_reload_and_continues_the_same_session(page: Page) -> None:
    ask(page, FIRST_QUESTION)
    session_id = stored_session_id(page)
    assert session_id

    page.reload()
    expect(page.locator("#messages .message--user")).to_have_count(1)
    expect(page.locator("#messages .message--user")).to_contain_text(FIRST_QUESTION)
    expect(assistant_messages(page)).to_have_count(1)
    expect(assistant_messages(page).locator(".sources a").first).to_be_visible()

    with page.expect_request(lambda r: r.url.endswith("/api/chat") and r.method == "POST") as sent:
        ask(page, FOLLOW_UP)
    assert sent_session_id(sent.value) == session_id
    assert stored_session_id(page) == session_id
    expect(assistant_messages(page).nth(1)).to_contain_text("$")

    # Starting again forgets it all, here and after a reload.
    page.get_by_role("button", name="Start a new conversation").click()
    expect(page.locator("#messages li")).to_have_count(0)
    expect(page.get_by_label("Ask a question")).to_be_focused()
    assert stored_session_id(page) is None
    page.reload()
    expect(page.locator("#messages li")).to_have_count(0)
    with page.expect_request(lambda r: r.url.endswith("/api/chat")) as sent:
        ask(page, "hello")
    assert sent_session_id(sent.value) is None


def test_talk_to_a_person_gives_contact_details(page: Page) -> None:
    button = page.locator("#handoff-button")
    expect(button).to_be_visible()
    expect(button).to_have_text("Talk to a person")
    button.click()

    expect(assistant_messages(page)).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#messages .message--user .message__text")).to_have_text(
        "I want to talk to a person"
    )
    expect(assistant_messages(page)).to_contain_text("311")
    expect(page.get_by_label("Ask a question")).to_be_focused()


def test_unanswerable_question_suggests_a_person(page: Page) -> None:
    ask(page, "What is the capital of France?")
    reply = assistant_messages(page).first
    suggestion = reply.get_by_role("button", name="Talk to a person")
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(assistant_messages(page)).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    expect(assistant_messages(page).nth(1)).to_contain_text("311")


def test_handoff_state_and_position_are_shown(page: Page) -> None:
    # The queue is stood in for here (and its live line with it).
    page.route_web_socket("**/ws/chat/**", FakeChatSocket().route)
    page.route(
        "**/api/chat",
        lambda route: fake_reply(
            route,
            {
                "session_id": "s-1",
                "reply": {"text": "A person will be with you soon.", "citations": []},
                "status": "handoff_requested",
                "confidence": 1.0,
                "handoff": {"id": "H-42", "state": "queued", "position": 3},
            },
        ),
    )
    page.locator("#handoff-button").click()
    # Where the request stands is shown once, in the panel that follows it; the reply
    # keeps only its reference, so no place in line stays behind in the transcript.
    live = page.locator("#handoff-live")
    expect(live).to_contain_text("waiting for a person")
    expect(live).to_contain_text("Your place in the queue: 3")
    handoff = assistant_messages(page).first.locator(".handoff")
    expect(handoff).to_contain_text("H-42")
    expect(handoff).not_to_contain_text("place in the queue")
    expect(page.locator("#handoff-button")).to_be_hidden()  # a person is already asked for


def test_markup_typed_by_the_citizen_is_shown_as_text(page: Page) -> None:
    ask(page, MARKUP)
    typed = page.locator("#messages .message--user .message__text")
    expect(typed).to_have_text(MARKUP)
    assert page.locator("#messages img, #messages b").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    # And a second line of defence: the page forbids inline script altogether.
    policy = page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
    assert policy and "script-src 'self'" in policy and "unsafe" not in policy, policy


def test_markup_and_unsafe_links_in_a_reply_are_not_run(page: Page) -> None:
    page.route(
        "**/api/chat",
        lambda route: fake_reply(
            route,
            {
                "session_id": "s-1",
                "reply": {
                    "text": '<img src=x onerror="window.__pwned=1"> <b>hi</b> [1] [2]\n- line two',
                    "citations": [
                        {
                            "n": 1,
                            "doc_id": "a",
                            "title": "<b>Title</b>",
                            "url": "javascript:window.__pwned=1",
                            "section": None,
                            "snippet": "",
                        },
                        {
                            "n": 2,
                            "doc_id": "b",
                            "title": "Offline leaflet",
                            "url": None,
                            "section": "Fees",
                            "snippet": "",
                        },
                    ],
                    "more": {"url": "javascript:window.__pwned=1", "section": "<b>Fees</b>"},
                },
                "status": "answered",
                "confidence": 0.9,
                "handoff": None,
            },
        ),
    )
    ask(page, "anything")
    reply = assistant_messages(page).first
    expect(reply.locator(".message__text")).to_contain_text(
        '<img src=x onerror="window.__pwned=1"> <b>hi</b>'
    )
    expect(reply.locator(".message__text li")).to_have_text(["line two"])
    expect(reply.locator(".read-more")).to_have_count(0)  # a javascript: URL is never a link
    expect(reply.locator(".sources li")).to_have_count(2)
    expect(reply.locator(".sources li").first).to_contain_text("<b>Title</b>")
    expect(reply.locator(".sources li").nth(1)).to_contain_text("Offline leaflet: Fees")
    assert reply.locator(".sources a").count() == 0  # neither javascript: nor missing URLs link
    assert page.locator("#messages img, #messages b").count() == 0
    # Newlines in the reply are kept on screen.
    assert "\n" in reply.locator(".message__text").inner_text()
    assert page.evaluate("() => window.__pwned") is None


def test_blank_and_over_long_messages_show_the_servers_reason(
    page: Page, settings: Settings
) -> None:
    box = page.get_by_label("Ask a question")
    alert = page.get_by_role("alert")

    box.focus()
    page.keyboard.type("   ")
    page.keyboard.press("Enter")
    expect(alert).to_contain_text(canned.EMPTY_MESSAGE)
    expect(page.locator("#messages li")).to_have_count(0)

    too_long = "a" * 1500
    page.evaluate(
        """text => {
            const box = document.getElementById('message');
            box.value = text;  // a script can go past maxlength; the server still says no
            box.dispatchEvent(new Event('input', {bubbles: true}));
        }""",
        too_long,
    )
    expect(page.locator("#message-count")).to_contain_text("too many")
    box.focus()
    page.keyboard.press("Enter")
    limit = settings.message_max_chars
    expect(alert).to_have_text("Error: " + canned.render(canned.MESSAGE_TOO_LONG, limit=limit))
    expect(box).to_have_value(too_long)
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#messages li")).to_have_count(0)
    expect(box).to_be_focused()


def test_network_and_server_errors_keep_the_question(page: Page) -> None:
    box = page.get_by_label("Ask a question")
    alert = page.get_by_role("alert")

    page.route("**/api/chat", lambda route: route.abort())
    box.focus()
    page.keyboard.type("Where do I pay a parking ticket?")
    page.keyboard.press("Enter")
    expect(alert).to_contain_text("try again")
    expect(box).to_have_value("Where do I pay a parking ticket?")
    expect(page.locator("#messages li")).to_have_count(0)

    page.unroute("**/api/chat")
    page.route("**/api/chat", lambda route: route.fulfill(status=500, body="Internal Server Error"))
    page.keyboard.press("Enter")
    expect(alert).to_contain_text("something went wrong")
    expect(box).to_have_value("Where do I pay a parking ticket?")

    page.unroute("**/api/chat")
    page.keyboard.press("Enter")
    expect(assistant_messages(page)).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    expect(alert).to_have_text("")
    expect(box).to_have_value("")


def test_waiting_indicator_and_send_disabled_while_waiting(page: Page) -> None:
    held: list[Route] = []
    page.route("**/api/chat", lambda route: held.append(route))
    box = page.get_by_label("Ask a question")
    box.focus()
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")  # a new line, not a send
    page.keyboard.type("second line")
    expect(box).to_have_value("first line\nsecond line")
    assert not held

    page.keyboard.press("Enter")
    # The page's own status line; an answer brings a second one ("Was this helpful?").
    status = page.locator("#status")
    expect(status).to_have_role("status")
    expect(status).to_have_text("Looking that up…")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    expect(page.locator("#handoff-button")).to_be_disabled()  # one message at a time
    expect(box).to_be_focused()
    assert len(held) == 1
    held[0].continue_()
    expect(assistant_messages(page)).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    expect(status).to_have_text("")
    expect(page.get_by_role("button", name="Send")).to_be_enabled()


def test_fits_a_small_phone_without_sideways_scrolling(mobile_page: Page) -> None:
    page = mobile_page
    ask(page, FIRST_QUESTION)
    ask(page, "what documents do I need for a building permit?")
    page.screenshot(path="/tmp/page-mobile.png", full_page=True)

    assert page.evaluate("() => document.documentElement.scrollWidth") <= MOBILE["width"]
    for locator in (
        page.get_by_label("Ask a question"),
        page.get_by_role("button", name="Send"),
        page.locator("#handoff-button"),
    ):
        locator.scroll_into_view_if_needed()
        expect(locator).to_be_in_viewport()
        box = locator.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= MOBILE["width"], box
        assert box["height"] >= 44, box  # a comfortable touch target


def test_no_serious_accessibility_problems(page: Page) -> None:
    problems = serious_violations(page)
    assert not problems, "empty page:\n" + "\n".join(problems)

    ask(page, FIRST_QUESTION)
    ask(page, "What is the capital of France?")  # adds the talk-to-a-person suggestion
    problems = serious_violations(page)
    assert not problems, "after answers:\n" + "\n".join(problems)

    page.get_by_label("Ask a question").focus()
    page.keyboard.press("Enter")  # blank: the error state
    expect(page.get_by_role("alert")).not_to_have_text("")
    problems = serious_violations(page)
    assert not problems, "with an error:\n" + "\n".join(problems)


def test_keyboard_focus_is_clearly_visible(page: Page) -> None:
    def focus_style() -> dict[str, str]:
        return page.evaluate(
            """() => {
                const style = getComputedStyle(document.activeElement);
                return {id: document.activeElement.id || document.activeElement.className,
                        outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth,
                        boxShadow: style.boxShadow, background: style.backgroundColor};
            }"""
        )

    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Ask a question")).to_be_focused()
    style = focus_style()
    assert style["outlineStyle"] != "none" and float(style["outlineWidth"].rstrip("px")) >= 2, style
    assert style["boxShadow"] != "none", style

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send")).to_be_focused()
    style = focus_style()
    assert style["boxShadow"] != "none", style
    assert style["background"] == "rgb(255, 221, 0)", style  # yellow, as the other focus states


def test_a_caseworker_talks_live_and_the_citizen_rates_the_help(page: Page) -> None:
    socket = FakeChatSocket()
    page.route_web_socket("**/ws/chat/**", socket.route)
    chat_replies = [
        handoff_reply(
            "handoff_requested",
            {"id": "H-42", "state": "waiting", "position": 3, "expected_wait_minutes": 18},
            "I've asked a caseworker to join this conversation.",
        ),
        handoff_reply(
            "handoff_active",
            {"id": "H-42", "state": "claimed", "position": None, "expected_wait_minutes": None},
            "",
        ),
    ]
    page.route("**/api/chat", lambda route: fake_reply(route, chat_replies.pop(0)))
    page.locator("#handoff-button").click()
    live = page.locator("#handoff-live")
    expect(live).to_contain_text("Your place in the queue: 3")
    expect(live).to_contain_text("Expected wait: about 18 minutes")
    assert len(socket.connections) == 1
    assert socket.connections[0].url.endswith("/ws/chat/s-1?after=0")

    # The queue moves and a caseworker joins and writes, all without a reload.
    socket.send(
        {
            "type": "handoff",
            "id": "H-42",
            "state": "waiting",
            "position": 1,
            "expected_wait_minutes": 6,
        }
    )
    expect(live).to_contain_text("Your place in the queue: 1")
    expect(live).to_contain_text("about 6 minutes")
    socket.send(
        {
            "type": "handoff",
            "id": "H-42",
            "state": "claimed",
            "position": None,
            "expected_wait_minutes": None,
        }
    )
    expect(live).to_contain_text("A caseworker has joined")
    socket.send(
        {
            "type": "message",
            "role": "caseworker",
            "author": "Sam",
            "text": "Hello, <b>this</b> is Sam",
            "at": "2025-01-01T10:00:00+00:00",
        }
    )
    message = page.locator("#messages .message--caseworker")
    expect(message).to_have_count(1)
    expect(message.locator(".message__who")).to_contain_text("Caseworker Sam")
    expect(message.locator(".message__text")).to_have_text("Hello, <b>this</b> is Sam")
    assert page.locator("#messages b").count() == 0

    # While the caseworker holds it, the citizen's words go to them and the assistant is quiet.
    box = page.get_by_label("Ask a question")
    box.fill("thanks")
    box.press("Enter")
    expect(page.locator("#messages .message--user")).to_have_count(2)
    expect(page.locator("#status")).to_have_text("Your message was sent to the caseworker.")
    expect(assistant_messages(page)).to_have_count(1)

    # A reload keeps it all and opens the live line again.
    page.reload()
    expect(page.locator("#messages .message--caseworker")).to_contain_text("is Sam")
    expect(page.locator("#handoff-live")).to_contain_text("A caseworker has joined")
    page.wait_for_function("() => document.getElementById('messages').children.length === 4")
    assert len(socket.connections) == 2

    # The caseworker resolves: a 1-5 rating with an optional comment.
    socket.send({"type": "resolved", "id": "H-42"})
    form = page.locator("#rating-form")
    expect(form).to_be_visible()
    expect(page.get_by_role("group", name="How helpful was the caseworker?")).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(5)
    problems = serious_violations(page)
    assert not problems, "rating form:\n" + "\n".join(problems)

    page.get_by_role("button", name="Send rating").click()
    expect(page.locator("#rating-error")).to_contain_text("Choose a rating from 1 to 5")
    expect(page.get_by_role("radio").first).to_be_focused()
    page.keyboard.press("ArrowRight")  # radios by keyboard: 1 -> 2
    expect(page.get_by_label("2", exact=True)).to_be_checked()
    page.get_by_label("4", exact=True).check()
    page.get_by_label("Anything else you want to tell us? (optional)").fill("Kind and quick")
    with page.expect_request("**/api/chat/rating") as sent:
        page.route(
            "**/api/chat/rating",
            lambda route: route.fulfill(
                status=200, content_type="application/json", body='{"ok": true}'
            ),
        )
        page.get_by_role("button", name="Send rating").click()
    assert sent.value.post_data_json == {
        "session_id": "s-1",
        "rating": 4,
        "comment": "Kind and quick",
    }
    expect(form).to_be_hidden()
    expect(page.locator("#status")).to_have_text("Thank you for rating your conversation.")
    page.reload()
    expect(page.locator("#rating-form")).to_be_hidden()


def test_out_of_hours_the_citizen_can_leave_a_message(page: Page) -> None:
    # Nobody is signed in to the console, so the real server offers a callback.
    page.locator("#handoff-button").click()
    expect(assistant_messages(page)).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    form = page.locator("#callback-form")
    expect(form).to_be_visible()
    expect(assistant_messages(page)).to_contain_text("311")
    problems = serious_violations(page)
    assert not problems, "callback form:\n" + "\n".join(problems)

    page.get_by_role("button", name="Send message").click()
    expect(page.locator("#callback-error")).to_contain_text("Enter a message")
    expect(page.get_by_label("Your message")).to_be_focused()
    page.keyboard.type("Please call me about my parking permit renewal.")
    page.get_by_label("Phone number or email address").fill("555-010-2222")
    with page.expect_response("**/api/chat/callback") as answered:
        page.get_by_role("button", name="Send message").click()
    assert answered.value.status == 200, answered.value.text()
    expect(form).to_be_hidden()
    expect(page.locator("#handoff-live")).to_contain_text("Someone will contact you")
    page.reload()
    expect(page.locator("#callback-form")).to_be_hidden()
    expect(page.locator("#handoff-live")).to_contain_text("Someone will contact you")


# ---------------------------------------------------------------------------- was this helpful?


def feedback_rows(container: Container, session_id: str) -> list[AnswerFeedback]:
    """The verdicts stored for one conversation, read straight from the database."""
    with Session(container.conversation_store.engine) as session:
        return list(
            session.scalars(
                select(AnswerFeedback)
                .join(Message, AnswerFeedback.message_id == Message.id)
                .where(Message.conversation_id == conversation_id_for(session_id))
            )
        )


def ask_and_capture(page: Page, question: str) -> dict:
    """Ask as a citizen would and return the server's reply, for the documents it cited."""
    with page.expect_response(lambda r: r.url.endswith("/api/chat")) as replied:
        ask(page, question)
    return replied.value.json()


def cited(reply: dict) -> list[str]:
    return list(dict.fromkeys(c["doc_id"] for c in reply["reply"]["citations"]))


def helpful_control(page: Page):
    return page.get_by_role("group", name="Was this helpful?")


def test_yes_is_stored_kept_after_a_reload_and_moves_to_the_next_answer(
    page: Page, container: Container
) -> None:
    reply = ask_and_capture(page, FIRST_QUESTION)
    assert reply["status"] == "answered"
    answer = assistant_messages(page).first
    group = answer.get_by_role("group", name="Was this helpful?")
    yes = group.get_by_role("button", name="Yes", exact=True)
    no = group.get_by_role("button", name="No", exact=True)
    expect(yes).to_have_attribute("aria-pressed", "false")
    expect(no).to_have_attribute("aria-pressed", "false")
    expect(answer.get_by_label("What was missing? (optional)")).to_be_hidden()

    with page.expect_response("**/api/chat/feedback") as said:
        yes.click()
    assert said.value.status == 200
    expect(yes).to_have_attribute("aria-pressed", "true")
    expect(no).to_have_attribute("aria-pressed", "false")
    expect(answer.get_by_role("status")).to_have_text("Thank you for your feedback.")
    expect(answer.get_by_label("What was missing? (optional)")).to_be_hidden()
    session_id = stored_session_id(page)
    assert session_id
    [row] = feedback_rows(container, session_id)
    assert (row.helpful, row.comment, row.doc_ids) == (True, None, cited(reply))

    page.reload()
    answer = assistant_messages(page).first
    expect(answer.get_by_role("button", name="Yes", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(answer.get_by_role("status")).to_have_text("Thank you for your feedback.")

    # A new answer takes the question with it, unanswered; the first verdict stays stored.
    ask(page, FOLLOW_UP)
    expect(helpful_control(page)).to_have_count(1)
    expect(assistant_messages(page).first.locator(".feedback")).to_have_count(0)
    latest = assistant_messages(page).nth(1)
    expect(latest.get_by_role("button", name="Yes", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(latest.get_by_role("status")).to_have_text("")
    assert [r.helpful for r in feedback_rows(container, session_id)] == [True]


def test_no_with_a_comment_is_stored_redacted_and_kept_after_a_reload(
    page: Page, container: Container
) -> None:
    reply = ask_and_capture(page, FIRST_QUESTION)
    answer = assistant_messages(page).first
    no = answer.get_by_role("button", name="No", exact=True)
    with page.expect_response("**/api/chat/feedback"):
        no.click()
    expect(no).to_have_attribute("aria-pressed", "true")
    session_id = stored_session_id(page)
    assert session_id
    # "No" counts at once, even if the citizen writes nothing more.
    [row] = feedback_rows(container, session_id)
    assert (row.helpful, row.comment, row.doc_ids) == (False, None, cited(reply))

    comment = answer.get_by_label("What was missing? (optional)")
    expect(comment).to_be_visible()
    expect(comment).to_have_accessible_description("Do not include personal details.")
    comment.fill("The fee for over-70s. Email me at jane.doe@example.org")
    with page.expect_response("**/api/chat/feedback") as said:
        answer.get_by_role("button", name="Send comment").click()
    assert said.value.status == 200
    expect(answer.get_by_role("status")).to_have_text("Thank you for your feedback.")
    expect(comment).to_be_hidden()
    expect(page.get_by_label("Ask a question")).to_be_focused()
    [row] = feedback_rows(container, session_id)
    assert row.helpful is False and row.doc_ids == cited(reply)
    assert row.comment is not None and row.comment.startswith("The fee for over-70s.")
    assert "jane.doe" not in row.comment and "example.org" not in row.comment

    page.reload()
    answer = assistant_messages(page).first
    expect(answer.get_by_role("button", name="No", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(answer.get_by_role("status")).to_have_text("Thank you for your feedback.")
    expect(answer.get_by_label("What was missing? (optional)")).to_be_hidden()


def test_only_an_answered_latest_reply_asks_whether_it_helped(page: Page) -> None:
    ask(page, "What is the capital of France?")
    unanswered = assistant_messages(page).first
    expect(unanswered.get_by_role("button", name="Talk to a person")).to_be_visible()
    expect(page.locator("#messages .feedback")).to_have_count(0)

    ask(page, FIRST_QUESTION)
    expect(helpful_control(page)).to_have_count(1)
    expect(assistant_messages(page).nth(1).locator(".feedback")).to_have_count(1)

    # An unanswerable reply after it: the question goes, as the server would not record it.
    ask(page, "What is the capital of France?")
    expect(page.locator("#messages .feedback")).to_have_count(0)
    page.reload()
    expect(assistant_messages(page)).to_have_count(3)
    expect(page.locator("#messages .feedback")).to_have_count(0)


def test_feedback_by_keyboard_only(page: Page, container: Container) -> None:
    box = page.get_by_label("Ask a question")
    box.focus()
    page.keyboard.type(FIRST_QUESTION)
    page.keyboard.press("Enter")
    answer = assistant_messages(page).first
    no = answer.get_by_role("button", name="No", exact=True)
    yes = answer.get_by_role("button", name="Yes", exact=True)
    expect(no).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(box).to_be_focused()

    # Just before the question box, going backwards: No, then Yes.
    page.keyboard.press("Shift+Tab")
    expect(no).to_be_focused()
    focused = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return {background: s.backgroundColor, shadow: s.boxShadow}; }"
    )
    assert focused["background"] == "rgb(255, 221, 0)" and focused["shadow"] != "none", focused
    with page.expect_response("**/api/chat/feedback"):
        page.keyboard.press("Enter")
    expect(no).to_have_attribute("aria-pressed", "true")
    expect(no).to_be_focused()  # the button was not disabled under the citizen's finger

    page.keyboard.press("Tab")
    expect(answer.get_by_label("What was missing? (optional)")).to_be_focused()
    page.keyboard.type("Opening hours")
    page.keyboard.press("Tab")
    expect(answer.get_by_role("button", name="Send comment")).to_be_focused()
    with page.expect_response("**/api/chat/feedback"):
        page.keyboard.press("Enter")
    expect(answer.get_by_role("status")).to_have_text("Thank you for your feedback.")
    expect(box).to_be_focused()
    session_id = stored_session_id(page)
    assert session_id
    [row] = feedback_rows(container, session_id)
    assert (row.helpful, row.comment) == (False, "Opening hours")

    # Changing one's mind with Space on "Yes" replaces the verdict.
    page.keyboard.press("Shift+Tab")
    expect(no).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(yes).to_be_focused()
    with page.expect_response("**/api/chat/feedback"):
        page.keyboard.press("Space")
    expect(yes).to_have_attribute("aria-pressed", "true")
    expect(no).to_have_attribute("aria-pressed", "false")
    [row] = feedback_rows(container, session_id)
    assert (row.helpful, row.comment) == (True, None)


def test_feedback_errors_are_kind_and_keep_the_comment(page: Page, container: Container) -> None:
    ask(page, FIRST_QUESTION)
    answer = assistant_messages(page).first
    yes = answer.get_by_role("button", name="Yes", exact=True)
    no = answer.get_by_role("button", name="No", exact=True)
    error = answer.locator(".feedback__error")
    expect(error).to_have_attribute("aria-live", "assertive")  # read out at once
    session_id = stored_session_id(page)
    assert session_id

    page.route("**/api/chat/feedback", lambda route: route.abort())  # the network drops
    yes.click()
    expect(error).to_have_text("Error: Sorry, we could not send your feedback. Please try again.")
    expect(yes).to_have_attribute("aria-pressed", "false")
    page.unroute("**/api/chat/feedback")
    no.click()
    expect(no).to_have_attribute("aria-pressed", "true")
    expect(error).to_have_text("")

    comment = answer.get_by_label("What was missing? (optional)")
    comment.fill("Where to send the form")
    page.route("**/api/chat/feedback", lambda route: route.abort())
    answer.get_by_role("button", name="Send comment").click()
    expect(error).to_contain_text("could not send your feedback")
    expect(error).to_contain_text("Your comment is still in the box.")
    expect(comment).to_have_value("Where to send the form")
    expect(comment).to_have_accessible_description(re.compile("still in the box"))
    page.unroute("**/api/chat/feedback")

    # The conversation is gone from the server (as after the retention period): a real 404.
    assert container.conversation_store.delete(conversation_id_for(session_id))
    with page.expect_response("**/api/chat/feedback") as said:
        answer.get_by_role("button", name="Send comment").click()
    assert said.value.status == 404
    expect(error).to_contain_text("this conversation has ended")
    expect(error).to_contain_text("Your comment is still in the box.")
    expect(comment).to_have_value("Where to send the form")
    expect(comment).to_be_visible()
    expect(answer.get_by_role("status")).not_to_have_text("Thank you for your feedback.")


def test_feedback_control_has_no_serious_accessibility_problems(page: Page) -> None:
    ask(page, FIRST_QUESTION)
    expect(helpful_control(page)).to_be_visible()
    problems = serious_violations(page)
    assert not problems, "with the question:\n" + "\n".join(problems)

    answer = assistant_messages(page).first
    answer.get_by_role("button", name="No", exact=True).click()
    expect(answer.get_by_label("What was missing? (optional)")).to_be_visible()
    problems = serious_violations(page)
    assert not problems, "with the comment box:\n" + "\n".join(problems)

    answer.get_by_label("What was missing? (optional)").fill("Opening hours")
    page.route("**/api/chat/feedback", lambda route: route.abort())
    answer.get_by_role("button", name="Send comment").click()
    expect(answer.locator(".feedback__error")).not_to_have_text("")
    problems = serious_violations(page)
    assert not problems, "with an error:\n" + "\n".join(problems)


def test_feedback_fits_a_small_phone(mobile_page: Page) -> None:
    page = mobile_page
    ask(page, FIRST_QUESTION)
    answer = assistant_messages(page).first
    answer.get_by_role("button", name="No", exact=True).click()
    comment = answer.get_by_label("What was missing? (optional)")
    expect(comment).to_be_visible()
    page.screenshot(path="/tmp/page-mobile-feedback.png", full_page=True)

    assert page.evaluate("() => document.documentElement.scrollWidth") <= MOBILE["width"]
    for locator in (
        answer.get_by_role("button", name="Yes", exact=True),
        answer.get_by_role("button", name="No", exact=True),
        comment,
        answer.get_by_role("button", name="Send comment"),
    ):
        locator.scroll_into_view_if_needed()
        box = locator.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= MOBILE["width"], box
        assert box["height"] >= 44, box

    # Sending nothing is fine: "No" is already stored, and the box closes with thanks.
    answer.get_by_role("button", name="Send comment").click()
    expect(answer.get_by_role("status")).to_have_text("Thank you for your feedback.")
    expect(comment).to_be_hidden()
    expect(page.get_by_label("Ask a question")).to_be_focused()


# ---------------------------------------------------------------------------- answers in lines

LIST_QUESTION = "What documents do I need for a REAL ID?"
SECTION_QUESTION = "How much does it cost to renew my driver's license?"
STORAGE_KEY = "fairhaven-assistant/conversation/v1"


def expected_layout(text: str, cited: set[int]) -> list[list]:
    """The answer's lines as the page should show them: ["p", words] for a paragraph and
    ["ul", [words, ...]] for a run of "- " items; a cited [n] is read "[source n]"."""

    def shown(line: str) -> str:
        return re.sub(
            r"\[(\d+)\]", lambda m: f"[source {m[1]}]" if int(m[1]) in cited else m[0], line
        )

    layout: list[list] = []
    for line in (raw.strip() for raw in text.splitlines()):
        if line.startswith("- "):
            if not layout or layout[-1][0] != "ul":
                layout.append(["ul", []])
            layout[-1][1].append(shown(line[2:]))
        elif line:
            layout.append(["p", shown(line)])
    return layout


def shown_layout(answer) -> list[list]:
    return answer.locator(".message__text").evaluate(
        """body => Array.from(body.children).map(child => child.tagName === 'UL'
            ? ['ul', Array.from(child.children, item => item.textContent)]
            : [child.tagName.toLowerCase(), child.textContent])"""
    )


def read_more_name(section: str) -> str:
    return f"Read the whole section: {section} (opens the official page)"


def test_a_list_answer_shows_paragraphs_and_a_list_with_working_source_links(page: Page) -> None:
    reply = ask_and_capture(page, LIST_QUESTION)
    text = reply["reply"]["text"]
    items = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(items) >= 3, f"the test needs an answer with a list: {text!r}"
    cited = {c["n"] for c in reply["reply"]["citations"]}
    answer = assistant_messages(page).first
    layout = expected_layout(text, cited)
    assert shown_layout(answer) == layout
    expect(answer.locator(".message__text li")).to_have_count(len(items))
    # A line ending in ":" just before a list introduces it (and sits close to it).
    before_lists = [b[1] for b, after in itertools.pairwise(layout) if after[0] == "ul"]
    labels = [line for line in before_lists if re.search(r":(\s*\[[^\]]+\])*$", line)]
    expect(answer.locator(".answer-lines__label")).to_have_text(labels)

    # Every [n], in a paragraph or in a list item, links to its numbered source; following
    # one (as a keyboard user would) lands on that source.
    refs = answer.locator(".message__text a.cite-ref")
    expect(refs).to_have_count(len(re.findall(r"\[\d+\]", text)))
    for href in refs.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        expect(answer.locator(href)).to_have_count(1)
    in_a_list = answer.locator(".message__text li a.cite-ref").last
    target = in_a_list.get_attribute("href")
    assert target
    in_a_list.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("id => location.hash === id", arg=target)
    expect(answer.locator(target)).to_be_in_viewport()
    # No "Read the whole section" unless the server gave one.
    read_more = answer.get_by_role("link", name=re.compile("^Read the whole section"))
    expect(read_more).to_have_count(1 if reply["reply"]["more"] else 0)

    page.reload()
    answer = assistant_messages(page).first
    assert shown_layout(answer) == layout
    expect(answer.locator(".sources li")).to_have_count(len(reply["reply"]["citations"]))


def test_read_the_whole_section_opens_the_official_page_and_survives_a_reload(
    page: Page,
) -> None:
    reply = ask_and_capture(page, SECTION_QUESTION)
    more = reply["reply"]["more"]
    assert more and more["section"], f"the test needs an answer from part of a section: {reply}"
    answer = assistant_messages(page).first
    link = answer.get_by_role("link", name=read_more_name(more["section"]), exact=True)
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", more["url"])
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_contain_text(f"Read the whole section: {more['section']}")
    expect(answer.locator(".read-more")).to_have_count(1)
    stored = json.loads(page.evaluate(f"() => localStorage.getItem('{STORAGE_KEY}')"))
    assert stored["messages"][-1]["more"] == more

    page.reload()
    answer = assistant_messages(page).first
    link = answer.get_by_role("link", name=read_more_name(more["section"]), exact=True)
    expect(link).to_have_attribute("href", more["url"])
    expect(answer.locator(".message__text li")).to_have_count(
        sum(line.startswith("- ") for line in reply["reply"]["text"].splitlines())
    )


def test_a_list_answer_with_read_more_has_no_accessibility_violations(page: Page) -> None:
    # The fees answer has it all: paragraphs, a list, an [n] link and "Read the whole section".
    reply = ask_and_capture(page, SECTION_QUESTION)
    assert reply["reply"]["more"] and "\n- " in reply["reply"]["text"], reply
    expect(page.locator("#messages .message__text li").first).to_be_visible()
    expect(page.locator("#messages .read-more a")).to_have_count(1)
    problems = axe_violations(page)  # every impact, not only serious ones
    assert not problems, "\n".join(problems)
    page.screenshot(path="/tmp/page-list-answers.png", full_page=True)


def test_read_more_is_only_a_web_link_and_older_stored_answers_still_show(page: Page) -> None:
    renew = "https://dmv.westmark.example/licenses/renew"
    citation = {
        "n": 1,
        "doc_id": "renew",
        "title": "Renew your driver's license",
        "url": renew,
        "section": None,
        "snippet": "",
    }
    # An answer stored before answers had "more", as an older version of the page kept it.
    older = {
        "role": "assistant",
        "text": "You can renew:\n- online\n- in person [1]",
        "citations": [citation],
        "status": "answered",
    }
    saved = {"sessionId": None, "messages": [older], "handoff": None}
    page.evaluate(
        "([key, value]) => localStorage.setItem(key, value)", [STORAGE_KEY, json.dumps(saved)]
    )
    page.reload()
    answer = assistant_messages(page).first
    expect(answer.locator(".message__text li")).to_have_text(["online", "in person [source 1]"])
    expect(answer.locator(".answer-lines__label")).to_have_text("You can renew:")
    expect(answer.locator(".read-more")).to_have_count(0)

    replies = [
        # The opening of a page has no heading: the link is named after the page.
        {"url": renew, "section": None},
        {"url": "data:text/html,<script>window.__pwned=1</script>", "section": "Fees"},
        None,
    ]

    def reply_with_more(route: Route) -> None:
        body = {
            "session_id": "s-1",
            "reply": {"text": "Fees:\n- $42 [1]", "citations": [citation], "more": replies[0]},
            "status": "answered",
            "confidence": 0.9,
            "handoff": None,
        }
        replies.pop(0)
        fake_reply(route, body)

    page.route("**/api/chat", reply_with_more)
    ask(page, "how much?")
    latest = assistant_messages(page).last
    link = latest.get_by_role(
        "link", name=read_more_name("Renew your driver's license"), exact=True
    )
    expect(link).to_have_attribute("href", renew)
    ask(page, "how much again?")
    expect(assistant_messages(page).last.locator(".read-more")).to_have_count(0)
    ask(page, "and again?")
    expect(assistant_messages(page).last.locator(".read-more")).to_have_count(0)
    expect(page.locator("#messages .read-more")).to_have_count(1)
    page.reload()
    expect(page.locator("#messages .read-more")).to_have_count(1)
    expect(page.locator("#messages .read-more a")).to_have_attribute("href", renew)
    assert page.evaluate("() => window.__pwned") is None


# ---------------------------------------------------------------------------- protection


def test_the_page_keeps_the_redacted_copy_not_what_was_typed(page: Page) -> None:
    ask(page, "my card 4111 1111 1111 1111 exp 04/27 was charged twice, my name is Ana Ruiz")
    shown = page.locator("#messages .message--user").first
    expect(shown).to_contain_text("[CARD NUMBER]")
    expect(shown).not_to_contain_text("4111")
    stored = page.evaluate(f"() => localStorage.getItem('{STORAGE_KEY}')")
    assert "[CARD NUMBER]" in stored and "[CARD EXPIRY]" in stored and "[NAME]" in stored
    for typed in ("4111", "04/27", "Ana Ruiz"):
        assert typed not in stored
    page.reload()
    expect(page.locator("#messages .message--user").first).to_contain_text("[CARD NUMBER]")


@pytest.fixture
def limited_page(browser: Browser, settings: Settings, container: Container) -> Iterator[Page]:
    from tests.conftest import LiveServer

    limited = settings.model_copy(update={"chat_rate_per_address": "1/minute"})
    container.settings = limited
    with LiveServer(limited, container) as server:
        page, problems = open_page(browser, server.url, DESKTOP)
        yield page
        page.context.close()
        problems.check()


def test_over_the_limit_the_page_says_how_long_to_wait_and_keeps_the_question(
    limited_page: Page,
) -> None:
    ask(limited_page, FIRST_QUESTION)
    box = limited_page.get_by_label("Ask a question")
    box.focus()
    limited_page.keyboard.type(FOLLOW_UP)
    limited_page.keyboard.press("Enter")
    alert = limited_page.get_by_role("alert")
    expect(alert).to_contain_text("faster than we can answer")
    expect(alert).to_contain_text("seconds")
    expect(box).to_have_value(FOLLOW_UP)

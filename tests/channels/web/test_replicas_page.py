"""A citizen page on one replica, a caseworker on the other: a reply sent while the page
was closed is there when it opens again, once, with the live line picking up after it."""

from __future__ import annotations

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")

from playwright.sync_api import Browser, expect

from assistant.store import conversation_id_for
from tests.channels.web.browser import Pages
from tests.channels.web.replicas import ASK_FOR_PERSON, Caseworker, Deployment

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.browser]

STORAGE_KEY = "fairhaven-assistant/conversation/v1"


def test_a_reopened_page_catches_up_a_reply_sent_on_the_other_replica(
    deployment: Deployment, browser: Browser
) -> None:
    a, b = deployment.a, deployment.b
    sam = Caseworker(b)
    pages = Pages(browser, a.url)
    try:
        page = pages.new()
        page.goto("/")
        box = page.get_by_label("Ask a question")
        box.fill(ASK_FOR_PERSON)
        box.press("Enter")
        live = page.locator("#handoff-live")
        expect(live).to_contain_text("Your place in the queue: 1")
        session_id = page.evaluate(f"JSON.parse(localStorage.getItem('{STORAGE_KEY}')).sessionId")
        waiting = httpx.get(
            b.url + "/api/staff/handoffs",
            params={"view": "waiting"},
            cookies={"ca_staff": sam.cookie},
            timeout=30,
        ).json()
        handoff_id = next(
            h["id"] for h in waiting if h["conversation_id"] == conversation_id_for(session_id)
        )

        # Claimed on B: the page on A hears it live, over Redis.
        sam.post(b, f"{handoff_id}/claim")
        expect(live).to_contain_text("A caseworker has joined")

        # The page is closed; the caseworker writes (the office's number, as written).
        page.goto("about:blank")
        sam.post(b, f"{handoff_id}/reply", {"text": "Please call our office on 555-010-2000."})

        page.goto("/")
        replies = page.locator("#messages .message--caseworker")
        expect(replies).to_have_count(1)
        expect(replies).to_contain_text("Please call our office on 555-010-2000.")
        expect(replies.locator(".message__who")).to_contain_text("Caseworker Sam Rivera")
        # Where it belongs: after the citizen's request and the assistant's answer to it.
        roles = page.locator("#messages > li").evaluate_all(
            "items => items.map(i => i.className.replace('message message--', ''))"
        )
        assert roles == ["user", "assistant", "caseworker"]

        # The live line is back too: the next reply arrives without a reload, once.
        sam.post(b, f"{handoff_id}/reply", {"text": "Are you still there?"})
        expect(replies).to_have_count(2)
        expect(replies.nth(1)).to_contain_text("Are you still there?")
        page.reload()
        expect(replies).to_have_count(2)
    finally:
        pages.close()

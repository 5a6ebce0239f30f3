"""A suggested reply for the caseworker: what the assistant would answer to the citizen's
latest question, with its sources, that the caseworker may insert, edit and send — over
the staff API and in a real browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from tests.conftest import LiveServer
from tests.fake_llm import Behaviour, FakeModelServer, sentences_of, sources_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PASSWORD = "correct horse battery staple"
QUESTION = "How do I renew my driver's license?"
ASK_FOR_PERSON = "I want to talk to a real person"


def _server(settings: Settings, container: Container) -> LiveServer:
    settings.staff_hours = "always"
    container.staff.create(
        username="sam",
        password=PASSWORD,
        role=Role.CASEWORKER,
        display_name="Sam Rivera",
        teams=["General"],
    )
    return LiveServer(settings, container)


@pytest.fixture
def server(settings: Settings, container: Container) -> Iterator[LiveServer]:
    with _server(settings, container) as live:
        yield live


def _citizen_asks_then_wants_a_person(
    url: str, question: str | None = QUESTION
) -> tuple[dict, str]:
    """The citizen's answer (or None) and the handoff's id."""
    answer: dict = {}
    session = None
    if question is not None:
        answer = httpx.post(f"{url}/api/chat", json={"message": question}, timeout=60).json()
        session = answer["session_id"]
    wants = httpx.post(
        f"{url}/api/chat", json={"message": ASK_FOR_PERSON, "session_id": session}, timeout=60
    ).json()
    assert wants["handoff"], wants
    return answer, str(wants["handoff"]["id"])


@contextmanager
def _signed_in(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=60) as client:
        response = client.post("/api/staff/login", json={"username": "sam", "password": PASSWORD})
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        yield client


@pytest.mark.slow
def test_the_suggestion_is_the_quoted_answer_to_the_latest_question(server: LiveServer) -> None:
    with _signed_in(server.url) as sam:  # a caseworker on duty, so the handoff waits for one
        answer, handoff = _citizen_asks_then_wants_a_person(server.url)
        got = sam.get(f"/api/staff/handoffs/{handoff}/suggestion")
        assert got.status_code == 200
        suggestion = got.json()["suggestion"]
        # The request for a person is passed over for the question before it.
        assert suggestion["question"] == QUESTION
        assert suggestion["text"] == answer["reply"]["text"]
        assert suggestion["citations"] == answer["reply"]["citations"]
        assert suggestion["composer"] == "extractive"
        # Nothing was sent or stored: the transcript is as the citizen left it.
        detail = sam.get(f"/api/staff/handoffs/{handoff}").json()
        assert [m["role"] for m in detail["transcript"]] == [
            "citizen",
            "assistant",
            "citizen",
            "assistant",
        ]
    anonymous = httpx.get(f"{server.url}/api/staff/handoffs/{handoff}/suggestion")
    assert anonymous.status_code == 401


@pytest.mark.slow
def test_no_question_means_no_suggestion(server: LiveServer) -> None:
    with _signed_in(server.url) as sam:
        _, handoff = _citizen_asks_then_wants_a_person(server.url, question=None)
        assert sam.get(f"/api/staff/handoffs/{handoff}/suggestion").json() == {"suggestion": None}
        assert sam.get("/api/staff/handoffs/nope/suggestion").status_code == 404


@pytest.mark.slow
def test_with_a_model_the_suggestion_is_drafted_and_held_to_its_sources(
    data_dir: Path, shared_container: Container
) -> None:
    def drafts(prompt: str) -> str:
        said = sentences_of(sources_in(prompt)[1])[:2]
        return " ".join(f"{s} [1]" for s in said) + " Bring a llama to the office [1]."

    with FakeModelServer(behaviour=Behaviour(reply=drafts)) as model:
        settings = Settings.model_validate(
            {
                "data_dir": data_dir,
                "environment": "test",
                "llm_provider": "openai",
                "llm_base_url": f"{model.url}/v1",
                "llm_model": "fake-model",
                "llm_timeout_seconds": 10,
            }
        )
        container = Container(settings)
        container.__dict__["embedder"] = shared_container.embedder
        with _server(settings, container) as live, _signed_in(live.url) as sam:
            _, handoff = _citizen_asks_then_wants_a_person(live.url)
            suggestion = sam.get(f"/api/staff/handoffs/{handoff}/suggestion").json()["suggestion"]
    assert suggestion["composer"] == "generative"
    assert "llama" not in suggestion["text"] and "[1]" in suggestion["text"]
    assert suggestion["citations"][0]["n"] == 1


@pytest.mark.browser
def test_the_caseworker_inserts_edits_and_sends_the_suggestion(
    server: LiveServer, browser: Browser
) -> None:
    from playwright.sync_api import expect

    from tests.channels.web.browser import Pages, serious_violations

    with _signed_in(server.url):
        answer, _ = _citizen_asks_then_wants_a_person(server.url)
    first_line = re.sub(r"\s*\[\d+\]", "", answer["reply"]["text"]).splitlines()[0]
    first_sentence = first_line.removeprefix("- ")[:40]
    pages = Pages(browser, server.url)
    try:
        page = pages.new()
        page.goto("/console")
        page.get_by_label("Username").fill("sam")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.locator("#panel-waiting .handoff-card__open").first.click()

        # Waiting, not yet claimed: the suggestion and its sources are there to read.
        suggestion = page.get_by_role("region", name=re.compile("Suggested reply"))
        expect(suggestion).to_be_visible()
        expect(suggestion).to_contain_text(QUESTION)
        expect(suggestion).to_contain_text(first_sentence)
        source = suggestion.locator("#suggestion-sources a[href]").first
        expect(source).to_have_attribute("href", answer["reply"]["citations"][0]["url"])
        expect(suggestion.get_by_role("button", name="Insert into reply")).to_be_hidden()
        assert not serious_violations(page)

        page.get_by_role("button", name="Claim").click()
        insert = suggestion.get_by_role("button", name="Insert into reply")
        expect(insert).to_be_visible()
        box = page.get_by_label("Reply to the citizen")
        expect(box).to_have_value("")  # nothing is put in the box, or sent, by itself
        insert.click()
        expect(box).to_be_focused()
        inserted = box.input_value()
        assert first_sentence in inserted and "[1]" not in inserted
        assert answer["reply"]["citations"][0]["url"] in inserted  # the source, as a link
        box.press("End")
        box.type(" Sam, City of Fairhaven")
        page.get_by_role("button", name="Send reply").click()
        sent = page.locator("#transcript .entry--caseworker")
        expect(sent).to_have_count(1)
        expect(sent).to_contain_text(first_sentence)
        expect(sent).to_contain_text("Sam, City of Fairhaven")
    finally:
        pages.close()

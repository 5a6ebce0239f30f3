"""The answer as it is written: server-sent drafts from a model on 127.0.0.1, then the
checked, cited answer that replaces them, over HTTP and in a real browser."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from assistant.container import Container
from assistant.settings import Settings
from tests.conftest import LiveServer
from tests.fake_llm import Behaviour, FakeModelServer, sentences_of, sources_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser

QUESTION = "How do I renew my driver's license?"
INVENTED = "Renewals also come with a free parking space at the zoo [1]."


def _writes_with_one_invention(prompt: str) -> str:
    said = sentences_of(sources_in(prompt)[1])[:3]
    return " ".join(f"{s} [1]" for s in said) + " " + INVENTED


@pytest.fixture
def model_server() -> Iterator[FakeModelServer]:
    with FakeModelServer() as server:
        server.behaviour = Behaviour(reply=_writes_with_one_invention, drip=0.05)
        yield server


@pytest.fixture
def streaming_server(
    data_dir: Path, shared_container: Container, model_server: FakeModelServer
) -> Iterator[LiveServer]:
    settings = Settings.model_validate(
        {
            "data_dir": data_dir,
            "environment": "test",
            "llm_provider": "openai",
            "llm_base_url": f"{model_server.url}/v1",
            "llm_model": "fake-model",
            "llm_timeout_seconds": 30,
        }
    )
    container = Container(settings)
    container.__dict__["embedder"] = shared_container.embedder
    with LiveServer(settings, container) as server:
        yield server


def _events(url: str, message: str) -> list[tuple[str, dict]]:
    found = []
    with httpx.stream(
        "POST", f"{url}/api/chat/stream", json={"message": message}, timeout=60
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        kind = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[len("event: ") :]
            elif line.startswith("data: "):
                found.append((kind, json.loads(line[len("data: ") :])))
    return found


@pytest.mark.slow
def test_drafts_stream_then_the_checked_answer_replaces_them(
    streaming_server: LiveServer,
) -> None:
    events = _events(streaming_server.url, QUESTION)
    kinds = [k for k, _ in events]
    # A draft a sentence at a time (each checked for what no answer may say), then the reply.
    assert kinds[-1] == "reply" and set(kinds[:-1]) == {"draft"} and len(kinds) >= 4
    drafted = "".join(d["text"] for _, d in events[:-1])
    assert "zoo" in drafted  # what the model wrote ...
    reply = events[-1][1]
    assert reply["composer"] == "generative" and reply["status"] == "answered"
    assert "zoo" not in reply["reply"]["text"]  # ... is not what the citizen is sent
    assert "[1]" in reply["reply"]["text"] and reply["reply"]["citations"][0]["n"] == 1


@pytest.mark.slow
def test_a_model_reciting_its_instructions_is_not_shown_even_as_a_draft(
    streaming_server: LiveServer, model_server: FakeModelServer
) -> None:
    def recites(prompt: str) -> str:
        first = sentences_of(sources_in(prompt)[1])[0]
        system = prompt.split("\n\n<sources>", 1)[0]
        return f"{first} [1]\n" + "\n".join(f"{line} [1]" for line in system.splitlines())

    model_server.behaviour = Behaviour(reply=recites, drip=0.01)
    events = _events(streaming_server.url, QUESTION)
    drafted = "".join(d["text"] for k, d in events if k == "draft")
    first = sentences_of(sources_in(model_server.last_prompt)[1])[0]
    assert first in drafted  # the draft began ...
    assert "numbered sources" not in drafted and "Rules" not in drafted  # ... and stopped
    reply = events[-1][1]
    assert "numbered sources" not in reply["reply"]["text"]
    assert reply["composer"] == "extractive" and reply["fallback_reason"] == "forbidden"


@pytest.mark.slow
def test_without_a_model_the_stream_is_the_answer_alone(live_server: LiveServer) -> None:
    events = _events(live_server.url, QUESTION)
    assert [k for k, _ in events] == ["reply"]
    assert events[0][1]["composer"] == "extractive" and events[0][1]["status"] == "answered"
    page = httpx.get(live_server.url + "/").text
    assert "data-streaming" not in page
    empty = httpx.post(live_server.url + "/api/chat/stream", json={"message": "  "})
    assert empty.status_code == 422


@pytest.mark.browser
def test_the_page_shows_the_draft_then_the_checked_cited_answer(
    streaming_server: LiveServer, browser: Browser
) -> None:
    from playwright.sync_api import expect

    from tests.channels.web.browser import serious_violations, watched_page

    page, problems = watched_page(browser, streaming_server.url, {"width": 1280, "height": 900})
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("data-streaming", "true")
    # Everything the draft ever showed, however briefly.
    page.evaluate(
        """() => {
          window.__drafted = '';
          new MutationObserver(() => {
            const draft = document.querySelector('#messages .message--draft');
            if (draft) window.__drafted = draft.textContent;
          }).observe(document.getElementById('messages'),
                     { subtree: true, childList: true, characterData: true });
        }"""
    )
    page.get_by_label("Ask a question").fill(QUESTION)
    page.keyboard.press("Enter")
    draft = page.locator("#messages .message--draft")
    expect(draft).to_be_visible(timeout=30_000)
    # Shown, but not read out token by token: the checked answer is announced once.
    expect(draft).to_have_attribute("aria-hidden", "true")
    answer = page.locator("#messages .message--assistant:not(.message--draft)")
    expect(answer).to_have_count(1, timeout=30_000)
    expect(draft).to_have_count(0)
    expect(answer).not_to_contain_text("zoo")
    assert "zoo" in page.evaluate("() => window.__drafted")  # shown as written, then dropped
    expect(answer.locator(".message__text a.cite-ref").first).to_be_visible()
    expect(answer.locator(".sources a[href]").first).to_be_visible()
    assert not serious_violations(page)
    page.context.close()
    problems.check()

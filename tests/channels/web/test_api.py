"""The HTTP contract of the architecture page, against a real server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from assistant.settings import Settings
from tests.conftest import LiveServer

KEYS = {
    "session_id",
    "reply",
    "status",
    "confidence",
    "handoff",
    "composer",
    "fallback_reason",
    "message",
    "language",
    "offer",
}


def test_chat_contract_and_follow_up(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        first = client.post(
            "/api/chat", json={"message": "How do I renew my driver's license?", "session_id": None}
        )
        assert first.status_code == 200
        body = first.json()
        assert set(body) == KEYS
        assert body["status"] == "answered" and body["handoff"] is None
        # No model configured: the answer is quoted, and nothing was replaced.
        assert body["composer"] == "extractive" and body["fallback_reason"] is None
        assert 0 <= body["confidence"] <= 1
        citation = body["reply"]["citations"][0]
        assert set(citation) == {"n", "doc_id", "title", "url", "section", "snippet"}
        assert citation["n"] == 1
        follow = client.post(
            "/api/chat",
            json={"message": "how much does it cost?", "session_id": body["session_id"]},
        ).json()
        assert follow["session_id"] == body["session_id"]
        assert follow["status"] == "answered"
        assert follow["reply"]["citations"][0]["doc_id"] == "renew-drivers-license"
        assert "$" in follow["reply"]["text"]


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"message": ""}, "type a question"),
        ({"message": "   \n\t "}, "type a question"),
        ({"message": "x" * 1001}, "too long"),
        ({"message": 42}, "string"),
        ({"message": None}, "string"),
        ({}, "required"),
        ({"message": ["a"]}, "string"),
    ],
)
def test_bad_messages_get_a_clear_422(
    live_server: LiveServer, payload: dict[str, object], needle: str
) -> None:
    response = httpx.post(live_server.url + "/api/chat", json=payload, timeout=30)
    assert response.status_code == 422
    assert needle in response.text.lower()


def test_malformed_json_is_a_422_not_a_500(live_server: LiveServer) -> None:
    response = httpx.post(
        live_server.url + "/api/chat",
        content=b"{not json",
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 422


def test_markup_in_a_message_comes_back_as_plain_data(live_server: LiveServer) -> None:
    response = httpx.post(
        live_server.url + "/api/chat",
        json={"message": "<script>alert(1)</script> hello"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")


def test_health_readiness_and_docs(live_server: LiveServer) -> None:
    assert httpx.get(live_server.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(live_server.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert httpx.get(live_server.url + "/docs").status_code == 200
    schema = httpx.get(live_server.url + "/openapi.json").json()
    assert "/api/chat" in schema["paths"]


@pytest.mark.slow
def test_readyz_says_not_ready_without_an_index(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, sample_kb_on_empty=False)
    with LiveServer(settings, ready_path="/healthz") as server:
        ready = httpx.get(server.url + "/readyz", timeout=30)
        assert ready.status_code == 503
        assert ready.json()["checks"]["index"] == "empty"
        reply = httpx.post(
            server.url + "/api/chat", json={"message": "How do I vote?"}, timeout=30
        ).json()
        assert reply["status"] == "unanswerable_no_content"


def test_the_page_is_served_with_protective_headers(live_server: LiveServer) -> None:
    page = httpx.get(live_server.url + "/", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    reply = httpx.post(live_server.url + "/api/chat", json={"message": "Hello"}, timeout=30)
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["referrer-policy"] == "no-referrer"
    # /docs needs its own inline bootstrap script, so it is left without our policy.
    docs = httpx.get(live_server.url + "/docs", timeout=30)
    assert docs.status_code == 200 and "content-security-policy" not in docs.headers
    assert docs.headers["x-content-type-options"] == "nosniff"

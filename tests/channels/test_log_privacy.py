"""The logs of a real run hold no session id and no answer-link token: only short keyed
hashes of them, so lines about one conversation still match each other."""

from __future__ import annotations

import io
import re

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from assistant.container import Container
from assistant.settings import Settings
from assistant.turns import InboundMessage
from channels.log_privacy import SecretPaths
from channels.sms.answers import AnswerLinks
from tests.conftest import LiveServer


def test_a_run_logs_no_session_id_and_no_answer_token(
    settings: Settings, container: Container, captured: io.StringIO
) -> None:
    question = "How do I renew my driving licence?"
    texted = container.assistant.handle(
        InboundMessage(channel="sms", text=question, conversation_key="k" * 64, external_id="SM1")
    )
    token = AnswerLinks(container.engine).token_for_reply(channel="sms", external_id="SM1")
    assert token, texted.status
    # log_config=None: uvicorn keeps these handlers rather than installing its own.
    with LiveServer(settings, container, log_level="info", log_config=None) as server:
        session_id = httpx.post(
            server.url + "/api/chat", json={"message": question, "session_id": None}
        ).json()["session_id"]
        with connect(server.url.replace("http", "ws") + f"/ws/chat/{session_id}"):
            pass  # accepted (and logged as such)
        with pytest.raises(InvalidStatus):  # refused (and logged as such)
            connect(server.url.replace("http", "ws") + "/ws/chat/unknown-session")
        assert httpx.get(server.url + f"/a/{token}").status_code == 200
        assert httpx.get(server.url + f"/a/{token}?utm=sms").status_code == 200
    logs = captured.getvalue()
    assert "/ws/chat/#" in logs and "/a/#" in logs, logs  # the requests were logged ...
    assert session_id not in logs  # ... without their secrets
    assert token not in logs
    assert "unknown-session" not in logs
    tags = set(re.findall(r"/a/(#[0-9a-f]{10})", logs))
    assert len(tags) == 1  # both requests for one answer carry the same tag


def test_the_tag_is_keyed() -> None:
    one, other = SecretPaths(b"key one"), SecretPaths(b"key two")
    assert one.scrub("/a/abc") == one.scrub("/a/abc") != other.scrub("/a/abc")
    assert one.scrub("GET /ws/chat/s3cr3t?x=1 HTTP/1.1").startswith("GET /ws/chat/#")
    assert "s3cr3t" not in one.scrub("GET /ws/chat/s3cr3t?x=1 HTTP/1.1")

"""Uptime and link checkers send HEAD: every page answers it as GET would, with no body."""

from __future__ import annotations

import httpx
import pytest

from assistant.container import Container
from assistant.turns import Status
from channels.sms.answers import AnswerLinks
from tests.conftest import LiveServer

# Headers that may differ between two responses to the same request (each request gets
# an id of its own).
VARYING = {"date", "x-request-id"}


def _answer_link(container: Container) -> str:
    """The path of a stored answer's page (/a/{token}), as an SMS reply links it."""
    store = container.conversation_store
    conversation = store.create(channel="sms")
    store.add_turn(
        conversation,
        citizen_text="When is the library open?",
        reply_text="The main library is open every day from 9 am to 8 pm. [1]",
        status=str(Status.ANSWERED),
        confidence=0.9,
        citations=[],
        channel="sms",
        external_id="SM" + "h" * 32,
    )
    token = AnswerLinks(container.engine).token_for_reply(
        channel="sms", external_id="SM" + "h" * 32
    )
    assert token is not None
    return f"/a/{token}"


@pytest.mark.parametrize(
    "path",
    ["/", "/console", "/editor", "answer page", "/a/no-such-answer", "/healthz", "/readyz"],
)
def test_head_gets_the_status_and_headers_of_get_and_no_body(
    live_server: LiveServer, path: str
) -> None:
    if path == "answer page":
        path = _answer_link(live_server.app.state.container)
    got = httpx.get(live_server.url + path)
    head = httpx.head(live_server.url + path)

    assert got.status_code in (200, 404) and got.content
    assert head.status_code == got.status_code, (path, head.status_code)
    assert head.content == b""
    strip = {k: v for k, v in got.headers.items() if k not in VARYING}
    assert {k: v for k, v in head.headers.items() if k not in VARYING} == strip
    assert int(head.headers["content-length"]) == len(got.content)
    if path != "/healthz" and path != "/readyz":
        assert head.headers["content-type"].startswith("text/html")

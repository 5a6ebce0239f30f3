"""The staff API and live events over a real server: access, CSRF, the handoff story."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from tests.conftest import LiveServer

PASSWORD = "a long enough password"


@pytest.fixture
def server(settings: Settings, container: Container) -> Iterator[LiveServer]:
    settings.staff_hours = "always"
    container.staff.create(
        username="sam",
        password=PASSWORD,
        role=Role.CASEWORKER,
        display_name="Sam",
        teams=["General"],
    )
    container.staff.create(
        username="kim", password=PASSWORD, role=Role.CASEWORKER, display_name="Kim"
    )
    container.staff.create(username="eve", password=PASSWORD, role=Role.EDITOR)
    with LiveServer(settings, container) as live:
        yield live


def sign_in(server: LiveServer, username: str) -> httpx.Client:
    return server.sign_in(username, PASSWORD)


def staff_routes(server: LiveServer) -> list[tuple[str, str]]:
    """Every staff endpoint in the app's route table (its OpenAPI paths)."""
    paths = server.app.openapi()["paths"]
    return [
        (method.upper(), path.replace("{handoff_id}", "nope"))
        for path, operations in paths.items()
        if path.startswith("/api/staff/") and path != "/api/staff/login"
        for method in operations
    ]


def test_every_staff_endpoint_refuses_anonymous_and_wrong_role(server: LiveServer) -> None:
    routes = staff_routes(server)
    assert len(routes) >= 12  # a new endpoint is covered here automatically
    editor = sign_in(server, "eve")
    for method, path in routes:
        anonymous = httpx.request(method, server.url + path, json={"text": "x"})
        assert anonymous.status_code == 401, (method, path)
        if path in ("/api/staff/me", "/api/staff/logout"):
            continue
        wrong_role = editor.request(method, path, json={"text": "x"})
        assert wrong_role.status_code == 403, (method, path, wrong_role.text)


def test_posts_without_the_csrf_token_are_refused(server: LiveServer) -> None:
    client = sign_in(server, "sam")
    token = client.headers.pop("X-CSRF-Token")
    assert client.post("/api/staff/handoffs/nope/claim").status_code == 403
    client.headers["X-CSRF-Token"] = token
    assert client.post("/api/staff/handoffs/nope/claim").status_code == 404
    cookie = client.cookies.get("ca_staff")
    assert (
        cookie
        and "httponly"
        in client.post("/api/staff/login", json={"username": "sam", "password": PASSWORD})
        .headers["set-cookie"]
        .lower()
    )


def test_wrong_password_and_staff_socket_without_sign_in(server: LiveServer) -> None:
    bad = httpx.post(server.url + "/api/staff/login", json={"username": "sam", "password": "no"})
    assert bad.status_code == 401 and "do not match" in bad.text
    with (
        pytest.raises(InvalidStatus),  # refused before the handshake completes
        connect(server.url.replace("http", "ws") + "/ws/staff") as socket,
    ):
        socket.recv(timeout=5)


def test_handoff_story_over_http_and_websockets(server: LiveServer) -> None:
    sam = sign_in(server, "sam")
    ws_base = server.url.replace("http", "ws")
    cookie = f"ca_staff={sam.cookies.get('ca_staff')}"
    with connect(ws_base + "/ws/staff", additional_headers={"Cookie": cookie}) as staff_socket:
        asked = httpx.post(
            server.url + "/api/chat",
            json={"message": "I want to talk to a real person"},
            timeout=30,
        ).json()
        assert asked["status"] == "handoff_requested"
        assert asked["handoff"]["state"] == "waiting" and asked["handoff"]["position"] == 1
        session_id, handoff_id = asked["session_id"], asked["handoff"]["id"]
        created = _next(staff_socket, "handoff.created")
        assert created["handoff"]["reason"] == "requested"

        with connect(f"{ws_base}/ws/chat/{session_id}") as citizen_socket:
            assert _next(citizen_socket, "handoff")["state"] == "waiting"
            kim = sign_in(server, "kim")
            assert sam.post(f"/api/staff/handoffs/{handoff_id}/claim").status_code == 200
            taken = kim.post(f"/api/staff/handoffs/{handoff_id}/claim")
            assert taken.status_code == 409 and "Sam" in taken.json()["detail"]
            sam.post(
                f"/api/staff/handoffs/{handoff_id}/reply",
                json={"text": "Hello, this is Sam from the city"},
            )
            message = _next(citizen_socket, "message")
            assert message["text"] == "Hello, this is Sam from the city"
            assert message["author"] == "Sam"

            quiet = httpx.post(
                server.url + "/api/chat",
                json={"message": "thanks, my SSN is 123-45-6789", "session_id": session_id},
                timeout=30,
            ).json()
            assert quiet["status"] == "handoff_active" and quiet["reply"]["text"] == ""
            relayed = _next(staff_socket, "message", lambda e: e["message"]["role"] == "citizen")
            assert "123-45-6789" not in relayed["message"]["text"]

            sam.post(f"/api/staff/handoffs/{handoff_id}/notes", json={"text": "Call back Friday"})
            detail = sam.get(f"/api/staff/handoffs/{handoff_id}").json()
            assert detail["notes"][0]["text"] == "Call back Friday"
            assert [m["role"] for m in detail["transcript"]][:2] == ["citizen", "assistant"]
            assert sam.post(f"/api/staff/handoffs/{handoff_id}/resolve").status_code == 200
            assert _next(citizen_socket, "resolved")["id"] == handoff_id

    rated = httpx.post(
        server.url + "/api/chat/rating",
        json={"session_id": session_id, "rating": 5, "comment": "quick"},
    )
    assert rated.status_code == 200
    resolved = sam.get("/api/staff/handoffs", params={"view": "resolved"}).json()
    assert resolved[0]["rating"] == 5


def test_nobody_online_means_a_callback_request(server: LiveServer) -> None:
    asked = httpx.post(
        server.url + "/api/chat", json={"message": "can I speak to an agent"}, timeout=30
    ).json()
    assert asked["status"] == "handoff_callback_offered" and asked["handoff"] is None
    left = httpx.post(
        server.url + "/api/chat/callback",
        json={
            "session_id": asked["session_id"],
            "message": "Please call me about my permit",
            "contact": "555-0100",
        },
        timeout=30,
    )
    assert left.status_code == 200 and left.json()["handoff"]["state"] == "callback_requested"
    sam = sign_in(server, "sam")
    waiting = sam.get("/api/staff/handoffs", params={"view": "waiting"}).json()
    assert waiting[0]["callback_contact"] == "555-0100"
    unknown = httpx.post(
        server.url + "/api/chat/callback",
        json={"session_id": "nope", "message": "hi", "contact": "555-0100"},
    )
    assert unknown.status_code == 404


def test_an_unknown_chat_session_cannot_listen(server: LiveServer) -> None:
    with (
        pytest.raises(InvalidStatus),
        connect(server.url.replace("http", "ws") + "/ws/chat/not-a-session") as socket,
    ):
        socket.recv(timeout=5)


def _next(socket, kind: str, where=lambda event: True):  # type: ignore[no-untyped-def]
    for _ in range(50):
        event = json.loads(socket.recv(timeout=10))
        if event.get("type") == kind and where(event):
            return event
    raise AssertionError(f"no {kind} event")

"""Attacks a public service meets on its first day, over a real server: floods of chat
and sign-ins, hostile text, oversized requests, and sessions that must end."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from server import server_options
from tests.conftest import LiveServer

PASSWORD = "a long enough password"


def serve(settings: Settings, container: Container, **changes: object) -> LiveServer:
    """A server as ``citizen-assistant serve`` runs it (h11 with its head limit)."""
    changed = settings.model_copy(update=changes)
    container.settings = changed
    return LiveServer(changed, container, **server_options(changed))


def chat(url: str, message: str, session_id: str | None = None) -> httpx.Response:
    return httpx.post(
        url + "/api/chat", json={"message": message, "session_id": session_id}, timeout=30
    )


def sign_in(url: str, username: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(
        url + "/api/staff/login", json={"username": username, "password": password}, timeout=30
    )


# ---------------------------------------------------------------- rate limits


def test_a_burst_of_chat_from_one_address_gets_429_with_retry_after(
    settings: Settings, container: Container
) -> None:
    with serve(settings, container, chat_rate_per_address="10/minute") as server:
        codes = [
            chat(server.url, "How do I renew my driving licence?").status_code for _ in range(15)
        ]
        assert codes[:10] == [200] * 10
        assert set(codes[10:]) == {429}
        refused = chat(server.url, "hello")
        assert int(refused.headers["Retry-After"]) >= 1
        assert "wait" in refused.json()["detail"]
        # The rating and callback routes count against the same address.
        assert (
            httpx.post(
                server.url + "/api/chat/rating", json={"session_id": "x", "rating": 5}, timeout=30
            ).status_code
            == 429
        )


def test_one_conversation_is_limited_on_its_own(settings: Settings, container: Container) -> None:
    with serve(settings, container, chat_rate_per_conversation="3/minute") as server:
        first = chat(server.url, "hello").json()["session_id"]
        codes = [chat(server.url, "hi again", first).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]  # the first one had no id yet to count against
        assert chat(server.url, "a new conversation").status_code == 200


def test_one_address_cannot_fill_the_handoff_queue(
    settings: Settings, container: Container
) -> None:
    container.staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    with serve(settings, container, staff_hours="always", handoffs_per_address="2/hour") as server:
        assert sign_in(server.url, "sam").status_code == 200  # someone is online
        statuses = [chat(server.url, "I want to talk to a real person").json() for _ in range(3)]
        assert [s["handoff"] is not None for s in statuses] == [True, True, False]
        assert statuses[2]["status"] == "handoff_limited"
        assert "talk to someone now" in statuses[2]["reply"]["text"]
        assert len(container.handoffs.in_view("waiting", container.staff.by_username("sam"))) == 2


# ---------------------------------------------------------------- sign-in


def test_thirty_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(
    settings: Settings, container: Container
) -> None:
    container.staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    container.staff.create(username="ada", password=PASSWORD, role=Role.ADMIN)
    with serve(settings, container, sign_in_failures_per_address="1000/hour") as server:
        wrong = [sign_in(server.url, "sam", "not the password").status_code for _ in range(30)]
        assert wrong == [401] * 30
        locked = sign_in(server.url, "sam")  # the right password, too late
        assert locked.status_code == 429
        # The sliding window frees one attempt at a time: usually minutes away, but only
        # seconds when the hour turned during the 30 attempts (most count as last hour's).
        assert int(locked.headers["Retry-After"]) >= 1
        assert sign_in(server.url, "sam").status_code == 429  # and not on the next try
        assert "administrator" in locked.json()["detail"]
        assert sign_in(server.url, "ada").status_code == 200  # other accounts sign in

        admin = httpx.Client(base_url=server.url, timeout=30)
        token = admin.post(
            "/api/staff/login", json={"username": "ada", "password": PASSWORD}
        ).json()["csrf_token"]
        unlocked = admin.post(
            "/api/staff/users/sam/unlock", json={}, headers={"X-CSRF-Token": token}
        )
        assert unlocked.status_code == 200
        assert sign_in(server.url, "sam").status_code == 200
    actions = [(e.action, e.actor, e.target) for e in container.staff.audit_log()]
    assert ("staff.locked", None, "sam") in actions
    assert ("staff.unlock", "ada", "sam") in actions


def test_a_burst_of_wrong_passwords_at_once_is_hashed_no_more_than_the_limit(
    settings: Settings, container: Container
) -> None:
    container.staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    with (
        serve(settings, container, sign_in_failures_per_address="1000/hour") as server,
        ThreadPoolExecutor(max_workers=40) as pool,
    ):
        codes = list(pool.map(lambda _: sign_in(server.url, "sam", "guess").status_code, range(40)))
    # The lockout is looked at when a check's turn comes: past the 30th failure only the
    # checks already running (one per password-check thread, less the one that locked it)
    # still hash; every other attempt is refused without touching the password.
    most = 30 + settings.password_hash_concurrency - 1
    assert 30 <= codes.count(401) <= most and codes.count(429) == 40 - codes.count(401)
    failed = [e for e in container.staff.audit_log() if e.action == "staff.sign_in_failed"]
    assert len(failed) == codes.count(401)


def test_a_caseworker_cannot_unlock(settings: Settings, container: Container) -> None:
    container.staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    with serve(settings, container) as server:
        client = httpx.Client(base_url=server.url, timeout=30)
        token = client.post(
            "/api/staff/login", json={"username": "sam", "password": PASSWORD}
        ).json()["csrf_token"]
        refused = client.post(
            "/api/staff/users/sam/unlock", json={}, headers={"X-CSRF-Token": token}
        )
        assert refused.status_code == 403


def test_wrong_passwords_from_one_address_lock_the_address(
    settings: Settings, container: Container
) -> None:
    container.staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    with serve(settings, container, sign_in_failures_per_address="3/hour") as server:
        for name in ("ann", "bob", "cy"):  # three different (unknown) accounts
            assert sign_in(server.url, name, "guess-guess").status_code == 401
        refused = sign_in(server.url, "sam")
        assert refused.status_code == 429 and "Retry-After" in refused.headers
    locked = [e for e in container.staff.audit_log() if e.action == "staff.locked"]
    assert locked and locked[0].detail is not None and locked[0].detail["rule"] == "sign_in_address"


# ---------------------------------------------------------------- hostile input

_LONE_SURROGATE = '"bad \\ud800 text"'


def json_operations(server: LiveServer) -> list[tuple[str, str]]:
    """Every operation that takes a JSON body, from the app's own schema."""
    found = []
    for path, operations in server.app.openapi()["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found.append((method.upper(), path.replace("{", "").replace("}", "")))
    return found


def test_a_lone_surrogate_gets_422_on_every_json_endpoint_and_the_database_stays_well(
    settings: Settings, container: Container
) -> None:
    container.staff.create(username="ada", password=PASSWORD, role=Role.ADMIN)
    with serve(settings, container) as server:
        client = httpx.Client(base_url=server.url, timeout=30)
        token = client.post(
            "/api/staff/login", json={"username": "ada", "password": PASSWORD}
        ).json()["csrf_token"]
        client.headers.update({"X-CSRF-Token": token, "Content-Type": "application/json"})
        operations = json_operations(server)
        assert len(operations) >= 12  # chat, feedback, callback, rating, sign-in, notes ...
        fields = ("message", "text", "username", "password", "markdown", "question", "comment")
        body = "{" + ", ".join(f'"{f}": {_LONE_SURROGATE}' for f in fields) + "}"
        for method, path in operations:
            response = client.request(method, path, content=body.encode())
            assert response.status_code == 422, (method, path, response.text)
            assert "characters we cannot read" in response.json()["detail"][0]["msg"]
        # Not UTF-8 at all (an encoded surrogate): refused the same way.
        raw = b'{"message": "\xed\xa0\x80", "session_id": null}'
        assert client.post("/api/chat", content=raw).status_code == 422
        # Every connection to the database is still good.
        for _ in range(3):
            assert chat(server.url, "How do I renew my driving licence?").status_code == 200


def test_a_valid_pair_of_surrogates_is_an_ordinary_character(
    settings: Settings, container: Container
) -> None:
    with serve(settings, container) as server:
        body = b'{"message": "hello \\ud83d\\ude00", "session_id": null}'
        response = httpx.post(
            server.url + "/api/chat",
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 200


def _raw_request(port: int, head: bytes, *, body_chunk: bytes = b"", up_to: int = 0) -> Sent:
    """Sends a request by hand, then body chunks until ``up_to`` bytes or the server answers
    (or closes); returns what was sent and what came back."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        try:
            while sent < up_to and not select.select([sock], [], [], 0)[0]:
                sock.sendall(body_chunk)
                sent += len(body_chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
                if b"\r\n\r\n" in received:
                    break
        except (ConnectionResetError, TimeoutError):
            pass
    return Sent(body_bytes=sent, answer=received)


@dataclass
class Sent:
    body_bytes: int
    answer: bytes


def test_a_huge_header_is_refused_before_it_is_read_whole(
    settings: Settings, container: Container
) -> None:
    with serve(settings, container) as server:
        # Only the first 64 KB of a 1 MB header are sent: the answer comes before the rest.
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 64 * 1024
        answer = _raw_request(server.port, head).answer
        assert answer.startswith(b"HTTP/1.1 4"), answer[:200]
        assert httpx.get(server.url + "/healthz").status_code == 200


def test_a_huge_body_is_refused_without_being_read_whole(
    settings: Settings, container: Container
) -> None:
    with serve(settings, container) as server:
        declared = (
            b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 62914560\r\n\r\n"
        )
        answer = _raw_request(server.port, declared).answer  # 60 MB declared, none sent
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]

        chunked = (
            b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        piece = b"a" * 65536
        chunk = b"%x\r\n%s\r\n" % (len(piece), piece)  # a body that never says its length
        result = _raw_request(server.port, chunked, body_chunk=chunk, up_to=60 * 1024 * 1024)
        assert result.answer.startswith(b"HTTP/1.1 413"), result.answer[:200]
        assert result.body_bytes < 4 * 1024 * 1024  # refused at 256 KB; 60 MB never went


def test_an_oversized_message_inside_the_limits_still_gets_its_own_kind_error(
    settings: Settings, container: Container
) -> None:
    with serve(settings, container) as server:
        response = chat(server.url, "x" * 5000)
        assert response.status_code == 422
        assert "too long" in json.dumps(response.json()).lower() or "limit" in response.text


# ---------------------------------------------------------------- sessions that end


@pytest.fixture
def staffed(settings: Settings, container: Container) -> Iterator[LiveServer]:
    container.staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    with serve(settings, container) as server:
        yield server


def _socket_for(server: LiveServer, username: str) -> tuple[httpx.Client, object]:
    client = httpx.Client(base_url=server.url, timeout=30)
    signed = client.post("/api/staff/login", json={"username": username, "password": PASSWORD})
    client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    ws = connect(
        server.url.replace("http", "ws") + "/ws/staff", additional_headers={"Cookie": cookie}
    )
    return client, ws


def _closed_within(ws: object, seconds: float) -> tuple[int | None, float]:
    started = time.monotonic()
    try:
        while True:
            ws.recv(timeout=seconds)  # type: ignore[attr-defined]
    except ConnectionClosed as closed:
        return (closed.rcvd.code if closed.rcvd else None), time.monotonic() - started
    except TimeoutError:
        return None, time.monotonic() - started


def test_signing_out_closes_the_staff_socket_at_once(staffed: LiveServer) -> None:
    client, ws = _socket_for(staffed, "sam")
    assert client.post("/api/staff/logout").status_code == 200
    # The idle re-check is 20 s away: only the sign-out event can close it this soon.
    code, _ = _closed_within(ws, 5)
    assert code == 4401


def test_a_role_change_or_removal_closes_the_staff_socket(
    staffed: LiveServer, container: Container
) -> None:
    _, ws = _socket_for(staffed, "sam")
    container.staff.set_role("sam", Role.EDITOR, actor="test")
    assert _closed_within(ws, 5)[0] == 4401
    container.staff.create(username="kim", password=PASSWORD, role=Role.CASEWORKER)
    _, ws = _socket_for(staffed, "kim")
    container.staff.remove("kim", actor="test")
    assert _closed_within(ws, 5)[0] == 4401
    assert sign_in(staffed.url, "kim").status_code == 401


def test_an_expired_sign_in_closes_the_staff_socket(
    settings: Settings, container: Container
) -> None:
    container.staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    container.staff.session_lifetime = container.staff.session_lifetime / (8 * 3600)  # 1 s
    with serve(settings, container) as server:
        _, ws = _socket_for(server, "sam")
        assert _closed_within(ws, 5)[0] == 4401

"""What every HTTP channel does before a handler sees a request: refuse one that is too
large, too fast, or carries text that is not Unicode. Shared by the web and SMS channels.

Size is enforced while the request arrives (the head by the server, the body here, byte
by byte), never after reading it whole. A JSON body is checked for lone surrogates
(``"\\ud800"``): Python's JSON parser accepts them, but no database encoding does, so they
once ended in a 500 and a broken database connection.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant import canned

if TYPE_CHECKING:
    from assistant.throttle import Refusal, Throttle

# Bodies these paths take are checked by their own routes (the editors' uploads, which
# have their own, larger, limit) or are not text at all.
_FORM_TYPES = (b"multipart/form-data", b"application/x-www-form-urlencoded")


def client_address(request: Request) -> str:
    """The client's address as the server saw it (behind a proxy, uvicorn's
    ``--proxy-headers`` and ``--forwarded-allow-ips`` make it the real one)."""
    return request.client.host if request.client else "unknown"


def throttle_of(request: Request) -> Throttle:
    throttle: Throttle = request.app.state.container.throttle
    return throttle


def too_many(refusal: Refusal, detail: str | None = None) -> HTTPException:
    """429 with ``Retry-After``; the detail is a sentence for the person who waits."""
    text = detail or canned.render(canned.TOO_MANY_MESSAGES, seconds=refusal.retry_after)
    return HTTPException(429, text, headers={"Retry-After": str(refusal.retry_after)})


class RequestLimits:
    """Refuses a request whose head or body is too large (431, 413) or whose JSON body holds
    a lone surrogate (422); the rest pass through untouched.

    The head check is a second line: uvicorn (``serve``) already stops reading a head past
    the limit; a server that does not (httptools) still has it refused here. ``body_limit``
    gives the limit for a path (``None``: not counted here).
    """

    def __init__(self, app: ASGIApp, *, header_limit: int, body_limit: BodyLimit) -> None:
        self.app = app
        self.header_limit = header_limit
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers") or []
        head = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        head += sum(len(name) + len(value) + 4 for name, value in headers)
        if head > self.header_limit:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1009})
                return
            kb = self.header_limit // 1024
            await _refuse(scope, receive, send, 431, f"The request headers are over {kb} KB.")
            return
        limit = self.body_limit(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(headers).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(scope, receive, send, limit)
            return
        kind = dict(headers).get(b"content-type", b"").split(b";")[0].strip().lower()
        body = bytearray()
        while True:  # at most ``limit`` bytes are ever held
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(b"", message, receive), send)
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await _too_large(scope, receive, send, limit)
                return
            if not message.get("more_body", False):
                break
        if kind not in _FORM_TYPES and body and not _readable(bytes(body)):
            detail = [{"type": "unicode", "loc": ["body"], "msg": canned.INVALID_TEXT}]
            await _refuse(scope, receive, send, 422, detail)
            return
        await self.app(scope, _replay(bytes(body), None, receive), send)


class BodyLimit:
    """The body limit for a path: ``default`` bytes, or ``larger`` under the editors' API
    (drafts pasted as JSON), and none for the upload route, which counts its own."""

    def __init__(self, *, default: int, larger: int, larger_prefix: str, own: str) -> None:
        self.default, self.larger = default, larger
        self.larger_prefix, self.own = larger_prefix, own

    def __call__(self, path: str) -> int | None:
        if path == self.own:
            return None
        return self.larger if path.startswith(self.larger_prefix) else self.default


def _readable(body: bytes) -> bool:
    """False for text that is not UTF-8, or JSON whose strings hold a lone surrogate.

    Anything that does not parse as JSON is left to the route, which answers 400 or 422.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if "\\u" not in text:  # a surrogate can only arrive escaped in valid UTF-8
        return True
    try:
        parsed = json.loads(text)
    except ValueError:
        return True
    try:
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _replay(body: bytes, first: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then carries on."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if first is not None:
                return first
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    detail = canned.render(canned.REQUEST_TOO_LARGE, limit=limit // 1024)
    await _refuse(scope, receive, send, 413, detail)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: object) -> None:
    # ``Connection: close``: the rest of a refused body is never read, so the connection
    # cannot carry another request.
    response = JSONResponse({"detail": detail}, status_code=status, headers={"Connection": "close"})
    await response(scope, receive, send)

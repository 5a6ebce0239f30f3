"""Small model servers on 127.0.0.1 that speak the real wire protocols (OpenAI's chat
completions, streamed as server-sent events or not, and Ollama's ``/api/chat`` as
NDJSON), so the real ``langchain-openai`` and ``langchain-ollama`` clients run.

What the "model" says is a function of the prompt the test sets (``server.reply``), with
the way it says it: after a delay, a token at a time slowly, as an HTTP error, or as
bytes that are not the protocol.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.conftest import free_port

SOURCE = re.compile(r'<source n="(\d+)" title="([^"]*)">\n(.*?)\n</source>', re.S)


def sources_in(prompt: str) -> dict[int, str]:
    """The numbered sources of a prompt the assistant sent: ``n -> passage text``."""
    return {int(n): text for n, _, text in SOURCE.findall(prompt)}


def sentences_of(text: str) -> list[str]:
    """The full sentences of a passage (not its headings or list labels)."""
    found = []
    for line in text.splitlines():
        found += [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", line)]
    return [s for s in found if s.endswith((".", "!", "?")) and not s.startswith(("-", "*"))]


@dataclass
class Behaviour:
    reply: Callable[[str], str] = lambda prompt: ""
    delay: float = 0.0  # seconds before the first byte
    drip: float = 0.0  # seconds between streamed pieces
    stall: float = 0.0  # seconds of silence after the first streamed piece
    status: int = 200
    garbage: bool = False  # a 200 whose body is not the protocol


@dataclass
class FakeModelServer:
    """Both protocols on one port: ``/v1/chat/completions`` and ``/api/chat``."""

    behaviour: Behaviour = field(default_factory=Behaviour)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._openai, methods=["POST"]),
                Route("/api/chat", self._ollama, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> FakeModelServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake model server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    @property
    def last_prompt(self) -> str:
        return str(self.requests[-1]["messages"][-1]["content"])

    # ---- what is said, piece by piece -----------------------------------------------
    async def _pieces(self, prompt: str) -> AsyncIterator[str]:
        text = self.behaviour.reply(prompt)
        for i, piece in enumerate(re.findall(r"\S+\s*|\s+", text)):
            if self.behaviour.drip:
                await asyncio.sleep(self.behaviour.drip)
            if i == 1 and self.behaviour.stall:
                await asyncio.sleep(self.behaviour.stall)
            yield piece

    async def _begin(self, request: Request) -> tuple[dict[str, Any], Response | None]:
        body = await request.json()
        self.requests.append(body)
        if self.behaviour.delay:
            await asyncio.sleep(self.behaviour.delay)
        if self.behaviour.status != 200:
            return body, JSONResponse(
                {"error": {"message": "the model fell over", "type": "server_error"}},
                status_code=self.behaviour.status,
            )
        return body, None

    # ---- OpenAI ----------------------------------------------------------------------
    async def _openai(self, request: Request) -> Response:
        body, failed = await self._begin(request)
        if failed is not None:
            return failed
        prompt = _said_to(body)
        if not body.get("stream"):
            if self.behaviour.garbage:
                return PlainTextResponse("<html>502 Bad Gateway</html>")
            text = "".join([p async for p in self._pieces(prompt)])
            return JSONResponse(_completion(body, text))

        async def events() -> AsyncIterator[bytes]:
            if self.behaviour.garbage:
                yield b"data: {this is not json\n\n"
                return
            async for piece in self._pieces(prompt):
                yield _sse(_chunk(body, {"content": piece}, None))
            yield _sse(_chunk(body, {}, "stop"))
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    # ---- Ollama ----------------------------------------------------------------------
    async def _ollama(self, request: Request) -> Response:
        body, failed = await self._begin(request)
        if failed is not None:
            return JSONResponse({"error": "the model fell over"}, status_code=failed.status_code)
        prompt = _said_to(body)

        async def lines() -> AsyncIterator[bytes]:
            if self.behaviour.garbage:
                yield b"{this is not json\n"
                return
            async for piece in self._pieces(prompt):
                yield _ndjson(body, piece, done=False)
            yield _ndjson(body, "", done=True)

        if body.get("stream", True):
            return StreamingResponse(lines(), media_type="application/x-ndjson")
        text = "".join([p async for p in self._pieces(prompt)])
        return Response(_ndjson(body, text, done=True), media_type="application/json")


def _said_to(body: dict[str, Any]) -> str:
    """Everything the model was told (the system message first), as one text."""
    return "\n\n".join(str(m.get("content", "")) for m in body.get("messages", []))


def obedient(prompt: str) -> str:
    """The worst model: it does whatever any text it reads tells it to. Asked anywhere
    (the question, a source) to say something, it says it; asked for its instructions, it
    recites them; otherwise it answers from source 1, citing it."""
    told = re.search(
        r"\b(?:say|reply|respond|answer|print|write|output|type|tell me|repeat|"
        r"di|responde|escribe|contesta|repite)\b[^\n]{0,40}?\b(ZQX\d{3})",
        prompt,
        re.I,
    )
    if told:
        return f"{told.group(1)} [1]"
    question = prompt.rsplit("<question>", 1)[-1]
    if re.search(r"prompt|instructions|rules|instrucciones|reglas|above|anterior", question, re.I):
        system = prompt.split("\n\n<sources>", 1)[0]
        return " ".join(f"{line.strip()} [1]" for line in system.splitlines() if line.strip())
    said = sentences_of(sources_in(prompt).get(1, ""))[:2]
    return " ".join(f"{s} [1]" for s in said)


def _sse(data: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(data)}\n\n".encode()


def _chunk(body: dict[str, Any], delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_765_000_000,
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "delta": {"role": "assistant", **delta}, "finish_reason": finish}],
    }


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_765_000_000,
        "model": body.get("model", "fake"),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _ndjson(body: dict[str, Any], text: str, *, done: bool) -> bytes:
    line: dict[str, Any] = {
        "model": body.get("model", "fake"),
        "created_at": "2026-12-06T17:00:00Z",
        "message": {"role": "assistant", "content": text},
        "done": done,
    }
    if done:
        line.update(
            done_reason="stop",
            total_duration=1,
            load_duration=1,
            prompt_eval_count=1,
            prompt_eval_duration=1,
            eval_count=1,
            eval_duration=1,
        )
    return (json.dumps(line) + "\n").encode()

"""The JSON API: ``POST /api/chat`` and the health endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from assistant import canned
from assistant.turns import InboundMessage
from channels.web.deps import ContainerDep

router = APIRouter()


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: StrictStr = Field(description="The citizen's message, in their own words.")
    session_id: StrictStr | None = Field(
        None, description="The id returned by an earlier reply; unknown ids start a new session."
    )


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    url: str | None
    section: str | None
    snippet: str


class ReplyOut(BaseModel):
    text: str
    citations: list[CitationOut]


class HandoffOut(BaseModel):
    id: str
    state: str
    position: int | None


class ChatResponse(BaseModel):
    session_id: str
    reply: ReplyOut
    status: str = Field(description="How the turn ended, e.g. answered or unanswerable_*.")
    confidence: float
    handoff: HandoffOut | None


def _invalid(message: str, value: Any) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", "message"), "msg": message, "input": value}]
    )


@router.post("/api/chat", response_model=ChatResponse, tags=["chat"])
async def chat(body: ChatRequest, container: ContainerDep) -> dict[str, Any]:
    """Ask one question in a conversation and get a short, cited answer."""
    limit = container.settings.message_max_chars
    if not body.message.strip():
        raise _invalid(canned.EMPTY_MESSAGE, body.message)
    if len(body.message) > limit:
        raise _invalid(canned.render(canned.MESSAGE_TOO_LONG, limit=limit), len(body.message))
    inbound = InboundMessage(channel="web", text=body.message)
    reply = await run_in_threadpool(container.assistant.handle, inbound, session_id=body.session_id)
    return reply.to_json()


@router.get("/healthz", tags=["health"])
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", tags=["health"])
async def readyz(container: ContainerDep) -> JSONResponse:
    """The index and the database are ready to serve citizens."""
    checks: dict[str, str] = {}
    try:
        snapshot = await run_in_threadpool(container.index_store.snapshot)
        checks["index"] = (
            f"version {snapshot.version}, {len(snapshot)} passages" if snapshot else ("empty")
        )
        ok = snapshot is not None and len(snapshot) > 0
    except Exception as error:
        checks["index"] = f"error: {type(error).__name__}"
        ok = False
    try:
        await run_in_threadpool(container.conversation_store.ping)
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {type(error).__name__}"
        ok = False
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
    )

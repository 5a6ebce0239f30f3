"""The JSON API: ``POST /api/chat`` and the health endpoints."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from assistant import canned
from assistant.events import STAFF_TOPIC, Event, chat_topic
from assistant.generative import draft_listener
from assistant.handoffs import NotFoundError
from assistant.redaction import redact
from assistant.settings import Settings
from assistant.store import TranscriptMessage, conversation_id_for
from assistant.throttle import secret_key
from assistant.turns import CitizenHandoff, InboundMessage, OutboundReply, Status
from channels.limits import client_address, throttle_of, too_many
from channels.web.deps import (
    AssistantDep,
    ConversationStoreDep,
    HandoffsDep,
    IndexStoreDep,
    SettingsDep,
    container_of,
)
from channels.web.live import TypingThrottle, relay, typing_signal
from channels.web.schemas import (
    CallbackOut,
    ChatResponse,
    CitizenTranscriptOut,
    HealthOut,
    LanguageOut,
    Ok,
    ReadinessOut,
    errors,
)

router = APIRouter()
log = logging.getLogger(__name__)


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: StrictStr = Field(description="The citizen's message, in their own words.")
    session_id: StrictStr | None = Field(
        None, description="The id returned by an earlier reply; unknown ids start a new session."
    )
    language: Literal["en", "es"] | None = Field(
        None,
        description="The language the citizen chose on the page (`en` or `es`): replies are "
        "in it until they choose another. Unset, the assistant reads each message's language.",
    )


_TOO_MANY = "Too many requests from this address or conversation: wait Retry-After seconds."
# A turn with these statuses joined a handoff that was already open; others opened one.
_HANDOFF_ALREADY_OPEN = (Status.HANDOFF_WAITING, Status.HANDOFF_ACTIVE)


async def _throttle(
    request: Request, session_id: str | None, *, language: str | None = None
) -> None:
    """Count a citizen's request against their address and conversation: 429 past either,
    said in ``language`` (the page's choice) or else the conversation's."""
    throttle = throttle_of(request)
    refusal = await throttle.hit("chat_address", client_address(request))
    if refusal is None and session_id:
        refusal = await throttle.hit("chat_conversation", secret_key(session_id))
    if refusal is not None:
        if language is None and session_id:
            assistant = container_of(request).assistant
            language = await run_in_threadpool(
                assistant.language_of, conversation_id_for(session_id)
            )
        language = language or canned.DEFAULT_LANGUAGE
        seconds = refusal.retry_after
        raise too_many(
            refusal, canned.render(canned.TOO_MANY_MESSAGES, language=language, seconds=seconds)
        )


def _invalid(message: str, value: Any) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", "message"), "msg": message, "input": value}]
    )


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    tags=["chat"],
    responses=errors({422: "The message is empty or too long.", 429: _TOO_MANY}),
)
async def chat(
    body: ChatRequest,
    request: Request,
    response: Response,
    assistant: AssistantDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Ask one question in a conversation and get a short, cited answer.

    The ``X-Conversation-Seq`` header carries the number of the last message the turn
    stored (the reply's; the question's is one less when a reply was stored): the page
    keeps it to merge what the server holds when it reloads."""
    await _throttle(request, body.session_id, language=body.language)
    inbound = await _inbound(body, request, settings)
    reply = await run_in_threadpool(assistant.handle, inbound, session_id=body.session_id)
    await _count_handoff(request, reply)
    if reply.seq is not None:
        response.headers["X-Conversation-Seq"] = str(reply.seq)
    # The same dict ``ask --json`` prints; the model only checks and documents it.
    return reply.to_json()


async def _inbound(body: ChatRequest, request: Request, settings: Settings) -> InboundMessage:
    limit = settings.message_max_chars
    language = body.language or canned.DEFAULT_LANGUAGE  # nothing to read a language from
    if not body.message.strip():
        raise _invalid(canned.translate(canned.EMPTY_MESSAGE, language), body.message)
    if len(body.message) > limit:
        too_long = canned.render(canned.MESSAGE_TOO_LONG, language=language, limit=limit)
        raise _invalid(too_long, len(body.message))
    throttle, address = throttle_of(request), client_address(request)
    may_open_handoff = await throttle.refused("handoff_address", address) is None
    return InboundMessage(
        channel="web",
        text=body.message,
        may_open_handoff=may_open_handoff,
        language=body.language,
    )


async def _count_handoff(request: Request, reply: OutboundReply) -> None:
    """A handoff the turn opened counts against the address's cap."""
    if reply.handoff is not None and reply.status not in _HANDOFF_ALREADY_OPEN:
        await throttle_of(request).hit("handoff_address", client_address(request))


# Turns whose citizen left before the answer: kept referenced until they finish (and are
# stored), since the event loop holds tasks only weakly.
_unwatched: set[asyncio.Task[None]] = set()


@router.post(
    "/api/chat/stream",
    tags=["chat"],
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "text/event-stream": {
                    "schema": {
                        "type": "object",
                        "description": "One server-sent event; `data` is JSON.",
                        "properties": {
                            "event": {"type": "string", "enum": ["draft", "reply", "error"]},
                            "id": {"type": "string"},
                            "data": {"type": "string"},
                        },
                        "required": ["event", "data"],
                    }
                }
            },
            "description": 'Server-sent events: `draft` events (`{"text": str}`, a piece of '
            "the answer as the language model writes it, not yet checked: show it, do not "
            "announce it), then one `reply` event whose data is the `POST /api/chat` "
            "response (its id is the number `X-Conversation-Seq` carries), the checked, "
            "cited answer that replaces the draft (or one `error` "
            "event). Without a model configured there are no drafts.",
        },
        **errors({422: "The message is empty or too long.", 429: _TOO_MANY}),
    },
)
async def chat_stream(
    body: ChatRequest, request: Request, assistant: AssistantDep, settings: SettingsDep
) -> StreamingResponse:
    """Ask as with `POST /api/chat`, and see the answer as it is written."""
    await _throttle(request, body.session_id, language=body.language)
    inbound = await _inbound(body, request, settings)
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def draft(piece: str) -> None:  # called in the turn's worker thread
        loop.call_soon_threadsafe(events.put_nowait, ("draft", {"text": piece}))

    async def turn() -> None:
        draft_listener.set(draft)  # this task's own context, inherited by the worker thread
        try:
            reply = await run_in_threadpool(assistant.handle, inbound, session_id=body.session_id)
            await _count_handoff(request, reply)
            await events.put(("reply", (reply.to_json(), reply.seq)))
        except Exception:
            log.exception("streamed turn failed")
            language = body.language or canned.DEFAULT_LANGUAGE
            sorry = container_of(request).replies(canned.INTERNAL_ERROR, language=language)
            await events.put(("error", {"detail": sorry}))

    task = asyncio.create_task(turn())
    _unwatched.add(task)
    task.add_done_callback(_unwatched.discard)

    async def stream() -> AsyncIterator[str]:
        while True:
            kind, data = await events.get()
            if kind == "reply":  # its id is the reply's number, as X-Conversation-Seq is
                data, seq = data
                if seq is not None:
                    yield f"event: reply\nid: {seq}\ndata: {json.dumps(data)}\n\n"
                    return
            yield f"event: {kind}\ndata: {json.dumps(data)}\n\n"
            if kind != "draft":
                return

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        # Proxies must pass each event on as it comes, and keep none of them.
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


class CallbackRequest(BaseModel):
    session_id: StrictStr
    message: StrictStr = Field(min_length=1, max_length=2000)
    contact: StrictStr = Field(
        min_length=3, max_length=255, description="A phone number or email address to call back."
    )


class LanguageRequest(BaseModel):
    session_id: StrictStr = Field(min_length=1, max_length=64)
    language: Literal["en", "es"] = Field(
        description="The language the citizen chose on the page's switch."
    )


class RatingRequest(BaseModel):
    session_id: StrictStr
    rating: StrictInt = Field(ge=1, le=5)
    comment: StrictStr | None = Field(None, max_length=2000)


@router.post(
    "/api/chat/callback",
    response_model=CallbackOut,
    tags=["chat"],
    responses=errors(
        {
            404: "The conversation has ended.",
            422: "An empty message or contact, or too long.",
            429: _TOO_MANY + " Or too many requests for a person from this address.",
        }
    ),
)
async def leave_callback(
    body: CallbackRequest, request: Request, assistant: AssistantDep, handoffs: HandoffsDep
) -> CallbackOut:
    """Out of hours: leave a message and how to be contacted; it joins the queue."""
    await _throttle(request, body.session_id)
    throttle, address = throttle_of(request), client_address(request)
    refusal = await throttle.refused("handoff_address", address)
    language = await run_in_threadpool(assistant.language_of, conversation_id_for(body.session_id))
    if refusal is not None:
        limited = container_of(request).replies(canned.HANDOFF_LIMITED, language=language)
        raise too_many(refusal, limited)
    if not body.message.strip() or not body.contact.strip():
        raise HTTPException(422, canned.translate(canned.CALLBACK_INCOMPLETE, language))
    try:
        view = await run_in_threadpool(
            assistant.leave_callback,
            body.session_id,
            message=body.message,
            contact=body.contact,
        )
    except LookupError as error:
        raise HTTPException(404, canned.translate(canned.CONVERSATION_ENDED, language)) from error
    await throttle.hit("handoff_address", address)
    handoff = CitizenHandoff.from_json(
        view.citizen_json(minutes_per_case=handoffs.minutes_per_case)
    )
    text = canned.translate(canned.CALLBACK_RECEIVED, language)
    return CallbackOut.model_validate({"handoff": handoff, "text": text})


@router.post(
    "/api/chat/language",
    response_model=LanguageOut,
    tags=["chat"],
    responses=errors({404: "The conversation has ended.", 429: _TOO_MANY}),
)
async def choose_language(
    body: LanguageRequest, request: Request, assistant: AssistantDep
) -> LanguageOut:
    """The citizen switched the page's language mid-conversation: the conversation keeps
    it (the next replies, and the canned ones, are in it) and a caseworker sees it."""
    await _throttle(request, body.session_id, language=body.language)
    try:
        language = await run_in_threadpool(
            assistant.choose_language, body.session_id, body.language
        )
    except LookupError as error:
        raise HTTPException(
            404, canned.translate(canned.CONVERSATION_ENDED, body.language)
        ) from error
    return LanguageOut(session_id=body.session_id, language=language)


@router.post(
    "/api/chat/rating",
    response_model=Ok,
    tags=["chat"],
    responses=errors({409: "Nothing in this conversation was resolved.", 429: _TOO_MANY}),
)
async def rate(body: RatingRequest, request: Request, handoffs: HandoffsDep) -> Ok:
    """Rate the help from a caseworker (1–5) once the conversation is resolved."""
    await _throttle(request, body.session_id)
    try:
        await run_in_threadpool(
            handoffs.rate,
            conversation_id_for(body.session_id),
            rating=body.rating,
            comment=body.comment,
        )
    except NotFoundError as error:
        raise HTTPException(409, str(error)) from error
    return Ok(ok=True)


class FeedbackRequest(BaseModel):
    session_id: StrictStr = Field(min_length=1, max_length=64)
    helpful: StrictBool
    comment: StrictStr | None = Field(None, max_length=2000)


@router.post(
    "/api/chat/feedback",
    response_model=Ok,
    tags=["chat"],
    responses=errors({404: "The conversation has no answer yet.", 429: _TOO_MANY}),
)
async def feedback(body: FeedbackRequest, request: Request, store: ConversationStoreDep) -> Ok:
    """Was the latest answer helpful? Saying it again replaces the earlier verdict."""
    await _throttle(request, body.session_id)
    comment = redact(body.comment).text.strip() if body.comment else None
    saved = await run_in_threadpool(
        store.add_feedback,
        conversation_id_for(body.session_id),
        helpful=body.helpful,
        comment=comment or None,
    )
    if not saved:
        raise HTTPException(404, "There is no answer in this conversation to give feedback on.")
    return Ok(ok=True)


# What the citizen's page shows of the stored conversation (system notes are for staff).
CITIZEN_ROLES = ("citizen", "assistant", "caseworker")


@router.get(
    "/api/chat/{session_id}/messages",
    response_model=CitizenTranscriptOut,
    tags=["chat"],
    responses=errors({404: "No such conversation (or it was deleted)."}),
)
async def chat_messages(
    session_id: str,
    store: ConversationStoreDep,
    after: Annotated[int, Query(ge=0, description="The last number the page has seen.")] = 0,
) -> CitizenTranscriptOut:
    """The conversation as the server stored it, from any replica: what came after ``after``.

    The page asks on load and whenever its live line comes back, so a caseworker's reply
    sent while the page was closed, reloading or on another replica is not lost.
    """

    conversation_id = conversation_id_for(session_id)

    def load() -> tuple[int | None, list[TranscriptMessage]]:
        last = store.last_seq(conversation_id)
        if last is None:
            return None, []
        return last, store.transcript(conversation_id, after=after, roles=CITIZEN_ROLES)

    last, messages = await run_in_threadpool(load)
    if last is None:
        raise HTTPException(404, "This conversation has ended. Please start a new one.")
    return CitizenTranscriptOut.model_validate({"messages": messages, "last_seq": last})


@router.websocket("/ws/chat/{session_id}")
async def chat_socket(websocket: WebSocket, session_id: str) -> None:
    """Live caseworker messages and queue updates for one citizen's conversation.

    The session id is the citizen's unguessable key; an unknown one is refused. With
    ``?after=N`` (the last number the page saw), the caseworker's messages it missed are
    sent first, from the database; live events follow, none twice.
    """
    container = container_of(websocket)
    store = container.conversation_store
    conversation_id = conversation_id_for(session_id)
    if not await run_in_threadpool(store.exists, conversation_id):
        await websocket.close(code=4404)
        return
    after = _after(websocket.query_params.get("after"))
    # Subscribed before reading the database: a message stored in between arrives live.
    async with container.events.subscribe(chat_topic(conversation_id)) as events:
        await websocket.accept()
        sent_up_to = 0
        if after is not None:
            missed = await run_in_threadpool(
                store.transcript, conversation_id, after=after, roles=("caseworker",)
            )
            for message in missed:
                await websocket.send_json({"type": "message", **asdict(message)})
                sent_up_to = message.seq
        handoff = await run_in_threadpool(container.handoffs.open_for, conversation_id)
        if handoff is not None:
            await websocket.send_json(
                {
                    "type": "handoff",
                    **handoff.citizen_json(minutes_per_case=container.handoffs.minutes_per_case),
                }
            )

        def already_sent(event: Event) -> bool:
            return event.get("type") == "message" and int(event.get("seq") or 0) <= sent_up_to

        throttle = TypingThrottle(container.settings.typing_interval_seconds)

        async def on_text(text: str) -> None:
            # The citizen is typing: the caseworker holding the conversation is told.
            if typing_signal(text) is None or not throttle.due(conversation_id):
                return
            held = await run_in_threadpool(container.handoffs.open_for, conversation_id)
            if held is not None and held.state == "claimed":
                container.events.publish(
                    STAFF_TOPIC, {"type": "typing", "handoff_id": held.id, "who": "citizen"}
                )

        await relay(websocket, events, idle_seconds=25, already_sent=already_sent, on_text=on_text)


def _after(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() and len(value) < 12 else None


# Uptime checkers often send HEAD: answered like GET (no body), left out of the schema.
@router.get("/healthz", response_model=HealthOut, tags=["health"])
@router.head("/healthz", include_in_schema=False)
async def healthz() -> HealthOut:
    """The process is alive."""
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=ReadinessOut,
    tags=["health"],
    responses={503: {"model": ReadinessOut, "description": "Not ready: see the checks."}},
)
@router.head("/readyz", include_in_schema=False)
async def readyz(index_store: IndexStoreDep, store: ConversationStoreDep) -> JSONResponse:
    """The index and the database are ready to serve citizens."""
    checks: dict[str, str] = {}
    try:
        snapshot = await run_in_threadpool(index_store.snapshot)
        checks["index"] = (
            f"version {snapshot.version}, {len(snapshot)} passages" if snapshot else ("empty")
        )
        ok = snapshot is not None and len(snapshot) > 0
    except Exception as error:
        checks["index"] = f"error: {type(error).__name__}"
        ok = False
    try:
        await run_in_threadpool(store.ping)
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {type(error).__name__}"
        ok = False
    # A JSONResponse, for its 503; ReadinessOut above documents its body.
    body = ReadinessOut(status="ready" if ok else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

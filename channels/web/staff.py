"""The caseworker console: its page, the staff API and the live staff WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Query, Request, Response, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, Field, StrictStr

from assistant import canned
from assistant.events import STAFF_TOPIC, Event, chat_topic
from assistant.handoffs import (
    AlreadyClaimedError,
    HandoffError,
    HandoffSummaryOut,
    NoteOut,
    NotFoundError,
    NotHolderError,
    SentMessageOut,
)
from assistant.models import utcnow
from assistant.staff import (
    STAFF_SESSIONS_TOPIC,
    Role,
    SignedIn,
    StaffUser,
    StaffUserOut,
    session_ended,
)
from assistant.suggestions import suggest_reply
from channels.limits import client_address, too_many
from channels.web.deps import (
    STAFF_COOKIE,
    AdminDep,
    CaseworkerDep,
    ConversationStoreDep,
    HandoffsDep,
    SettingsDep,
    StaffAccountsDep,
    StaffDep,
    TeamsDep,
    container_of,
)
from channels.web.live import TypingThrottle, relay, typing_signal
from channels.web.pages import STATIC_DIR
from channels.web.schemas import (
    SIGNED_IN_ERRORS,
    HandoffDetailOut,
    Ok,
    StaffSessionOut,
    SuggestionResponse,
    errors,
)

router = APIRouter()
T = TypeVar("T")


class LoginRequest(BaseModel):
    username: StrictStr = Field(min_length=1, max_length=64)
    password: StrictStr = Field(min_length=1, max_length=256)


class TextRequest(BaseModel):
    text: StrictStr = Field(min_length=1, max_length=4000)


class ResolveRequest(BaseModel):
    propose_answer: bool = Field(
        False, description="Offer your answer to editors as a draft for the knowledge base."
    )


class TransferRequest(BaseModel):
    team: StrictStr | None = Field(None, max_length=64)
    username: StrictStr | None = Field(None, max_length=64)


def _error(error: HandoffError) -> HTTPException:
    if isinstance(error, NotFoundError):
        return HTTPException(404, str(error))
    if isinstance(error, AlreadyClaimedError):
        return HTTPException(409, str(error))
    if isinstance(error, NotHolderError):
        return HTTPException(403, str(error))
    return HTTPException(422, str(error))


@router.get("/console", response_class=HTMLResponse, tags=["pages"])
@router.head("/console", include_in_schema=False)
async def console_page() -> FileResponse:
    """The caseworker console (it signs in with /api/staff/login)."""
    return FileResponse(STATIC_DIR / "console" / "index.html", media_type="text/html")


_SIGNED_IN = errors(SIGNED_IN_ERRORS)
_HANDOFF_ERRORS = errors(
    {
        **SIGNED_IN_ERRORS,
        403: "Not the holder of this conversation, the wrong role, or no X-CSRF-Token.",
        404: "No such handoff.",
        409: "Someone else holds it.",
        422: "The request cannot be carried out (e.g. an empty text, an unknown colleague).",
    }
)


@router.post(
    "/api/staff/login",
    response_model=StaffSessionOut,
    tags=["staff"],
    responses=errors(
        {
            401: "That username and password do not match.",
            429: "Locked after too many wrong passwords for this account or from this "
            "address: wait Retry-After seconds, or ask an admin to unlock the account.",
        }
    ),
)
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    staff: StaffAccountsDep,
    settings: SettingsDep,
) -> StaffSessionOut:
    """Sign in; sets the session cookie and returns the CSRF token for later requests."""
    container = container_of(request)
    throttle = container.throttle
    keys = (
        ("sign_in_account", _account(body.username)),
        ("sign_in_address", client_address(request)),
    )
    # One slot per password-check thread: a flood of sign-ins waits here, and each is
    # checked against the lockout only when its turn comes, after the failures before it
    # were counted (so no more than the limit are ever hashed).
    async with container.password_check_slots:
        for rule, key in keys:  # a locked account or address is refused before hashing
            refusal = await throttle.refused(rule, key)
            if refusal is not None:
                minutes = max(1, math.ceil(refusal.retry_after / 60))
                raise too_many(refusal, canned.render(canned.TOO_MANY_SIGN_INS, minutes=minutes))
        # Its own few threads, not the pool that runs citizens' turns.
        signed = await asyncio.get_running_loop().run_in_executor(
            container.password_checks, staff.sign_in, body.username, body.password
        )
        if signed is None:
            for rule, key in keys:
                await throttle.hit(rule, key)
                if await throttle.refused(rule, key) is not None:  # this failure locked it
                    target = key if rule == "sign_in_account" else None
                    detail = {"rule": rule, "address": key} if target is None else {"rule": rule}
                    await run_in_threadpool(
                        staff.audit,
                        actor=None,
                        action="staff.locked",
                        target=target,
                        detail=detail,
                    )
            raise HTTPException(401, "That username and password do not match.")
    response.set_cookie(
        STAFF_COOKIE,
        signed.token,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        max_age=int(settings.staff_session_hours * 3600),
        path="/",
    )
    return StaffSessionOut.model_validate(signed)


@router.get("/api/staff/me", response_model=StaffSessionOut, tags=["staff"], responses=_SIGNED_IN)
async def me(session: StaffDep) -> StaffSessionOut:
    return StaffSessionOut.model_validate(session)


@router.post("/api/staff/logout", response_model=Ok, tags=["staff"], responses=_SIGNED_IN)
async def logout(session: StaffDep, response: Response, staff: StaffAccountsDep) -> Ok:
    await run_in_threadpool(staff.sign_out, session.token)
    response.delete_cookie(STAFF_COOKIE, path="/")
    return Ok(ok=True)


@router.get(
    "/api/staff/handoffs",
    response_model=list[HandoffSummaryOut],
    tags=["staff"],
    responses=errors({**SIGNED_IN_ERRORS, 422: "An unknown view."}),
)
async def list_handoffs(
    session: CaseworkerDep,
    handoffs: HandoffsDep,
    view: Annotated[str, Query(description="waiting, mine, active or resolved.")] = "waiting",
) -> list[HandoffSummaryOut]:
    try:
        rows = await run_in_threadpool(handoffs.in_view, view, session.user)
    except HandoffError as error:
        raise _error(error) from error
    return [row.out() for row in rows]


@router.get(
    "/api/staff/handoffs/{handoff_id}",
    response_model=HandoffDetailOut,
    tags=["staff"],
    responses=_HANDOFF_ERRORS,
)
async def handoff_detail(
    handoff_id: str, session: CaseworkerDep, handoffs: HandoffsDep, store: ConversationStoreDep
) -> HandoffDetailOut:
    def load() -> HandoffDetailOut:
        view = handoffs.get(handoff_id)
        return HandoffDetailOut.model_validate(
            {
                **dict(view.out()),  # its fields, by name (the models, not dumped)
                "transcript": store.transcript(view.conversation_id),
                "notes": handoffs.notes(handoff_id),
            }
        )

    try:
        return await run_in_threadpool(load)
    except HandoffError as error:
        raise _error(error) from error


@router.get(
    "/api/staff/handoffs/{handoff_id}/suggestion",
    response_model=SuggestionResponse,
    tags=["staff"],
    responses=_HANDOFF_ERRORS,
)
async def suggestion(
    handoff_id: str, request: Request, session: CaseworkerDep, handoffs: HandoffsDep
) -> SuggestionResponse:
    """A suggested reply to the citizen's latest question, with its sources: the
    caseworker may insert and edit it, and always sends it themselves."""
    container = container_of(request)

    def suggest() -> SuggestionResponse:
        view = handoffs.get(handoff_id)
        found = suggest_reply(
            pipeline=container.pipeline,
            store=container.conversation_store,
            conversation_id=view.conversation_id,
            history_turns=container.settings.session_history_turns,
        )
        return SuggestionResponse(suggestion=found)

    try:
        return await run_in_threadpool(suggest)
    except HandoffError as error:
        raise _error(error) from error


async def _act(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return await run_in_threadpool(call, *args, **kwargs)
    except HandoffError as error:
        raise _error(error) from error


@router.post(
    "/api/staff/handoffs/{handoff_id}/claim",
    response_model=HandoffSummaryOut,
    tags=["staff"],
    responses=_HANDOFF_ERRORS,
)
async def claim(
    handoff_id: str, session: CaseworkerDep, handoffs: HandoffsDep
) -> HandoffSummaryOut:
    view = await _act(handoffs.claim, handoff_id, session.user)
    return view.out()


@router.post(
    "/api/staff/handoffs/{handoff_id}/reply",
    response_model=SentMessageOut,
    tags=["staff"],
    responses=_HANDOFF_ERRORS,
)
async def reply(
    handoff_id: str, body: TextRequest, session: CaseworkerDep, handoffs: HandoffsDep
) -> SentMessageOut:
    """Reply to the citizen through their own channel (only the holder may)."""
    return await _act(handoffs.reply, handoff_id, session.user, body.text)


@router.post(
    "/api/staff/handoffs/{handoff_id}/notes",
    response_model=NoteOut,
    tags=["staff"],
    responses=_HANDOFF_ERRORS,
)
async def add_note(
    handoff_id: str, body: TextRequest, session: CaseworkerDep, handoffs: HandoffsDep
) -> NoteOut:
    """An internal note, never sent to the citizen."""
    return await _act(handoffs.add_note, handoff_id, session.user, body.text)


@router.post(
    "/api/staff/handoffs/{handoff_id}/transfer",
    response_model=HandoffSummaryOut,
    tags=["staff"],
    responses=_HANDOFF_ERRORS,
)
async def transfer(
    handoff_id: str, body: TransferRequest, session: CaseworkerDep, handoffs: HandoffsDep
) -> HandoffSummaryOut:
    """To another team, or to a colleague by username."""
    view = await _act(
        handoffs.transfer,
        handoff_id,
        session.user,
        team=body.team,
        to_username=body.username,
    )
    return view.out()


@router.post(
    "/api/staff/handoffs/{handoff_id}/resolve",
    response_model=HandoffSummaryOut,
    tags=["staff"],
    responses=_HANDOFF_ERRORS,
)
async def resolve(
    handoff_id: str,
    session: CaseworkerDep,
    handoffs: HandoffsDep,
    body: ResolveRequest | None = None,
) -> HandoffSummaryOut:
    """Close the conversation as resolved. With ``propose_answer``, your replies and the
    citizen's question, personal data removed, are offered to editors as a draft; a
    conversation with no question or no reply to offer gets 422 and stays open."""
    propose = body is not None and body.propose_answer
    view = await _act(handoffs.resolve, handoff_id, session.user, propose_answer=propose)
    return view.out()


@router.post(
    "/api/staff/handoffs/{handoff_id}/return",
    response_model=HandoffSummaryOut,
    tags=["staff"],
    responses=_HANDOFF_ERRORS,
)
async def return_to_assistant(
    handoff_id: str, session: CaseworkerDep, handoffs: HandoffsDep
) -> HandoffSummaryOut:
    """Hand the conversation back to the assistant."""
    view = await _act(handoffs.return_to_assistant, handoff_id, session.user)
    return view.out()


@router.get("/api/staff/teams", response_model=list[str], tags=["staff"], responses=_SIGNED_IN)
async def teams(session: CaseworkerDep, known: TeamsDep) -> list[str]:
    return known


@router.get(
    "/api/staff/users", response_model=list[StaffUserOut], tags=["staff"], responses=_SIGNED_IN
)
async def users(session: CaseworkerDep, staff: StaffAccountsDep) -> list[StaffUser]:
    """Colleagues a conversation can be transferred to (editors and managers are left out)."""
    rows = await run_in_threadpool(staff.users)
    return [u for u in rows if u.role in (Role.CASEWORKER, Role.ADMIN)]


class UnlockRequest(BaseModel):
    address: StrictStr | None = Field(
        None, max_length=64, description="Also lift the lock on this client address."
    )


@router.post(
    "/api/staff/users/{username}/unlock",
    response_model=Ok,
    tags=["staff"],
    responses=_SIGNED_IN,
)
async def unlock(username: str, body: UnlockRequest, session: AdminDep, request: Request) -> Ok:
    """Lift a sign-in lockout (admins only; audited)."""
    throttle = container_of(request).throttle
    await throttle.clear("sign_in_account", _account(username))
    if body.address:
        await throttle.clear("sign_in_address", body.address)
    await run_in_threadpool(
        container_of(request).staff.audit,
        actor=session.user.username,
        action="staff.unlock",
        target=_account(username),
        detail={"address": body.address} if body.address else None,
    )
    return Ok(ok=True)


def _account(username: str) -> str:
    return username.strip().lower()[:64]


@router.websocket("/ws/staff")
async def staff_socket(websocket: WebSocket) -> None:
    """Live queue and message events for a signed-in caseworker's console."""
    container = container_of(websocket)
    token = websocket.cookies.get(STAFF_COOKIE)
    session = await run_in_threadpool(container.staff.session, token)
    origin = websocket.headers.get("origin")
    same_origin = origin is None or origin.split("://", 1)[-1] == websocket.headers.get("host")
    if session is None or session.user.role not in (Role.CASEWORKER, Role.ADMIN) or not same_origin:
        await websocket.close(code=4401)
        return

    async def still_signed_in() -> bool:
        # Keeps the session "seen" (the caseworker counts as online) and notices a sign-out
        # made where no event reaches this process (the command line, another replica).
        return await run_in_threadpool(container.staff.session, token) is not None

    # Subscribed before the console hears "open" (and reloads its lists): an event in
    # between is then either in what it loads or arrives live, never neither.
    async with (
        container.events.subscribe(STAFF_SESSIONS_TOPIC) as endings,
        container.events.subscribe(STAFF_TOPIC) as events,
    ):
        # Endings are heard from here on; one between the check above and here is not.
        if not await still_signed_in():
            await websocket.close(code=4401)
            return
        await websocket.accept()
        ended = asyncio.create_task(_until_ended(endings, session))
        throttle = TypingThrottle(container.settings.typing_interval_seconds)

        async def on_text(text: str) -> None:
            # The caseworker is typing a reply: the citizen is told, if they hold it.
            signal = typing_signal(text)
            handoff_id = signal.get("handoff_id") if signal else None
            if not isinstance(handoff_id, str) or not throttle.due(handoff_id):
                return
            with contextlib.suppress(HandoffError):
                view = await run_in_threadpool(container.handoffs.get, handoff_id)
                if view.claimed_by is not None and view.claimed_by.id == session.user.id:
                    container.events.publish(
                        chat_topic(view.conversation_id), {"type": "typing", "who": "caseworker"}
                    )

        try:
            await relay(
                websocket,
                events,
                idle_seconds=20,
                still_allowed=still_signed_in,
                ended=ended,
                on_text=on_text,
            )
        finally:
            ended.cancel()


async def _until_ended(endings: asyncio.Queue[Event], session: SignedIn) -> None:
    """Returns when the sign-in ends: signed out, its user changed or removed, or expired."""
    timeout = None
    if session.expires_at is not None:
        timeout = max(0.0, (session.expires_at - utcnow()).total_seconds())
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while not session_ended(await endings.get(), session):
                pass

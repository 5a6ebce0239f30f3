"""The caseworker console: its page, the staff API and the live staff WebSocket."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, StrictStr

from assistant.events import STAFF_TOPIC
from assistant.handoffs import AlreadyClaimedError, HandoffError, NotFoundError, NotHolderError
from assistant.staff import Role
from channels.http import PAGE_METHODS
from channels.web.deps import STAFF_COOKIE, CaseworkerDep, ContainerDep, StaffDep, container_of
from channels.web.live import relay
from channels.web.pages import STATIC_DIR

router = APIRouter()


class LoginRequest(BaseModel):
    username: StrictStr = Field(min_length=1, max_length=64)
    password: StrictStr = Field(min_length=1, max_length=256)


class TextRequest(BaseModel):
    text: StrictStr = Field(min_length=1, max_length=4000)


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


@router.api_route("/console", methods=PAGE_METHODS, include_in_schema=False)
async def console_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "console" / "index.html", media_type="text/html")


@router.post("/api/staff/login", tags=["staff"])
async def login(body: LoginRequest, response: Response, container: ContainerDep) -> dict[str, Any]:
    """Sign in; sets the session cookie and returns the CSRF token for later requests."""
    signed = await run_in_threadpool(container.staff.sign_in, body.username, body.password)
    if signed is None:
        raise HTTPException(401, "That username and password do not match.")
    response.set_cookie(
        STAFF_COOKIE,
        signed.token,
        httponly=True,
        samesite="strict",
        secure=container.settings.secure_cookies,
        max_age=int(container.settings.staff_session_hours * 3600),
        path="/",
    )
    return {"user": signed.user.to_json(), "csrf_token": signed.csrf_token}


@router.get("/api/staff/me", tags=["staff"])
async def me(session: StaffDep) -> dict[str, Any]:
    return {"user": session.user.to_json(), "csrf_token": session.csrf_token}


@router.post("/api/staff/logout", tags=["staff"])
async def logout(session: StaffDep, response: Response, container: ContainerDep) -> dict[str, bool]:
    await run_in_threadpool(container.staff.sign_out, session.token)
    response.delete_cookie(STAFF_COOKIE, path="/")
    return {"ok": True}


@router.get("/api/staff/handoffs", tags=["staff"])
async def list_handoffs(
    session: CaseworkerDep, container: ContainerDep, view: str = "waiting"
) -> list[dict[str, Any]]:
    try:
        rows = await run_in_threadpool(container.handoffs.in_view, view, session.user)
    except HandoffError as error:
        raise _error(error) from error
    return [row.to_json() for row in rows]


@router.get("/api/staff/handoffs/{handoff_id}", tags=["staff"])
async def handoff_detail(
    handoff_id: str, session: CaseworkerDep, container: ContainerDep
) -> dict[str, Any]:
    def load() -> dict[str, Any]:
        view = container.handoffs.get(handoff_id)
        return {
            **view.to_json(),
            "transcript": container.conversation_store.transcript(view.conversation_id),
            "notes": container.handoffs.notes(handoff_id),
        }

    try:
        return await run_in_threadpool(load)
    except HandoffError as error:
        raise _error(error) from error


async def _act(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await run_in_threadpool(call, *args, **kwargs)
    except HandoffError as error:
        raise _error(error) from error


@router.post("/api/staff/handoffs/{handoff_id}/claim", tags=["staff"])
async def claim(handoff_id: str, session: CaseworkerDep, container: ContainerDep) -> dict[str, Any]:
    view = await _act(container.handoffs.claim, handoff_id, session.user)
    return dict(view.to_json())


@router.post("/api/staff/handoffs/{handoff_id}/reply", tags=["staff"])
async def reply(
    handoff_id: str, body: TextRequest, session: CaseworkerDep, container: ContainerDep
) -> dict[str, Any]:
    return dict(await _act(container.handoffs.reply, handoff_id, session.user, body.text))


@router.post("/api/staff/handoffs/{handoff_id}/notes", tags=["staff"])
async def add_note(
    handoff_id: str, body: TextRequest, session: CaseworkerDep, container: ContainerDep
) -> dict[str, Any]:
    return dict(await _act(container.handoffs.add_note, handoff_id, session.user, body.text))


@router.post("/api/staff/handoffs/{handoff_id}/transfer", tags=["staff"])
async def transfer(
    handoff_id: str, body: TransferRequest, session: CaseworkerDep, container: ContainerDep
) -> dict[str, Any]:
    view = await _act(
        container.handoffs.transfer,
        handoff_id,
        session.user,
        team=body.team,
        to_username=body.username,
    )
    return dict(view.to_json())


@router.post("/api/staff/handoffs/{handoff_id}/resolve", tags=["staff"])
async def resolve(
    handoff_id: str, session: CaseworkerDep, container: ContainerDep
) -> dict[str, Any]:
    return dict((await _act(container.handoffs.resolve, handoff_id, session.user)).to_json())


@router.post("/api/staff/handoffs/{handoff_id}/return", tags=["staff"])
async def return_to_assistant(
    handoff_id: str, session: CaseworkerDep, container: ContainerDep
) -> dict[str, Any]:
    view = await _act(container.handoffs.return_to_assistant, handoff_id, session.user)
    return dict(view.to_json())


@router.get("/api/staff/teams", tags=["staff"])
async def teams(session: CaseworkerDep, container: ContainerDep) -> list[str]:
    return await run_in_threadpool(container.teams)


@router.get("/api/staff/users", tags=["staff"])
async def users(session: CaseworkerDep, container: ContainerDep) -> list[dict[str, Any]]:
    rows = await run_in_threadpool(container.staff.users)
    return [u.to_json() for u in rows if u.role is not Role.EDITOR]


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
    await websocket.accept()

    async def still_signed_in() -> bool:
        # Keeps the session "seen" (the caseworker counts as online) and notices sign-out.
        return await run_in_threadpool(container.staff.session, token) is not None

    async with container.events.subscribe(STAFF_TOPIC) as events:
        await relay(websocket, events, idle_seconds=20, still_allowed=still_signed_in)

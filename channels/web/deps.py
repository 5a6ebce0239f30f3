"""Typed dependencies for the web routers (one place, as FastAPI's template does).

A route asks for the one service it uses (``AssistantDep``, ``HandoffsDep``,
``EditorDeskDep`` ...), each taken from the app's container, so its signature says what
it touches and the whole container stays out of the handlers.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.requests import HTTPConnection

from assistant.container import Container
from assistant.editorial import EditorDesk
from assistant.handoffs import HandoffQueue
from assistant.service import AssistantService
from assistant.settings import Settings
from assistant.staff import Role, SignedIn, Staff
from assistant.store import ConversationStore
from knowledge_base.index_store import IndexStore

STAFF_COOKIE = "ca_staff"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def container_of(connection: HTTPConnection) -> Container:
    """The app's container, for a request or a WebSocket."""
    container: Container = connection.app.state.container
    return container


# The dependencies are ``async``: FastAPI would run a plain function in the thread pool,
# a thread hop per request for a single attribute read.
async def get_settings(request: Request) -> Settings:
    return container_of(request).settings


async def get_assistant(request: Request) -> AssistantService:
    return container_of(request).assistant


async def get_handoffs(request: Request) -> HandoffQueue:
    return container_of(request).handoffs


async def get_staff_accounts(request: Request) -> Staff:
    return container_of(request).staff


async def get_editor_desk(request: Request) -> EditorDesk:
    return container_of(request).editor_desk


async def get_conversation_store(request: Request) -> ConversationStore:
    return container_of(request).conversation_store


async def get_index_store(request: Request) -> IndexStore:
    return container_of(request).index_store


def get_teams(request: Request) -> list[str]:
    # Plain ``def``: it reads the users table, so FastAPI runs it in the thread pool.
    return container_of(request).teams()


SettingsDep = Annotated[Settings, Depends(get_settings)]
AssistantDep = Annotated[AssistantService, Depends(get_assistant)]
HandoffsDep = Annotated[HandoffQueue, Depends(get_handoffs)]
StaffAccountsDep = Annotated[Staff, Depends(get_staff_accounts)]
EditorDeskDep = Annotated[EditorDesk, Depends(get_editor_desk)]
ConversationStoreDep = Annotated[ConversationStore, Depends(get_conversation_store)]
IndexStoreDep = Annotated[IndexStore, Depends(get_index_store)]
TeamsDep = Annotated[list[str], Depends(get_teams)]


def signed_in(request: Request) -> SignedIn:
    """The signed-in staff member; 401 without a live session, 403 without the CSRF token."""
    container = container_of(request)
    session = container.staff.session(request.cookies.get(STAFF_COOKIE))
    if session is None:
        raise HTTPException(401, "Please sign in.")
    if request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not secrets.compare_digest(sent, session.csrf_token):
            raise HTTPException(
                403, "This request is missing its security token. Reload the page and try again."
            )
    return session


def require(*roles: Role) -> Callable[[Request], SignedIn]:
    """A dependency that admits only the given roles (admins always)."""

    def check(request: Request) -> SignedIn:
        session = signed_in(request)
        if session.user.role not in (*roles, Role.ADMIN):
            raise HTTPException(403, "Your account cannot do this.")
        return session

    return check


CaseworkerDep = Annotated[SignedIn, Depends(require(Role.CASEWORKER))]
EditorDep = Annotated[SignedIn, Depends(require(Role.EDITOR))]
StaffDep = Annotated[SignedIn, Depends(signed_in)]

"""Staff sign-in for the web routers: the session cookie, the CSRF token, roles. The
service dependencies every channel's routes use are in ``channels.deps`` (imported here
too, so a web router has one place to import from)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from assistant.staff import Role, SignedIn
from channels.deps import (
    AssistantDep,
    ConversationStoreDep,
    EditorDeskDep,
    HandoffsDep,
    IndexStoreDep,
    SavedRepliesDep,
    SettingsDep,
    StaffAccountsDep,
    TeamsDep,
    container_of,
)

__all__ = [
    "CSRF_HEADER",
    "STAFF_COOKIE",
    "AdminDep",
    "AssistantDep",
    "CaseworkerDep",
    "ConversationStoreDep",
    "EditorDep",
    "EditorDeskDep",
    "HandoffsDep",
    "IndexStoreDep",
    "ManagerDep",
    "SavedRepliesDep",
    "SettingsDep",
    "StaffAccountsDep",
    "StaffDep",
    "TeamsDep",
    "container_of",
    "require",
    "signed_in",
]

STAFF_COOKIE = "ca_staff"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


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


AdminDep = Annotated[SignedIn, Depends(require())]
CaseworkerDep = Annotated[SignedIn, Depends(require(Role.CASEWORKER))]
EditorDep = Annotated[SignedIn, Depends(require(Role.EDITOR))]
ManagerDep = Annotated[SignedIn, Depends(require(Role.MANAGER))]
StaffDep = Annotated[SignedIn, Depends(signed_in)]

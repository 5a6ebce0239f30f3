"""Typed dependencies for the web routers (one place, as FastAPI's template does)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.requests import HTTPConnection

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role, SignedIn

STAFF_COOKIE = "ca_staff"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def container_of(connection: HTTPConnection) -> Container:
    """The app's container, for a request or a WebSocket."""
    container: Container = connection.app.state.container
    return container


# The dependencies are ``async``: FastAPI would run a plain function in the thread pool,
# a thread hop per request for a single attribute read.
async def get_container(request: Request) -> Container:
    return container_of(request)


async def get_settings(request: Request) -> Settings:
    return container_of(request).settings


ContainerDep = Annotated[Container, Depends(get_container)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


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
StaffDep = Annotated[SignedIn, Depends(signed_in)]

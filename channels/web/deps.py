"""Typed dependencies for the web routers (one place, as FastAPI's template does)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.container import Container
from assistant.settings import Settings


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_settings(request: Request) -> Settings:
    return get_container(request).settings


ContainerDep = Annotated[Container, Depends(get_container)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

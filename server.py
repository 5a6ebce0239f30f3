"""Wires the app: ``create_app(settings)``; ``app`` for ``uvicorn server:app``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles

from assistant.container import Container
from assistant.settings import Settings, get_settings
from channels.web import api, pages

log = logging.getLogger("citizen_assistant")


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new app with its own container; nothing heavy is loaded until startup."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container: Container = app.state.container  # tests may swap in their own
        report = await run_in_threadpool(container.ensure_knowledge_base)
        if report is not None:
            log.info("sample knowledge base: %s", report.summary())
        await run_in_threadpool(container.warm_up)
        yield

    app = FastAPI(
        title="Citizen Assistant",
        summary="Grounded, cited answers about government services, with a person one step away.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.container = Container(settings)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    return app


def __getattr__(name: str) -> FastAPI:
    # ``uvicorn server:app`` builds the app on first access, not at import time.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)

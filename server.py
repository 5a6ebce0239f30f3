"""Wires the app: ``create_app(settings)``; ``app`` for ``uvicorn server:app``."""

import functools
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.settings import Settings, get_settings

if TYPE_CHECKING:
    import typer

log = logging.getLogger("citizen_assistant")


def create_app(settings: Settings | None = None, *, whole_process: bool = False) -> FastAPI:
    """A new app with its own container; nothing heavy is loaded until startup.

    ``whole_process``: the app is all the process serves (``uvicorn server:app``,
    ``citizen-assistant serve``), so start-up may tune the process's garbage collector
    (:func:`settle_garbage_collector`); tests that start many apps in one process do not.
    """
    # Imported here, not with the module: the command line imports this module too, and
    # `citizen-assistant --help` should not wait for the whole app (about a second).
    from assistant.container import Container
    from channels import log_privacy, sms
    from channels.limits import BodyLimit, RequestLimits
    from channels.sms import answers as sms_answers
    from channels.web import analytics, api, desk, editor, metrics, pages, staff
    from channels.web.openapi import document_parse_errors

    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container: Container = app.state.container  # tests may swap in their own
        log_privacy.install(_log_key(container.settings))  # uvicorn has set up its loggers
        sms.register(container)  # caseworkers' replies to citizens who texted
        report = await run_in_threadpool(container.ensure_knowledge_base)
        if report is not None:  # the bundled sample, or a rebuild for new settings
            log.info("knowledge base: %s", report.summary())
        await run_in_threadpool(container.warm_up)
        # The schema is brought up to date now (under a lock on PostgreSQL, so replicas
        # starting together take turns), before /readyz says yes to the load balancer.
        await run_in_threadpool(lambda: container.conversation_store)
        if whole_process:
            settle_garbage_collector()
        if container.settings.sms_enabled:
            sms.start_outbox(container)  # texts queued before a restart, or elsewhere
        yield
        if container.settings.sms_enabled:
            # Its workers would go on reading a database the process is done with.
            await run_in_threadpool(sms.stop_outbox, container)
        await container.events.close()

    app = FastAPI(
        title="Citizen Assistant",
        summary="Grounded, cited answers about government services, with a person one step away.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.container = Container(settings)
    # Added innermost first: SecurityHeaders wraps every answer, the limits' refusals too.
    # A request too large or not Unicode is refused before any route reads it.
    app.add_middleware(
        RequestLimits,
        header_limit=settings.request_header_max_kb * 1024,
        body_limit=BodyLimit(
            default=settings.request_body_max_kb * 1024,
            larger=int(settings.upload_max_mb * 1024 * 1024) + 64 * 1024,
            larger_prefix="/api/editor/",
            own=editor.UPLOAD_PATH,
        ),
    )
    app.add_middleware(editor.UploadBodyLimit, path=editor.UPLOAD_PATH)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestIds)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(staff.router)
    app.include_router(desk.router)
    app.include_router(editor.router)
    app.include_router(editor.page_router)
    app.include_router(metrics.router)
    app.include_router(analytics.router)
    if settings.sms_enabled:
        from channels.sms import webhook as sms_webhook  # twilio is imported only when used

        app.include_router(sms_webhook.router)
    # Links to full answers sent by text keep working if SMS is later switched off.
    app.include_router(sms_answers.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    document_parse_errors(app)
    return app


_SECURITY_HEADERS = {
    # The page loads nothing from elsewhere; /docs needs its own inline bootstrap script.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """Adds ``_SECURITY_HEADERS`` to every HTTP response that does not set its own.

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware
    runs each request through an extra task and memory stream, a cost every chat turn
    paid for five header lines.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(("/docs", "/redoc"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    if docs and name == "Content-Security-Policy":
                        continue
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestIds:
    """Gives each HTTP request and WebSocket an id (the caller's ``X-Request-ID`` when it
    is plainly one), binds it for the log lines it causes, and answers with it."""

    def __init__(self, app: ASGIApp) -> None:
        from assistant import request_ids

        request_ids.install()
        self.app = app
        self._ids = request_ids

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        offered = Headers(scope=scope).get("x-request-id")
        request_id = self._ids.new_request_id(offered)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        token = self._ids.bind(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._ids.unbind(token)


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options that protect the app: h11, not httptools, because h11 stops
    reading a request head at the limit (httptools read 8 MB of headers before the app
    could refuse them)."""
    return {"http": "h11", "h11_max_incomplete_event_size": settings.request_header_max_kb * 1024}


# The first generation's threshold once started (Python's default: 700 allocations).
GC_FIRST_THRESHOLD = 20_000


def settle_garbage_collector() -> None:
    """Leave what start-up loaded out of garbage collections from now on.

    A started server holds ~370,000 long-lived objects (the index version's passages and
    terms, the models, the app) that a full collection walked each time: at 10k passages,
    0.15 s a full collection and, with the young collections that a turn's short-lived
    objects set off every 700 allocations, ~0.7 ms of each turn's CPU in the bench's
    8-client run. Frozen (``gc.freeze``), they are never walked; a first threshold of
    20,000 makes young collections rarer (~0.2 ms a turn left). Objects made later (a new
    index version, cached pages) are still collected as before.
    """
    gc.collect()  # garbage from start-up is freed, not frozen
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(GC_FIRST_THRESHOLD, second, third)


def _log_key(settings: Settings) -> bytes | None:
    key = settings.log_hash_key.get_secret_value() if settings.log_hash_key else ""
    return key.encode("utf-8") if key else None


def __getattr__(name: str) -> FastAPI:
    # ``uvicorn server:app`` builds the app on first access, not at import time.
    if name == "app":
        application = create_app(whole_process=True)
        globals()["app"] = application
        return application
    raise AttributeError(name)


# ---- the command line ---------------------------------------------------------------
# Wired here, with the app: the assistant's own commands (``assistant.cli``) and those of
# the layers above it (eval, the SMS and Rasa channels), which the assistant must not import.


@functools.cache
def cli_app() -> "typer.Typer":
    """The whole ``citizen-assistant`` command line (built once, on first use)."""
    import typer

    from assistant.cli import app, configure_logging
    from channels.rasa import cli as rasa_cli
    from channels.sms import cli as sms_cli
    from eval import cli as eval_cli

    # Defined here so that typer loads only for the command line, not with the app
    # (this module's annotations are evaluated as written, so typer reads them).
    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    ) -> None:
        """Run the web server (ingests the bundled sample knowledge base on first start)."""
        import uvicorn

        configure_logging()
        settings = Settings()
        # log_config=None: uvicorn's own lines (access log included) go through the same
        # handler and format as ours, request id and all.
        uvicorn.run(
            create_app(settings, whole_process=True),
            host=host,
            port=port,
            log_config=None,
            **server_options(settings),
        )

    eval_cli.register(app)
    sms_cli.register(app)
    rasa_cli.register(app)
    return app


def cli() -> None:
    """The ``citizen-assistant`` console script."""
    from assistant.cli import quiet_libraries

    quiet_libraries()
    cli_app()()

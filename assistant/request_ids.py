"""A request id in every log line: set per request by the web app, read by the log format.

The id lives in a context variable, so it follows a request into the thread pool (a turn
runs there; Starlette copies the context) and into everything the request logs. Every
log record carries it as ``request_id`` ("-" outside a request): the record factory adds
it, whichever logger and handler the record goes through.
"""

from __future__ import annotations

import logging
import re
import secrets
from contextvars import ContextVar, Token

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"

# A caller's own id is kept when it is plainly an id (a load balancer's, a trace's), so
# one request can be followed across replicas; anything else is replaced, never logged.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_installed = False


def new_request_id(offered: str | None = None) -> str:
    if offered and _ACCEPTABLE.fullmatch(offered):
        return offered
    return secrets.token_hex(8)


def bind(request_id: str) -> Token[str]:
    return REQUEST_ID.set(request_id)


def unbind(token: Token[str]) -> None:
    REQUEST_ID.reset(token)


def install() -> None:
    """Give every log record a ``request_id`` (once per process)."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def with_request_id(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        return record

    logging.setLogRecordFactory(with_request_id)
    _installed = True

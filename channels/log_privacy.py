"""Secrets kept out of the logs: a citizen's session id (the key to their conversation,
carried in ``/ws/chat/{session_id}`` and ``/api/chat/{session_id}/messages``) and the
token of a full-answer link (``/a/{token}``) appear in request paths, which uvicorn's
access and error logs print as they are.

:class:`SecretPaths` is a logging filter that rewrites them to a short keyed hash
(``/ws/chat/#3f9a1c0b2d``): lines about one conversation still match each other, and
nobody reading the log can open it. The key is a setting (the same on every replica) or
random per process.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from typing import Final

# A path segment that is a secret, after the route that carries it: the session id in
# ``/ws/chat/{id}`` and ``/api/chat/{id}/messages`` (the page's catch-up), an answer token.
_SECRET_SEGMENT: Final = re.compile(
    r"(/ws/chat/|/a/|/api/chat/(?=[^/?#\s\"']+/messages))([^/?#\s\"']+)"
)
#: The loggers that print request paths: uvicorn's access log and its error log (which
#: reports WebSocket connections), and the app's own.
LOGGERS: Final = ("uvicorn.access", "uvicorn.error", "citizen_assistant")


class SecretPaths(logging.Filter):
    """Replaces secret path segments in a record's message and arguments."""

    def __init__(self, key: bytes | None = None) -> None:
        super().__init__()
        self._key = key or secrets.token_bytes(32)

    def tag(self, secret: str) -> str:
        digest = hmac.new(self._key, secret.encode("utf-8", "replace"), hashlib.sha256)
        return "#" + digest.hexdigest()[:10]

    def scrub(self, text: str) -> str:
        return _SECRET_SEGMENT.sub(lambda m: m.group(1) + self.tag(m.group(2)), text)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self.scrub(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: self.scrub(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def install(key: bytes | None = None) -> SecretPaths:
    """Put one filter on every logger that prints paths (again: replaces the earlier one).

    On the loggers rather than on handlers: uvicorn replaces its handlers when it
    configures logging, and a test or a deployment may bring its own.
    """
    fresh = SecretPaths(key)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, SecretPaths)]:
            logger.removeFilter(old)
        logger.addFilter(fresh)
    return fresh

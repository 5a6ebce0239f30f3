"""Fixtures shared by the channels' tests."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from channels.log_privacy import LOGGERS


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything the app and uvicorn log, at INFO, as a deployment would keep it."""
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    # The test's own HTTP client logs the URLs it asks for; the server is what is checked.
    handler.addFilter(lambda record: not record.name.startswith("httpx"))
    loggers = [logging.getLogger(name) for name in (*LOGGERS, "")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield sink
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)

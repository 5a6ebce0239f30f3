"""Fixtures of the SMS channel's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.channels.sms.twilio import FakeTwilioApi


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioApi]:
    """Twilio's Messages endpoint on 127.0.0.1, for one test."""
    with FakeTwilioApi() as api:
        yield api

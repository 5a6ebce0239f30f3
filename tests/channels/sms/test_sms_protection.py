"""The SMS webhook against a hostile sender: a From that is no phone number, and a flood
from one number (counted only after the signature is checked)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.container import Container
from assistant.settings import Settings
from tests.channels.sms.twilio import FakeTwilioApi, messages, text_to, with_sms
from tests.conftest import LiveServer


@pytest.fixture
def sms_server(
    settings: Settings, container: Container, twilio_api: FakeTwilioApi
) -> Iterator[LiveServer]:
    sms_settings = with_sms(settings, twilio_api, sms_rate_per_address="3/minute")
    container.settings = sms_settings
    server = LiveServer(sms_settings, container)
    container.settings = sms_settings.model_copy(update={"public_url": server.url})
    with server:
        yield server


@pytest.mark.parametrize("sender", ["not-a-number", "whatsapp:hello", "5555550100", "+1"])
def test_a_from_that_is_not_a_phone_number_is_refused(sms_server: LiveServer, sender: str) -> None:
    response = text_to(sms_server, "hello", "SM" + "0" * 32, sender=sender)
    assert response.status_code == 400
    assert "phone number" in response.text


def test_a_flood_from_one_number_gets_429_after_the_signature_check(
    sms_server: LiveServer,
) -> None:
    answered = [text_to(sms_server, "hello", f"SM{i:032d}") for i in range(3)]
    assert all(messages(r) for r in answered)
    refused = text_to(sms_server, "hello", "SM" + "9" * 32)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # Another number is not held back; a forged request is refused for its signature first.
    assert messages(text_to(sms_server, "hello", "SM" + "8" * 32, sender="+15555550177"))
    forged = text_to(sms_server, "hello", "SM" + "7" * 32, token="not-the-token")
    assert forged.status_code == 403

""" "Did you mean ...?" by text, through the real webhook (a live server, signed as Twilio
signs): the refusal names the page, and a YES is answered from it. The answer threshold
is set to decline every answer, so the offer is certain whatever the CPU's numbers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.container import Container
from assistant.settings import Settings
from tests.channels.sms.twilio import FakeTwilioApi, messages, text_to, with_sms
from tests.conftest import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture
def sms_server(
    settings: Settings, container: Container, twilio_api: FakeTwilioApi
) -> Iterator[LiveServer]:
    unsure = with_sms(settings, twilio_api).model_copy(
        update={"min_confidence": 1.0, "offer_min_confidence": 0.0}
    )
    container.settings = unsure
    server = LiveServer(unsure, container)
    container.settings = unsure.model_copy(update={"public_url": server.url})
    with server:
        yield server


def test_a_text_offers_the_page_and_yes_gets_its_answer(sms_server: LiveServer) -> None:
    [offer] = messages(text_to(sms_server, "How do I renew my driver's license?", "SM" + "1" * 32))
    # Curly quotes go straight in a text (GSM-7 keeps it to one segment's alphabet).
    assert 'Did you mean "Renew your driver\'s license"? Reply yes' in offer
    # YES is not a carrier keyword here: it reaches the assistant as the citizen's answer.
    [answer] = messages(text_to(sms_server, "YES", "SM" + "2" * 32))
    assert "renew" in answer.lower() and "Did you mean" not in answer
    assert "dmv.westmark.example" in answer

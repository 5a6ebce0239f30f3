"""SMS in Spanish through the real webhook (a live server, signed as Twilio signs): the
answer from the Spanish page, the keywords in Spanish, a person and a crisis in Spanish."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from assistant.container import Container
from assistant.models import Handoff
from assistant.settings import Settings
from assistant.staff import Role
from tests.channels.sms.twilio import FakeTwilioApi, messages, text_to, with_sms
from tests.conftest import LiveServer

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password"


@pytest.fixture
def sms_server(
    settings: Settings, container: Container, twilio_api: FakeTwilioApi
) -> Iterator[LiveServer]:
    sms_settings = with_sms(settings, twilio_api, staff_hours="always")
    container.settings = sms_settings
    server = LiveServer(sms_settings, container)
    container.settings = sms_settings.model_copy(update={"public_url": server.url})
    container.staff.create(username="ana", password=PASSWORD, role=Role.CASEWORKER)
    assert container.staff.sign_in("ana", PASSWORD) is not None  # someone is on duty
    with server:
        yield server


def sid(n: int) -> str:
    return f"SM{n:032d}"


def test_a_spanish_text_is_answered_from_the_spanish_page(sms_server: LiveServer) -> None:
    [reply] = messages(
        text_to(sms_server, "¿Hay un programa de ayuda para pagar la factura del agua?", sid(1))
    )
    assert "25%" in reply
    assert "https://www.fairhaven.example/es/agua/pagar" in reply  # the Spanish page's link
    assert "More:" not in reply
    # A follow-up stays on the Spanish page the conversation is about.
    [follow] = messages(text_to(sms_server, "¿y si no puedo pagar?", sid(2)))
    assert "https://www.fairhaven.example/es/agua/pagar" in follow


def test_spanish_keywords_help_and_opt_out(sms_server: LiveServer) -> None:
    [help_text] = messages(text_to(sms_server, "AYUDA", sid(3)))
    assert help_text.startswith("Esta es la línea de preguntas de la Ciudad de Fairhaven")
    assert "ALTO" in help_text
    assert messages(text_to(sms_server, "alto", sid(4))) == []  # opted out: Twilio confirms
    assert messages(text_to(sms_server, "¿Cómo pago la factura del agua?", sid(5))) == []
    [back] = messages(text_to(sms_server, "COMENZAR", sid(6)))
    assert back.startswith("Volverá a recibir respuestas")


def test_espanol_sets_the_language_of_the_conversation(sms_server: LiveServer) -> None:
    [chosen] = messages(text_to(sms_server, "ESPAÑOL", sid(7)))
    assert chosen.startswith("Le responderé en español.")
    [thanks] = messages(text_to(sms_server, "thank you", sid(8)))
    assert thanks.startswith("De nada.")


def test_a_person_and_a_crisis_in_spanish(sms_server: LiveServer) -> None:
    [person] = messages(text_to(sms_server, "quiero hablar con una persona", sid(9)))
    assert person.startswith("Le pedí a un trabajador social que se una a esta conversación.")
    [waiting] = messages(text_to(sms_server, "me quiero matar", sid(10)))
    # A person is already on the way: the message goes to them, and the citizen is told so.
    assert waiting.startswith("Gracias, un trabajador social verá su mensaje.")


def test_a_crisis_in_spanish_by_text_gets_the_emergency_numbers_first(
    sms_server: LiveServer,
) -> None:
    [crisis] = messages(text_to(sms_server, "me quiero matar", sid(11)))
    assert crisis.startswith("Si está en peligro ahora mismo, llame al 911.")
    assert "988" in crisis


def test_a_person_by_text_in_spanish_is_queued_in_spanish_for_the_caseworker(
    sms_server: LiveServer, container: Container
) -> None:
    [person] = messages(text_to(sms_server, "necesito hablar con alguien", sid(12)))
    assert person.startswith("Le pedí a un trabajador social que se una a esta conversación.")
    assert "Usted es el número 1 en la fila" in person
    # The caseworker's console shows the citizen's language (its badge reads the handoff's).
    with container.engine.connect() as connection:
        [(language, channel)] = connection.execute(select(Handoff.language, Handoff.channel)).all()
    assert (language, channel) == ("es", "sms")
    # A picture with no words, in a Spanish conversation, is asked about in Spanish.
    [empty] = messages(text_to(sms_server, "", sid(13)))
    assert empty.startswith("Escriba una pregunta")
    # ENGLISH while waiting: the citizen is told in English, and the console shows English.
    [waiting_en] = messages(text_to(sms_server, "ENGLISH", sid(16)))
    assert waiting_en.startswith("Thank you, a caseworker will see your message.")
    with container.engine.connect() as connection:
        assert connection.execute(select(Handoff.language)).scalar_one() == "en"


def test_out_of_hours_a_person_asked_for_in_spanish_gets_the_spanish_hours(
    settings: Settings, container: Container, twilio_api: FakeTwilioApi
) -> None:
    sms_settings = with_sms(settings, twilio_api, staff_hours="Mon-Fri 08:00-18:00")
    container.settings = sms_settings
    with LiveServer(sms_settings, container) as server:  # nobody on duty
        [offer] = messages(text_to(server, "quiero hablar con una persona", sid(14)))
        [empty] = messages(text_to(server, "", sid(15)))
    assert offer.startswith("No hay un trabajador social disponible en este momento")
    assert "(atendemos lunes a viernes, 8 a.m. a 6 p.m.)" in offer
    for english in (" am", " pm", "Monday", "Friday", " to "):
        assert english not in offer, english
    assert empty.startswith("Escriba una pregunta")

"""What the web API refuses, said in the conversation's language (issue #17): too many
messages, a call-back with nothing in it, a conversation the server no longer has, and the
language switch's own refusals. Over a real server."""

from __future__ import annotations

import httpx

from assistant.container import Container
from assistant.settings import Settings
from tests.conftest import LiveServer


def serve(settings: Settings, container: Container, **changes: object) -> LiveServer:
    changed = settings.model_copy(update=changes)
    container.settings = changed
    return LiveServer(changed, container)


def post(url: str, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(url + path, json=body, timeout=60)


def test_refusals_in_a_spanish_conversation_are_in_spanish(
    settings: Settings, container: Container
) -> None:
    with serve(settings, container, chat_rate_per_conversation="3/minute") as server:
        first = post(server.url, "/api/chat", {"message": "¿Cómo pago la factura del agua?"})
        session = first.json()["session_id"]
        assert first.json()["language"] == "es"

        blank = post(
            server.url,
            "/api/chat/callback",
            {"session_id": session, "message": "   ", "contact": "   "},
        )
        assert blank.status_code == 422
        assert blank.json()["detail"] == (
            "Escriba un mensaje y un número de teléfono o correo electrónico."
        )

        # The switch: to English and back, a language it does not speak, a lost conversation.
        switched = post(server.url, "/api/chat/language", {"session_id": session, "language": "en"})
        assert switched.json() == {"session_id": session, "language": "en"}
        back = post(server.url, "/api/chat/language", {"session_id": session, "language": "es"})
        assert back.status_code == 200, back.text
        french = post(server.url, "/api/chat/language", {"session_id": session, "language": "fr"})
        assert french.status_code == 422
        lost = post(server.url, "/api/chat/language", {"session_id": "gone", "language": "es"})
        assert lost.status_code == 404
        assert lost.json()["detail"] == "Esta conversación terminó. Por favor, empiece una nueva."

        # Past the conversation's limit (3 a minute, after the callback and two switches).
        refused = post(server.url, "/api/chat", {"message": "gracias", "session_id": session})
        assert refused.status_code == 429
        assert refused.json()["detail"].startswith("Está enviando mensajes más rápido")

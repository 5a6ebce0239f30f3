"""What Twilio signs: the token, and the URL it called (light: the simulator imports it)."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request

from assistant.settings import Settings

WEBHOOK_PATH: Final = "/channels/twilio/sms"
# Where Twilio reports what became of a message we sent (StatusCallback).
STATUS_PATH: Final = "/channels/twilio/status"
# Outside production, with no token configured, the server and `sms-sim` both use this
# published token so a local simulator can sign requests. Production refuses to start
# without a real one (see Settings).
DEV_AUTH_TOKEN: Final = "citizen-assistant-development-token"


def auth_token_for(settings: Settings) -> str:
    """The token webhooks are signed with: the configured one, else the dev token."""
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    return token or DEV_AUTH_TOKEN


def signed_url(settings: Settings, request: Request) -> str:
    """The URL Twilio signed: the public URL plus this path (and query), behind any proxy."""
    if settings.public_url:
        url = settings.public_url.rstrip("/") + request.url.path
        return f"{url}?{request.url.query}" if request.url.query else url
    return str(request.url)

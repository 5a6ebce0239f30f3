"""Replies sent later, through Twilio's REST API (the webhook answered with an empty ack)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from assistant.settings import Settings
from channels.phone import Address

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sent:
    """What Twilio said when it took a message: its MessageSid and first status."""

    sid: str
    status: str  # usually "queued" (a number) or "accepted" (a Messaging Service)


class SmsSender(Protocol):
    """Sends one message to a citizen now."""

    def send(
        self,
        *,
        to: Address,
        from_: Address | None,
        body: str,
        status_callback: str | None = None,
    ) -> Sent:
        """Send ``body``; Twilio posts status changes to ``status_callback`` if given."""
        ...


class BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, with every request's scheme and host replaced.

    The Twilio library builds URLs like ``https://api.twilio.com/2010-04-01/...``; pointing
    them at another base (a local fake API in tests, an egress proxy) keeps the real client
    code — authentication, form encoding, error handling — in the path.
    """

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        parts = urlsplit(base_url)
        if not (parts.scheme and parts.netloc):
            raise ValueError(f"twilio_api_base_url must be an absolute URL, got {base_url!r}")
        self._scheme, self._netloc = parts.scheme, parts.netloc
        self._prefix = parts.path.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        url = urlunsplit(
            (self._scheme, self._netloc, self._prefix + parts.path, parts.query, parts.fragment)
        )
        return super().request(method, url, *args, **kwargs)


class TwilioSender:
    """``Client.messages.create`` with the deployment's sender: a Messaging Service, a
    configured number, or else the number the citizen wrote to."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        api_base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("sending through Twilio needs an account SID and an auth token")
        http_client = (
            BaseUrlHttpClient(api_base_url, timeout=timeout)
            if api_base_url
            else TwilioHttpClient(timeout=timeout)
        )
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid

    @classmethod
    def from_settings(cls, settings: Settings, *, auth_token: str) -> TwilioSender:
        return cls(
            account_sid=settings.twilio_account_sid or "",
            auth_token=auth_token,
            from_number=settings.twilio_from_number,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            api_base_url=settings.twilio_api_base_url,
        )

    def send(
        self,
        *,
        to: Address,
        from_: Address | None,
        body: str,
        status_callback: str | None = None,
    ) -> Sent:
        options: dict[str, str] = {}
        if status_callback:
            options["status_callback"] = status_callback
        if self.messaging_service_sid and to.channel == "sms":
            options["messaging_service_sid"] = self.messaging_service_sid
        else:
            number = self.from_number or (from_.number if from_ else None)
            if not number:
                raise ValueError("no number to send from: set CA_TWILIO_FROM_NUMBER")
            options["from_"] = Address(to.channel, number).twilio
        message = self.client.messages.create(to=to.twilio, body=body, **options)
        return Sent(sid=str(message.sid), status=str(message.status or "queued"))

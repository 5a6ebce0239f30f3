"""``citizen-assistant sms-sim``: a phone on the command line for a running local server.

Each message goes to ``POST /channels/twilio/sms`` as Twilio would send it: a form post
with a fresh MessageSid and an ``X-Twilio-Signature`` made with the server's token (the
configured ``CA_TWILIO_AUTH_TOKEN``, else the development token a local server also uses).
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx
from twilio.request_validator import RequestValidator

from channels.sms.segments import count_segments
from channels.sms.signing import WEBHOOK_PATH

DEFAULT_FROM = "+15555550100"  # 555-01xx numbers are reserved for fiction
DEFAULT_TO = "+15555550199"


@dataclass(frozen=True, slots=True)
class Exchange:
    """What the server answered to one simulated message."""

    status_code: int
    messages: list[str]

    def describe(self) -> str:
        if self.status_code != 200:
            return f"(the server refused the message: HTTP {self.status_code})"
        if not self.messages:
            return "(no reply)"
        lines = []
        for text in self.messages:
            counted = count_segments(text)
            plural = "" if counted.segments == 1 else "s"
            lines.append(
                f"{text}\n({counted.encoding}, {counted.units} units, "
                f"{counted.segments} segment{plural})"
            )
        return "\n".join(lines)


def twiml_messages(xml: str) -> list[str]:
    """The text of each ``<Message>`` in a TwiML document."""
    root = ET.fromstring(xml)
    return ["".join(m.itertext()).strip() for m in root.iter("Message")]


class SmsSimulator:
    """Signs and posts messages from one simulated phone."""

    def __init__(
        self,
        *,
        url: str,
        auth_token: str,
        public_url: str | None = None,
        from_: str = DEFAULT_FROM,
        to: str = DEFAULT_TO,
        timeout: float = 30.0,
    ) -> None:
        self.endpoint = url.rstrip("/") + WEBHOOK_PATH
        # The server checks the signature against its public URL when it has one.
        self.signed_url = (public_url or url).rstrip("/") + WEBHOOK_PATH
        self.validator = RequestValidator(auth_token)
        self.from_ = from_
        self.to = to
        self.timeout = timeout

    def send(self, text: str, *, message_sid: str | None = None) -> Exchange:
        form = {
            "MessageSid": message_sid or "SM" + secrets.token_hex(16),
            "AccountSid": "AC" + "0" * 32,
            "From": self.from_,
            "To": self.to,
            "Body": text,
            "NumMedia": "0",
        }
        signature = self.validator.compute_signature(self.signed_url, form)
        response = httpx.post(
            self.endpoint,
            data=form,
            headers={"X-Twilio-Signature": signature},
            timeout=self.timeout,
        )
        if response.status_code != 200:
            return Exchange(response.status_code, [])
        return Exchange(200, twiml_messages(response.text))

    def interact(self, lines: Iterable[str], echo: Callable[[str], None]) -> None:
        """Send each non-empty line and print the reply (an empty line or EOF ends)."""
        for line in lines:
            if not line.strip():
                break
            echo(self.send(line.rstrip("\n")).describe())

"""Who a Twilio message is from, and the keyed hash that stands in for the number.

Shared by the channels that meet citizens by their phone numbers (the SMS webhook and
the Rasa actions), so neither imports the other.

The raw number is needed only to send a late reply; it is never stored or logged. The
database and the logs see ``hash_address``'s HMAC-SHA256, keyed with a secret setting so
that nobody holding the database can hash every possible number and match them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Final

import phonenumbers

from assistant.settings import Settings

_E164 = phonenumbers.PhoneNumberFormat.E164

WHATSAPP_PREFIX: Final = "whatsapp:"
# Outside production a fixed key keeps local conversations stable across restarts; the
# settings validator refuses production without a real one.
DEV_PHONE_HASH_KEY: Final = "citizen-assistant-development-phone-key"


@dataclass(frozen=True, slots=True)
class Address:
    """A Twilio ``From``/``To`` value split into its channel and its number."""

    channel: str  # "sms" | "whatsapp"
    number: str  # E.164, without the channel prefix

    @classmethod
    def parse(cls, value: str) -> Address:
        value = value.strip()
        if value.lower().startswith(WHATSAPP_PREFIX):
            return cls("whatsapp", value[len(WHATSAPP_PREFIX) :].strip())
        return cls("sms", value)

    @classmethod
    def parse_strict(cls, value: str) -> Address:
        """Like :meth:`parse`, but only a phone number in international form (``+`` and
        country code, as Twilio sends it), bare or after ``whatsapp:``; else ValueError."""
        address = cls.parse(value)
        number = address.number
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException as error:
            raise ValueError("not a phone number") from error
        if not number.startswith("+") or not phonenumbers.is_possible_number(parsed):
            raise ValueError("not a phone number")
        return cls(address.channel, phonenumbers.format_number(parsed, _E164))

    @property
    def twilio(self) -> str:
        """The address as Twilio's REST API wants it (``whatsapp:`` prefix kept)."""
        return f"{WHATSAPP_PREFIX}{self.number}" if self.channel == "whatsapp" else self.number

    def __repr__(self) -> str:  # a stray log line must not print the number
        return f"Address(channel={self.channel!r}, number=<hidden>)"


def phone_hash_key(settings: Settings) -> bytes:
    key = settings.phone_hash_key.get_secret_value() if settings.phone_hash_key else ""
    return (key or DEV_PHONE_HASH_KEY).encode("utf-8")


def hash_address(address: Address, *, key: bytes) -> str:
    """The conversation key for a phone number: hex HMAC-SHA256 (64 characters)."""
    return hmac.new(key, address.number.encode("utf-8"), hashlib.sha256).hexdigest()

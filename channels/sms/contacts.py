"""The citizen's address, encrypted, so a caseworker's reply can be sent by text later.

The conversation key (``addresses.hash_address``) cannot be reversed, which is the point;
but a reply sent through Twilio's REST API needs the number. It is kept on the
conversation as a Fernet token (AES-128-CBC with HMAC-SHA256, authenticated) under a key
derived with HKDF-SHA256 from ``CA_CONTACT_ENCRYPTION_KEY``, together with the agency
number the citizen wrote to (the reply comes from it). It goes when the conversation
goes (retention), and is never logged.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Final

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from assistant.settings import Settings
from channels.phone import Address

# Outside production a fixed secret keeps local conversations readable across restarts;
# the settings validator refuses production with SMS without a real one.
DEV_CONTACT_KEY: Final = "citizen-assistant-development-contact-key"
_HKDF_INFO: Final = b"citizen-assistant contact encryption v1"


class ContactUnreadable(Exception):
    """The stored contact was encrypted under another key, or is damaged."""


@dataclass(frozen=True, slots=True)
class Contact:
    """Who to text (the citizen) and from which agency number they wrote (if known)."""

    citizen: Address
    agency: Address | None = None

    def __repr__(self) -> str:  # numbers stay out of any stray log line
        return f"Contact(channel={self.citizen.channel!r}, numbers=<hidden>)"


def derive_key(secret: str) -> bytes:
    """A Fernet key (32 bytes, urlsafe base64) from a setting of any length."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw)


class ContactCipher:
    def __init__(self, secret: str) -> None:
        self._fernet = Fernet(derive_key(secret))

    @classmethod
    def from_settings(cls, settings: Settings) -> ContactCipher:
        key = settings.contact_encryption_key
        return cls((key.get_secret_value() if key else "") or DEV_CONTACT_KEY)

    def encrypt(self, contact: Contact) -> str:
        plain = {"to": contact.citizen.twilio}
        if contact.agency is not None:
            plain["via"] = contact.agency.twilio
        return self._fernet.encrypt(json.dumps(plain).encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> Contact:
        try:
            plain = json.loads(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, ValueError) as error:
            raise ContactUnreadable("the stored contact cannot be decrypted") from error
        via = plain.get("via")
        return Contact(Address.parse(plain["to"]), Address.parse(via) if via else None)

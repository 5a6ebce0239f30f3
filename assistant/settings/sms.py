"""SMS and WhatsApp settings: the Twilio channel (``channels/sms``) and its secrets."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class SmsSettings(BaseModel):
    """SMS and WhatsApp through Twilio: the webhook, the REST API, and how numbers are kept."""

    sms_enabled: bool = Field(
        False,
        description="Serve the Twilio SMS and WhatsApp webhook at `POST /channels/twilio/sms`.",
    )
    public_url: str | None = Field(
        None,
        description="The public base URL Twilio calls (e.g. `https://help.example.gov`); "
        "webhook signatures are checked against it, so they hold behind a proxy. Required in "
        "production with SMS; in development the request's own URL is used when unset.",
    )
    twilio_account_sid: str | None = Field(
        None, description="Twilio Account SID, for replies sent later through the REST API."
    )
    twilio_auth_token: SecretStr | None = Field(
        None,
        description="Twilio Auth Token: checks `X-Twilio-Signature` and authenticates REST "
        "calls. Required in production with SMS; development uses a fixed, public dev token.",
    )
    twilio_from_number: str | None = Field(
        None,
        description="Number replies sent later come from (E.164); default: the number the "
        "citizen wrote to.",
    )
    twilio_messaging_service_sid: str | None = Field(
        None,
        description="Twilio Messaging Service SID for SMS sent later; used instead of "
        "`CA_TWILIO_FROM_NUMBER` when set.",
    )
    twilio_api_base_url: str | None = Field(
        None,
        description="Base URL of Twilio's REST API; empty means Twilio's own. Only for a "
        "local fake API in tests and demos.",
    )
    sms_max_segments: int = Field(
        2,
        ge=1,
        le=10,
        description="Most SMS segments an answer and its source link may take; longer "
        "answers are cut at a sentence or word and link to the full answer.",
    )
    sms_reply_budget_seconds: float = Field(
        10.0,
        gt=0,
        le=14,
        description="Seconds a webhook waits for the answer before acknowledging at once "
        "and sending it later through the REST API (Twilio gives up after 15).",
    )
    phone_hash_key: SecretStr | None = Field(
        None,
        description="Secret key for the HMAC-SHA256 hash that stands in for phone numbers "
        "in the database; required in production with SMS (a fixed dev key otherwise).",
    )
    contact_encryption_key: SecretStr | None = Field(
        None,
        description="Secret from which the key encrypting citizens' SMS and WhatsApp numbers "
        "is derived (HKDF-SHA256, then Fernet); a number is kept only so a caseworker's reply "
        "can be sent by text. Required in production with SMS (a fixed dev key otherwise).",
    )
    sms_delivery_backoff_seconds: tuple[float, ...] = Field(
        (1.0, 4.0, 16.0),
        max_length=10,
        description="Seconds to wait before each new try when a caseworker's reply by text "
        "fails for a passing reason (Twilio 5xx or 429, network); as many retries as values. "
        "A JSON list in the environment, e.g. [1, 4, 16].",
    )

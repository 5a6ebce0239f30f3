"""Protection settings: rate limits, sign-in lockout, and how much of a request is read.

A limit is written as the ``limits`` library parses it: ``"60/minute"``,
``"30 per 15 minutes"``, several separated by ``;`` (``"10/second;60/minute"``).
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, field_validator


def _parse(value: str) -> str:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError as error:
        raise ValueError(
            f"{value!r} is not a rate limit; write it like '60/minute' or '30 per 15 minutes'"
        ) from error
    return value


class ProtectionSettings(BaseModel):
    """Throttling and request limits, shared across replicas through Redis when set."""

    chat_rate_per_address: str = Field(
        "60/minute",
        description="Citizen requests (chat, callback, rating, feedback) one client address "
        "may send; past it 429 with Retry-After. Behind a proxy, run uvicorn with "
        "--proxy-headers so the address is the citizen's.",
    )
    chat_rate_per_conversation: str = Field(
        "20/minute", description="Citizen requests one conversation may send."
    )
    sms_rate_per_address: str = Field(
        "20/minute", description="Texts one phone number may send (checked after the signature)."
    )
    handoffs_per_address: str = Field(
        "5/hour",
        description="Requests for a person one client address may open; past it the citizen "
        "is given the phone number instead of another place in the queue.",
    )
    sign_in_failures_per_account: str = Field(
        "30/hour",
        description="Wrong passwords for one account before it is locked (429 until the "
        "window passes or an admin unlocks it).",
    )
    sign_in_failures_per_address: str = Field(
        "30/hour",
        description="Wrong passwords from one client address before it is locked.",
    )
    password_hash_concurrency: int = Field(
        2,
        ge=1,
        le=64,
        description="Password checks (Argon2, about 50 ms of CPU and 64 MB each) run at "
        "once, on their own threads at the lowest CPU priority; the rest wait, so a flood of "
        "sign-ins cannot starve citizens' turns.",
    )
    request_body_max_kb: int = Field(
        256,
        ge=1,
        description="Largest request body outside editors' uploads and drafts (413 past it, "
        "counted while it arrives).",
    )
    request_header_max_kb: int = Field(
        16,
        ge=1,
        le=1024,
        description="Largest request head, all headers together: `serve` stops reading "
        "past it (400), the app refuses it (431) under any other server.",
    )
    log_hash_key: SecretStr | None = Field(
        None,
        description="Key of the short hash that stands in for session ids and answer tokens "
        "in logs; set the same on every replica to match lines across them. Default: a "
        "random key per process.",
    )

    @field_validator(
        "chat_rate_per_address",
        "chat_rate_per_conversation",
        "sms_rate_per_address",
        "handoffs_per_address",
        "sign_in_failures_per_account",
        "sign_in_failures_per_address",
    )
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        return _parse(value)

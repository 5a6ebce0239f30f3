"""Security and privacy settings: staff sign-ins, their cookie, and how long conversations
are kept."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SecuritySettings(BaseModel):
    """Staff sessions, the cookie they ride on, and conversation retention."""

    staff_session_hours: float = Field(
        8.0, gt=0, le=24 * 30, description="How long a staff sign-in lasts."
    )
    retention_days: int = Field(
        365, ge=1, description="Conversations older than this are deleted by `retention run`."
    )
    secure_cookies: bool = Field(
        False,
        description="Send the staff cookie only over HTTPS (turn on behind TLS; required in "
        "production).",
    )

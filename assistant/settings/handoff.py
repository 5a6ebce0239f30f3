"""Handoff settings: when caseworkers are there, how the queue is estimated, and which team
takes a conversation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, field_validator

if TYPE_CHECKING:
    from assistant.hours import OpeningHours


class HandoffSettings(BaseModel):
    """People: staffed hours, the queue, and routing to teams."""

    staff_hours: str = Field(
        "Mon-Fri 08:00-18:00",
        description="When caseworkers take conversations, e.g. 'Mon-Fri 08:00-18:00; "
        "Sat 09:00-12:00', or 'always'. Outside them citizens can leave a message.",
    )
    staff_timezone: str = Field(
        "America/New_York", description="Time zone of the staffed hours (IANA name)."
    )
    staff_online_minutes: int = Field(
        10,
        ge=1,
        description="A caseworker counts as online if their console was seen this recently.",
    )
    handoff_minutes_per_case: float = Field(
        6.0, gt=0, description="Minutes of expected wait per conversation ahead in the queue."
    )
    typing_interval_seconds: float = Field(
        3.0,
        gt=0,
        le=60,
        description="A typing indicator is passed on at most this often per conversation "
        "(citizen to caseworker and back); nothing of it is stored.",
    )
    repeat_similarity: float = Field(
        0.92,
        ge=0,
        le=1,
        description="How alike two citizen messages must be to count as asking the same "
        "question again (a sign of frustration).",
    )
    default_team: str = Field("General", description="Team that takes unrouted handoffs.")
    team_routes: dict[str, str] = Field(
        default_factory=dict,
        description="Topic or agency -> caseworker team, as JSON, e.g. "
        '{"driver-licenses": "DMV", "Westmark Department of Human Services": "Benefits"}.',
    )

    @field_validator("staff_hours")
    @classmethod
    def _hours_readable(cls, value: str) -> str:
        from assistant.hours import OpeningHours

        OpeningHours.parse(value, "UTC")
        return value

    @property
    def opening_hours(self) -> OpeningHours:
        from assistant.hours import OpeningHours

        return OpeningHours.parse(self.staff_hours, self.staff_timezone)

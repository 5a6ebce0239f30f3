"""What callers get of a handoff: a frozen view of its row, with who holds it and its
place in line, and the part of it a citizen may see; and what the caseworker's actions
answer with.

The ``…Out`` models are the staff API's response models (``channels/web/staff.py`` names
them): frozen pydantic models that mirror the JSON the API has always sent, key for key
and in order, so a route hands them on as they are. A docstring on one is its
description in the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from assistant.handoffs.wait import expected_wait_minutes, queue_position
from assistant.models import Handoff, User, aware, utcnow
from assistant.staff import Role, StaffUser, StaffUserOut


class _Out(BaseModel):
    # Frozen: a view is a value, as the editor desk's (assistant/editorial/views.py).
    model_config = ConfigDict(frozen=True, from_attributes=True)


class HandoffSummaryOut(_Out):
    id: str
    conversation_id: str
    state: str = Field(description="waiting, claimed, resolved, returned or callback_requested.")
    reason: str = Field(description="The first reason: crisis, frustration, requested ...")
    reasons: list[str]
    priority: int = Field(description="Higher is served first (crisis 100).")
    team: str | None
    channel: str
    claimed_by: StaffUserOut | None
    position: int | None
    created_at: str
    updated_at: str
    waiting_seconds: int
    summary: str
    callback_contact: str | None
    rating: int | None


class NoteOut(_Out):
    text: str
    author: str
    at: str


class SentMessageOut(_Out):
    """A caseworker's reply as stored (its delivery is reported later on /ws/staff)."""

    id: int
    seq: int = Field(description="Its number within the conversation.")
    role: str
    text: str
    author: str | None
    at: str
    status: str | None
    citations: list[dict[str, Any]]  # the stored citations: a JSON document, passed through
    delivery_status: str | None
    delivery_error: str | None


@dataclass(frozen=True, slots=True)
class HandoffView:
    id: str
    conversation_id: str
    state: str
    reason: str
    reasons: tuple[str, ...]
    priority: int
    team: str | None
    channel: str
    claimed_by: StaffUser | None
    position: int | None
    created_at: datetime
    updated_at: datetime
    summary: str
    callback_contact: str | None
    rating: int | None
    rating_comment: str | None

    def out(self) -> HandoffSummaryOut:
        """What the staff API shows of it (how long it has waited is counted now)."""
        return HandoffSummaryOut(
            id=self.id,
            conversation_id=self.conversation_id,
            state=self.state,
            reason=self.reason,
            reasons=list(self.reasons),
            priority=self.priority,
            team=self.team,
            channel=self.channel,
            claimed_by=StaffUserOut.model_validate(self.claimed_by) if self.claimed_by else None,
            position=self.position,
            created_at=self.created_at.isoformat(),
            updated_at=self.updated_at.isoformat(),
            waiting_seconds=int((utcnow() - self.created_at).total_seconds()),
            summary=self.summary,
            callback_contact=self.callback_contact,
            rating=self.rating,
        )

    def to_json(self) -> dict[str, Any]:
        # A dict on purpose: the payload of the console's handoff events, published on the
        # event bus (and over Redis) as JSON; the same keys and values as out().
        return self.out().model_dump(mode="json")

    def citizen_json(self, *, minutes_per_case: float) -> dict[str, Any]:
        """What the citizen may see of their own handoff."""
        # A dict on purpose: the payload of the chat's handoff events (and the WebSocket's
        # greeting); the citizen's HTTP answers read it through CitizenHandoff.
        return {
            "id": self.id,
            "state": self.state,
            "position": self.position,
            "expected_wait_minutes": expected_wait_minutes(self.position, minutes_per_case),
        }


def view_of(
    session: Session, row: Handoff, *, places: Mapping[str, int] | None = None
) -> HandoffView:
    """The handoff as staff see it; ``places`` (``waiting_places``), when a list of them is
    built, saves a query per handoff for its place in line."""
    holder = session.get(User, row.claimed_by) if row.claimed_by else None
    return HandoffView(
        id=row.id,
        conversation_id=row.conversation_id,
        state=row.state,
        reason=row.reason,
        reasons=tuple(row.reasons or ()),
        priority=row.priority,
        team=row.team,
        channel=row.channel,
        claimed_by=StaffUser(
            id=holder.id,
            username=holder.username,
            display_name=holder.display_name,
            role=Role(holder.role),
            teams=tuple(holder.teams or ()),
        )
        if holder
        else None,
        position=queue_position(session, row) if places is None else places.get(row.id),
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        summary=row.summary,
        callback_contact=row.callback_contact,
        rating=row.rating,
        rating_comment=row.rating_comment,
    )

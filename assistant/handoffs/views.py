"""What callers get of a handoff: a frozen view of its row, with who holds it and its
place in line, and the part of it a citizen may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from assistant.handoffs.wait import expected_wait_minutes, queue_position
from assistant.models import Handoff, User, aware, utcnow
from assistant.staff import Role, StaffUser


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

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "state": self.state,
            "reason": self.reason,
            "reasons": list(self.reasons),
            "priority": self.priority,
            "team": self.team,
            "channel": self.channel,
            "claimed_by": self.claimed_by.to_json() if self.claimed_by else None,
            "position": self.position,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "waiting_seconds": int((utcnow() - self.created_at).total_seconds()),
            "summary": self.summary,
            "callback_contact": self.callback_contact,
            "rating": self.rating,
        }

    def citizen_json(self, *, minutes_per_case: float) -> dict[str, Any]:
        """What the citizen may see of their own handoff."""
        return {
            "id": self.id,
            "state": self.state,
            "position": self.position,
            "expected_wait_minutes": expected_wait_minutes(self.position, minutes_per_case),
        }


def view_of(session: Session, row: Handoff) -> HandoffView:
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
        position=queue_position(session, row),
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        summary=row.summary,
        callback_contact=row.callback_contact,
        rating=row.rating,
        rating_comment=row.rating_comment,
    )

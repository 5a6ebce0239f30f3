"""The wait estimate a citizen is shown: their place in line and the minutes it means.

The line is ordered as caseworkers take from it: most urgent first, then oldest first.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from assistant.handoffs.states import OPEN_STATES, WAITING_STATES
from assistant.models import Handoff


def queue_position(session: Session, row: Handoff) -> int | None:
    """1 for the next conversation a caseworker takes; None for one not waiting."""
    if row.state not in WAITING_STATES:
        return None
    ahead = session.scalars(
        select(Handoff.id).where(
            Handoff.state.in_(WAITING_STATES),
            or_(
                Handoff.priority > row.priority,
                (Handoff.priority == row.priority) & (Handoff.created_at < row.created_at),
            ),
        )
    ).all()
    return len(ahead) + 1


def line(session: Session) -> list[tuple[str, str, str]]:
    """Every open handoff as ``(id, conversation id, state)``, the waiting ones first in
    the order caseworkers take them: one query for the whole line, where asking each
    handoff for its own place cost a query per handoff (839 waiting made each change take
    0.6-1 s). A waiting handoff's place is its index + 1."""
    rows = session.execute(
        select(Handoff.id, Handoff.conversation_id, Handoff.state)
        .where(Handoff.state.in_(OPEN_STATES))
        .order_by(
            Handoff.state.not_in(WAITING_STATES),  # False (waiting) sorts first
            Handoff.priority.desc(),
            Handoff.created_at,
        )
    ).all()
    return [(r.id, r.conversation_id, r.state) for r in rows]


def expected_wait_minutes(position: int | None, minutes_per_case: float) -> int | None:
    return round(position * minutes_per_case) if position else None

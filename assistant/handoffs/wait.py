"""The wait estimate a citizen is shown: their place in line and the minutes it means.

The line is ordered as caseworkers take from it: live chats before call-backs left out of
hours (a citizen on the page is waiting now; a call-back is answered later), then most
urgent first, then oldest first. So a live chat's place counts only the live chats ahead of
it; a call-back's counts every live chat and the call-backs ahead of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from assistant.handoffs.states import LIVE_STATE, WAITING_STATES
from assistant.models import Handoff

#: The order caseworkers take waiting handoffs in (``ORDER BY`` terms): the one place it
#: is written, so the places shown and the conversation "take next" picks agree.
TAKE_ORDER: tuple[Any, ...] = (
    case((Handoff.state == LIVE_STATE, 0), else_=1),
    Handoff.priority.desc(),
    Handoff.created_at,
)


def _ahead_of(priority: int, created_at: datetime) -> Any:
    """Handoffs of the same kind (live, or call-back) that are taken before this place."""
    return or_(
        Handoff.priority > priority,
        (Handoff.priority == priority) & (Handoff.created_at < created_at),
    )


def queue_position(session: Session, row: Handoff) -> int | None:
    """1 for the next conversation a caseworker takes; None for one not waiting."""
    if row.state not in WAITING_STATES:
        return None
    # Counted by the database: the ids ahead are not fetched (800 waiting: 800 rows a look).
    same_kind_ahead = (Handoff.state == row.state) & _ahead_of(row.priority, row.created_at)
    ahead = (
        same_kind_ahead
        if row.state == LIVE_STATE
        else or_(Handoff.state == LIVE_STATE, same_kind_ahead)  # a call-back: live chats first
    )
    count = session.scalar(select(func.count()).select_from(Handoff).where(ahead))
    return int(count or 0) + 1


def waiting_places(session: Session) -> dict[str, int]:
    """Every waiting handoff's place in line, from one query (a list of 839 waiting took
    1.2 s asking each handoff for its own)."""
    ids = session.scalars(
        select(Handoff.id).where(Handoff.state.in_(WAITING_STATES)).order_by(*TAKE_ORDER)
    ).all()
    return {handoff_id: place for place, handoff_id in enumerate(ids, start=1)}


def line_from(
    session: Session, *, priority: int, created_at: datetime
) -> tuple[int, list[tuple[str, str, str]]]:
    """The live chats from a place in their line on, as ``(id, conversation id, state)``
    in the order caseworkers take them, and how many live chats wait ahead of that place.

    A change to one live chat (it joins the line, leaves it) moves only the live chats
    behind it: the ones ahead keep their places, and call-backs (taken after every live
    chat, their citizens shown no place) are not told. Two queries, whatever the change;
    asking each handoff for its own place cost a query per handoff (839 waiting made each
    change take 0.6-1 s), and telling the whole line of every change cost a published
    event per waiting citizen even when nobody moved (800 waiting: 812 events, 116 ms
    through Redis, for one handoff joining at the back).
    """
    live = Handoff.state == LIVE_STATE
    behind = or_(
        Handoff.priority < priority,
        (Handoff.priority == priority) & (Handoff.created_at >= created_at),
    )
    ahead = session.scalar(select(func.count()).select_from(Handoff).where(live, ~behind))
    rows = session.execute(
        select(Handoff.id, Handoff.conversation_id, Handoff.state)
        .where(live, behind)
        .order_by(Handoff.priority.desc(), Handoff.created_at)
    ).all()
    return int(ahead or 0), [(r.id, r.conversation_id, r.state) for r in rows]


def expected_wait_minutes(position: int | None, minutes_per_case: float) -> int | None:
    return round(position * minutes_per_case) if position else None

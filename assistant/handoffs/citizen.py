"""The citizen's side of the handoff queue: asking for a person, writing while waiting or
talking to one, and rating the conversation afterwards.
"""

from __future__ import annotations

import secrets
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError

from assistant.events import STAFF_TOPIC
from assistant.handoffs.base import QueueBase
from assistant.handoffs.states import LIVE_STATE, OPEN_STATES, HandoffError, NotFoundError
from assistant.handoffs.views import HandoffView, view_of
from assistant.models import Handoff, utcnow
from assistant.redaction import redact

_handoffs = cast(Table, Handoff.__table__)
# Asked on every turn: built once (see assistant/store.py).
_OPEN_HANDOFF_EXISTS = (
    select(_handoffs.c.id)
    .where(
        _handoffs.c.conversation_id == bindparam("conversation_id"),
        _handoffs.c.state.in_(OPEN_STATES),
    )
    .limit(1)
)


class CitizenSide(QueueBase):
    def open_for(self, conversation_id: str) -> HandoffView | None:
        # Asked on every turn, almost always of a conversation without a handoff: a
        # one-column read first, the full view only when there is one.
        with self.engine.connect() as connection:
            found = connection.execute(
                _OPEN_HANDOFF_EXISTS, {"conversation_id": conversation_id}
            ).first()
        if found is None:
            return None
        with self._sessions() as session:
            row = session.scalars(
                select(Handoff)
                .where(Handoff.conversation_id == conversation_id, Handoff.state.in_(OPEN_STATES))
                .order_by(Handoff.created_at.desc())
            ).first()
            return view_of(session, row) if row else None

    def open(
        self,
        *,
        conversation_id: str,
        channel: str,
        reasons: list[str],
        priority: int,
        summary: str,
        team: str | None,
        state: str = "waiting",
        callback_contact: str | None = None,
        language: str | None = None,
    ) -> HandoffView:
        """Queue a conversation for a caseworker (or return the one already open)."""
        existing = self.open_for(conversation_id)
        if existing is not None:
            return existing
        now = utcnow()
        row = Handoff(
            id=secrets.token_hex(8),
            conversation_id=conversation_id,
            state=state,
            reason=reasons[0],
            reasons=reasons,
            priority=priority,
            team=team,
            channel=channel,
            language=language,
            summary=summary,
            callback_contact=callback_contact,
            created_at=now,
            updated_at=now,
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            # Another request (on any replica) opened one between our look and our insert:
            # the partial unique index kept it to one, and that one is the citizen's.
            raced = self.open_for(conversation_id)
            if raced is None:  # pragma: no cover - the winner closed it already
                raise
            return raced
        self.staff.audit(
            actor=None,
            action="handoff.open",
            target=row.id,
            detail={"reasons": reasons, "team": team},
        )
        view = self.get(row.id)
        self._announce(view, created=True)
        return view

    def set_language(self, handoff: HandoffView, language: str) -> HandoffView:
        """The citizen chose another language while a person has (or will take) the
        conversation: the console shows it (its badge and facts), so replies follow it."""
        if handoff.language == language:
            return handoff
        with self._sessions.begin() as session:
            row = session.get(Handoff, handoff.id)
            if row is None:  # pragma: no cover - handoffs are never deleted while open
                return handoff
            row.language = language
            row.updated_at = utcnow()
        view = self.get(handoff.id)
        self._announce(view, was_waiting=view.state == LIVE_STATE)  # its place is unchanged
        return view

    def citizen_wrote(self, handoff: HandoffView, message: dict[str, Any]) -> None:
        """Pass a citizen's message to whoever holds (or will take) the conversation."""
        self.events.publish(
            STAFF_TOPIC, {"type": "message", "handoff_id": handoff.id, "message": message}
        )

    def rate(self, conversation_id: str, *, rating: int, comment: str | None) -> HandoffView:
        if not 1 <= rating <= 5:
            raise HandoffError("Please choose a rating from 1 to 5.")
        with self._sessions.begin() as session:
            row = session.scalars(
                select(Handoff)
                .where(Handoff.conversation_id == conversation_id, Handoff.state == "resolved")
                .order_by(Handoff.resolved_at.desc())
            ).first()
            if row is None:
                raise NotFoundError("There is no finished conversation with a person to rate.")
            row.rating = rating
            row.rating_comment = redact(comment).text[:2000] if comment else None
            row.updated_at = utcnow()
            handoff_id = row.id
        view = self.get(handoff_id)
        self.events.publish(STAFF_TOPIC, {"type": "handoff.updated", "handoff": view.to_json()})
        return view

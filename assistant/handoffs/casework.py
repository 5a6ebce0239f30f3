"""The caseworker's side of the handoff queue: the lists, claiming, replying, notes,
transfers, and closing a conversation.

Claiming is one conditional UPDATE (``… WHERE state = 'waiting'``), so of any number of
concurrent claims exactly one changes a row — on SQLite and PostgreSQL alike. Taking
the next waiting conversation uses ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update

from assistant.events import STAFF_TOPIC, chat_topic
from assistant.handoffs.base import QueueBase
from assistant.handoffs.states import (
    LIVE_STATE,
    OPEN_STATES,
    VIEWS,
    WAITING_STATES,
    AlreadyClaimedError,
    HandoffError,
    NotFoundError,
    NotHolderError,
)
from assistant.handoffs.views import HandoffView, NoteOut, SentMessageOut, view_of
from assistant.handoffs.wait import TAKE_ORDER, waiting_places
from assistant.models import (
    Conversation,
    Handoff,
    HandoffNote,
    Message,
    User,
    aware,
    utcnow,
)
from assistant.redaction import redact
from assistant.staff import Role, StaffUser


class Casework(QueueBase):
    def in_view(self, view: str, user: StaffUser) -> list[HandoffView]:
        if view not in VIEWS:
            raise HandoffError(f"Unknown view {view!r}.")
        with self._sessions() as session:
            query = select(Handoff)
            if view == "waiting":
                query = query.where(Handoff.state.in_(WAITING_STATES))
                if user.teams and user.role is not Role.ADMIN:
                    query = query.where(
                        or_(
                            Handoff.team.in_(user.teams),
                            Handoff.team.is_(None),
                            Handoff.team == "General",
                        )
                    )
                query = query.order_by(*TAKE_ORDER)
            elif view == "mine":
                query = query.where(Handoff.state == "claimed", Handoff.claimed_by == user.id)
                query = query.order_by(Handoff.updated_at.desc())
            elif view == "active":
                query = query.where(Handoff.state.in_(OPEN_STATES))
                query = query.order_by(Handoff.priority.desc(), Handoff.created_at)
            else:
                query = query.where(Handoff.state.in_(("resolved", "returned")))
                query = query.order_by(Handoff.updated_at.desc()).limit(200)
            places = waiting_places(session) if view in ("waiting", "active") else {}
            return [view_of(session, row, places=places) for row in session.scalars(query)]

    def search(
        self,
        *,
        text: str | None = None,
        reference: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        team: str | None = None,
        state: str | None = None,
        limit: int = 50,
    ) -> list[HandoffView]:
        """Handoffs, newest first, matching every criterion given.

        ``text`` is looked for in what was said (stored redacted, so a search never finds
        personal data the citizen typed) and in the summary, case aside; ``reference`` is
        the handoff id the citizen was shown, or its start; dates bound when it opened.
        """
        query = select(Handoff)
        if text and text.strip():
            pattern = f"%{_like_escaped(text.strip())}%"
            said = (
                select(Message.id)
                .where(
                    Message.conversation_id == Handoff.conversation_id,
                    Message.role.in_(("citizen", "caseworker")),
                    Message.text.ilike(pattern, escape="\\"),
                )
                .exists()
            )
            query = query.where(or_(said, Handoff.summary.ilike(pattern, escape="\\")))
        if reference and reference.strip():
            query = query.where(
                Handoff.id.like(f"{_like_escaped(reference.strip().lower())}%", escape="\\")
            )
        if since is not None:
            query = query.where(Handoff.created_at >= since)
        if until is not None:
            query = query.where(Handoff.created_at < until)
        if team:
            query = query.where(Handoff.team == team)
        if state:
            query = query.where(Handoff.state == state)
        query = query.order_by(Handoff.created_at.desc(), Handoff.id).limit(limit)
        with self._sessions() as session:
            return [view_of(session, row) for row in session.scalars(query)]

    def earlier(self, handoff_id: str, *, limit: int = 20) -> list[HandoffView]:
        """The same citizen's other handoffs, newest first: in the same web conversation, or
        from the same texted number (its keyed hash; the number itself is not stored)."""
        with self._sessions() as session:
            row = session.get(Handoff, handoff_id)
            if row is None:
                raise NotFoundError("That conversation does not exist.")
            conversation = session.get(Conversation, row.conversation_id)
            same = [Handoff.conversation_id == row.conversation_id]
            if conversation is not None and conversation.conversation_key:
                same.append(
                    Handoff.conversation_id.in_(
                        select(Conversation.id).where(
                            Conversation.channel == conversation.channel,
                            Conversation.conversation_key == conversation.conversation_key,
                        )
                    )
                )
            rows = session.scalars(
                select(Handoff)
                .where(or_(*same), Handoff.id != row.id)
                .order_by(Handoff.created_at.desc(), Handoff.id)
                .limit(limit)
            )
            return [view_of(session, other) for other in rows]

    def queue_figures(self) -> tuple[dict[str, int], float]:
        """Open handoffs by state, and how long the longest-waiting citizen has waited (s)."""
        with self._sessions() as session:
            rows = session.execute(
                select(Handoff.state, func.count(), func.min(Handoff.created_at))
                .where(Handoff.state.in_(OPEN_STATES))
                .group_by(Handoff.state)
            ).all()
        counts = dict.fromkeys(OPEN_STATES, 0)
        oldest = None
        for state, count, first in rows:
            counts[state] = int(count)
            if state in WAITING_STATES and first is not None:
                oldest = min(oldest or aware(first), aware(first))
        return counts, (utcnow() - oldest).total_seconds() if oldest else 0.0

    def notes(self, handoff_id: str) -> list[NoteOut]:
        with self._sessions() as session:
            rows = session.execute(
                select(HandoffNote, User.display_name)
                .join(User, User.id == HandoffNote.author_id)
                .where(HandoffNote.handoff_id == handoff_id)
                .order_by(HandoffNote.id)
            ).all()
            return [
                NoteOut(text=n.text, author=name, at=aware(n.created_at).isoformat())
                for n, name in rows
            ]

    def claim(self, handoff_id: str, user: StaffUser) -> HandoffView:
        with self._sessions.begin() as session:
            # A live chat leaving the line moves those behind it; a call-back moves nobody.
            was_live = session.scalar(select(Handoff.state).where(Handoff.id == handoff_id))
            result = session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.state.in_(WAITING_STATES))
                .values(
                    state="claimed",
                    claimed_by=user.id,
                    updated_at=utcnow(),
                    # The first claim ends the citizen's wait; one after a transfer does not.
                    claimed_at=func.coalesce(Handoff.claimed_at, utcnow()),
                )
                .execution_options(synchronize_session=False)
            )
            claimed = result.rowcount == 1  # type: ignore[attr-defined]
        view = self.get(handoff_id)
        if not claimed:
            if view.claimed_by and view.claimed_by.id == user.id and view.state == "claimed":
                return view
            holder = view.claimed_by.display_name if view.claimed_by else "someone else"
            raise AlreadyClaimedError(f"Already taken by {holder}.")
        self.staff.audit(actor=user.username, action="handoff.claim", target=handoff_id)
        self._system_message(view, f"{user.display_name} has joined the conversation.")
        self._announce(view, was_waiting=was_live == LIVE_STATE, change={"change": "joined"})
        return view

    def claim_next(self, user: StaffUser) -> HandoffView | None:
        """Take the most urgent waiting conversation; concurrent callers get different ones."""
        with self._sessions.begin() as session:
            query = (
                select(Handoff)
                .where(Handoff.state.in_(WAITING_STATES))
                .order_by(*TAKE_ORDER)
                .limit(1)
            )
            if self.engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            # On SQLite the conditional UPDATE in claim() decides; a loser simply retries.
            row = session.scalars(query).first()
            if row is None:
                return None
            handoff_id = row.id
        try:
            return self.claim(handoff_id, user)
        except AlreadyClaimedError:
            return self.claim_next(user)

    def reply(self, handoff_id: str, user: StaffUser, text: str) -> SentMessageOut:
        view = self._held_by(handoff_id, user)
        # Sent as written: a caseworker's words (the office's number, its address) are not a
        # citizen's personal data, and "[PHONE]" would leave the citizen nowhere to call.
        clean = text.strip()
        if not clean:
            raise HandoffError("Write a reply first.")
        deliver = self.deliveries.get(view.channel)
        message = self._add_message(
            view.conversation_id,
            role="caseworker",
            text=clean,
            author=user.display_name,
            delivery_status="pending" if deliver is not None else None,
        )
        event = message.model_dump(mode="json")  # the events carry the same JSON as the API
        self.events.publish(chat_topic(view.conversation_id), {"type": "message", **event})
        self.events.publish(
            STAFF_TOPIC, {"type": "message", "handoff_id": view.id, "message": event}
        )
        if deliver is not None:  # after the message event, so its delivery events follow it
            deliver(view.conversation_id, clean, message_id=message.id, handoff_id=view.id)
        return message

    def add_note(self, handoff_id: str, user: StaffUser, text: str) -> NoteOut:
        self.get(handoff_id)
        clean = redact(text.strip()).text
        if not clean:
            raise HandoffError("Write a note first.")
        with self._sessions.begin() as session:
            session.add(HandoffNote(handoff_id=handoff_id, author_id=user.id, text=clean))
        self.staff.audit(actor=user.username, action="handoff.note", target=handoff_id)
        return NoteOut(text=clean, author=user.display_name, at=utcnow().isoformat())

    def transfer(
        self,
        handoff_id: str,
        user: StaffUser,
        *,
        team: str | None = None,
        to_username: str | None = None,
    ) -> HandoffView:
        view = self._open_for_action(
            handoff_id,
            user,
            closed="Only an open conversation can be transferred.",
            verb="transfer",
        )
        values: dict[str, Any] = {"updated_at": utcnow()}
        if to_username:
            colleague = self.staff.by_username(to_username)
            if colleague is None or colleague.role not in (Role.CASEWORKER, Role.ADMIN):
                raise HandoffError(f"There is no caseworker called {to_username!r}.")
            values.update(state="claimed", claimed_by=colleague.id)
            note = f"Transferred to {colleague.display_name}."
            # Handed from one caseworker to another; one still in line has simply been taken.
            change: dict[str, object] = {
                "change": "transferred" if view.state == "claimed" else "joined"
            }
        elif team:
            values.update(state=LIVE_STATE, claimed_by=None, team=team)
            note = f"Transferred to the {team} team."
            # Back in the live line (a caseworker let it go): the citizen is told to which
            # team, and their new place comes with it.
            change = {"change": "transferred", "team": team}
        else:
            raise HandoffError("Choose a team or a colleague.")
        with self._sessions.begin() as session:
            session.execute(update(Handoff).where(Handoff.id == handoff_id).values(**values))
        self.staff.audit(
            actor=user.username,
            action="handoff.transfer",
            target=handoff_id,
            detail={"team": team, "to": to_username},
        )
        was_waiting = view.state == LIVE_STATE
        view = self.get(handoff_id)
        self._system_message(view, note)
        self._announce(view, was_waiting=was_waiting, change=change)
        return view

    def resolve(self, handoff_id: str, user: StaffUser) -> HandoffView:
        return self._close(
            handoff_id,
            user,
            state="resolved",
            note=f"{user.display_name} marked this conversation as resolved.",
        )

    def return_to_assistant(self, handoff_id: str, user: StaffUser) -> HandoffView:
        return self._close(
            handoff_id,
            user,
            state="returned",
            note="You are talking to the automated assistant again.",
        )

    def _close(self, handoff_id: str, user: StaffUser, *, state: str, note: str) -> HandoffView:
        view = self._open_for_action(
            handoff_id, user, closed="This conversation is already closed.", verb="close"
        )
        now = utcnow()
        with self._sessions.begin() as session:
            session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id)
                .values(state=state, updated_at=now, resolved_at=now)
            )
        self.staff.audit(actor=user.username, action=f"handoff.{state}", target=handoff_id)
        was_waiting = view.state == LIVE_STATE
        view = self.get(handoff_id)
        self._system_message(view, note)
        self._announce(view, was_waiting=was_waiting)
        if state == "resolved":
            self.events.publish(
                chat_topic(view.conversation_id), {"type": "resolved", "id": view.id}
            )
        return view

    def _open_for_action(
        self, handoff_id: str, user: StaffUser, *, closed: str, verb: str
    ) -> HandoffView:
        """The handoff, if it is open and not held by a colleague (admins may act on any)."""
        view = self.get(handoff_id)
        if view.state not in OPEN_STATES:
            raise HandoffError(closed)
        held_by_other = view.claimed_by is not None and view.claimed_by.id != user.id
        if view.state == "claimed" and held_by_other and user.role is not Role.ADMIN:
            raise NotHolderError(f"Only the caseworker holding it can {verb} it.")
        return view

    def _held_by(self, handoff_id: str, user: StaffUser) -> HandoffView:
        view = self.get(handoff_id)
        if view.state != "claimed" or view.claimed_by is None or view.claimed_by.id != user.id:
            raise NotHolderError("Claim this conversation before replying.")
        return view


def _like_escaped(text: str) -> str:
    """``text`` for a LIKE pattern, its own % and _ matched literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

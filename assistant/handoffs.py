"""The handoff queue: conversations waiting for, held by, or resolved by a caseworker.

Claiming is one conditional UPDATE (``… WHERE state = 'waiting'``), so of any number of
concurrent claims exactly one changes a row — on SQLite and PostgreSQL alike. Taking
the next waiting conversation uses ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from assistant.events import STAFF_TOPIC, EventBus, chat_topic
from assistant.models import Conversation, Handoff, HandoffNote, Message, User, aware, utcnow
from assistant.redaction import redact
from assistant.staff import Role, Staff, StaffUser

log = logging.getLogger(__name__)

OPEN_STATES = ("waiting", "claimed", "callback_requested")
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
WAITING_STATES = ("waiting", "callback_requested")
VIEWS = ("waiting", "mine", "active", "resolved")


class HandoffError(Exception):
    """A handoff action that cannot be done; the message is fit to show a caseworker."""


class NotFoundError(HandoffError):
    pass


class AlreadyClaimedError(HandoffError):
    pass


class NotHolderError(HandoffError):
    pass


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
            "expected_wait_minutes": (
                round(self.position * minutes_per_case) if self.position else None
            ),
        }


class Delivery(Protocol):
    """Sends a caseworker's stored message to the citizen's channel (must return quickly)."""

    def __call__(
        self, conversation_id: str, text: str, *, message_id: int, handoff_id: str
    ) -> None: ...


class HandoffQueue:
    def __init__(
        self,
        engine: Engine,
        *,
        staff: Staff,
        events: EventBus,
        minutes_per_case: float = 6.0,
    ) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.staff = staff
        self.events = events
        self.minutes_per_case = minutes_per_case
        #: How a caseworker's reply reaches a citizen on channels other than the web page.
        self.deliveries: dict[str, Delivery] = {}

    # ---- reading -------------------------------------------------------------------
    def get(self, handoff_id: str) -> HandoffView:
        with self._sessions() as session:
            row = session.get(Handoff, handoff_id)
            if row is None:
                raise NotFoundError("That conversation does not exist.")
            return self._view(session, row)

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
            return self._view(session, row) if row else None

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
                query = query.order_by(Handoff.priority.desc(), Handoff.created_at)
            elif view == "mine":
                query = query.where(Handoff.state == "claimed", Handoff.claimed_by == user.id)
                query = query.order_by(Handoff.updated_at.desc())
            elif view == "active":
                query = query.where(Handoff.state.in_(OPEN_STATES))
                query = query.order_by(Handoff.priority.desc(), Handoff.created_at)
            else:
                query = query.where(Handoff.state.in_(("resolved", "returned")))
                query = query.order_by(Handoff.updated_at.desc()).limit(200)
            return [self._view(session, row) for row in session.scalars(query)]

    def notes(self, handoff_id: str) -> list[dict[str, Any]]:
        with self._sessions() as session:
            rows = session.execute(
                select(HandoffNote, User.display_name)
                .join(User, User.id == HandoffNote.author_id)
                .where(HandoffNote.handoff_id == handoff_id)
                .order_by(HandoffNote.id)
            ).all()
            return [
                {"text": n.text, "author": name, "at": aware(n.created_at).isoformat()}
                for n, name in rows
            ]

    # ---- the citizen's side ------------------------------------------------------------
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
            summary=summary,
            callback_contact=callback_contact,
            created_at=now,
            updated_at=now,
        )
        with self._sessions.begin() as session:
            session.add(row)
        self.staff.audit(
            actor=None,
            action="handoff.open",
            target=row.id,
            detail={"reasons": reasons, "team": team},
        )
        view = self.get(row.id)
        self._announce(view, created=True)
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

    # ---- the caseworker's side ---------------------------------------------------------
    def claim(self, handoff_id: str, user: StaffUser) -> HandoffView:
        with self._sessions.begin() as session:
            result = session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.state.in_(WAITING_STATES))
                .values(state="claimed", claimed_by=user.id, updated_at=utcnow())
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
        self._announce(view)
        return view

    def claim_next(self, user: StaffUser) -> HandoffView | None:
        """Take the most urgent waiting conversation; concurrent callers get different ones."""
        with self._sessions.begin() as session:
            query = (
                select(Handoff)
                .where(Handoff.state.in_(WAITING_STATES))
                .order_by(Handoff.priority.desc(), Handoff.created_at)
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

    def reply(self, handoff_id: str, user: StaffUser, text: str) -> dict[str, Any]:
        view = self._held_by(handoff_id, user)
        clean = redact(text.strip()).text
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
        self.events.publish(chat_topic(view.conversation_id), {"type": "message", **message})
        self.events.publish(
            STAFF_TOPIC, {"type": "message", "handoff_id": view.id, "message": message}
        )
        if deliver is not None:  # after the message event, so its delivery events follow it
            deliver(view.conversation_id, clean, message_id=message["id"], handoff_id=view.id)
        return message

    def add_note(self, handoff_id: str, user: StaffUser, text: str) -> dict[str, Any]:
        self.get(handoff_id)
        clean = redact(text.strip()).text
        if not clean:
            raise HandoffError("Write a note first.")
        with self._sessions.begin() as session:
            session.add(HandoffNote(handoff_id=handoff_id, author_id=user.id, text=clean))
        self.staff.audit(actor=user.username, action="handoff.note", target=handoff_id)
        return {"text": clean, "author": user.display_name, "at": utcnow().isoformat()}

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
            if colleague is None or colleague.role is Role.EDITOR:
                raise HandoffError(f"There is no caseworker called {to_username!r}.")
            values.update(state="claimed", claimed_by=colleague.id)
            note = f"Transferred to {colleague.display_name}."
        elif team:
            values.update(state="waiting", claimed_by=None, team=team)
            note = f"Transferred to the {team} team."
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
        view = self.get(handoff_id)
        self._system_message(view, note)
        self._announce(view)
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

    # ---- internals ---------------------------------------------------------------------
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
        view = self.get(handoff_id)
        self._system_message(view, note)
        self._announce(view)
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

    def _add_message(
        self,
        conversation_id: str,
        *,
        role: str,
        text: str,
        author: str | None = None,
        delivery_status: str | None = None,
    ) -> dict[str, Any]:
        now = utcnow()
        with self._sessions.begin() as session:
            row = Message(
                conversation_id=conversation_id,
                role=role,
                text=text,
                author=author,
                created_at=now,
                delivery_status=delivery_status,
            )
            session.add(row)
            session.flush()
            message_id = row.id
            conversation = session.get(Conversation, conversation_id)
            if conversation is not None:
                conversation.updated_at = now
        return {
            "id": message_id,
            "role": role,
            "text": text,
            "author": author,
            "at": now.isoformat(),
            "status": None,
            "citations": [],
            "delivery_status": delivery_status,
            "delivery_error": None,
        }

    def _system_message(self, view: HandoffView, text: str) -> None:
        message = self._add_message(view.conversation_id, role="system", text=text)
        self.events.publish(
            STAFF_TOPIC, {"type": "message", "handoff_id": view.id, "message": message}
        )

    def _announce(self, view: HandoffView, *, created: bool = False) -> None:
        self.events.publish(
            STAFF_TOPIC,
            {
                "type": "handoff.created" if created else "handoff.updated",
                "handoff": view.to_json(),
            },
        )
        # Everyone waiting may have moved up the queue.
        with self._sessions() as session:
            waiting = session.scalars(select(Handoff).where(Handoff.state.in_(OPEN_STATES)))
            for row in waiting:
                current = self._view(session, row)
                self.events.publish(
                    chat_topic(current.conversation_id),
                    {
                        "type": "handoff",
                        **current.citizen_json(minutes_per_case=self.minutes_per_case),
                    },
                )
        if view.state not in OPEN_STATES:
            self.events.publish(
                chat_topic(view.conversation_id),
                {"type": "handoff", **view.citizen_json(minutes_per_case=self.minutes_per_case)},
            )

    def _view(self, session: Session, row: Handoff) -> HandoffView:
        holder = session.get(User, row.claimed_by) if row.claimed_by else None
        position = None
        if row.state in WAITING_STATES:
            ahead = session.scalars(
                select(Handoff.id).where(
                    Handoff.state.in_(WAITING_STATES),
                    or_(
                        Handoff.priority > row.priority,
                        (Handoff.priority == row.priority) & (Handoff.created_at < row.created_at),
                    ),
                )
            ).all()
            position = len(ahead) + 1
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
            position=position,
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            summary=row.summary,
            callback_contact=row.callback_contact,
            rating=row.rating,
            rating_comment=row.rating_comment,
        )

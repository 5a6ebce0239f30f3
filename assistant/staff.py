"""Staff accounts (caseworker, editor, manager, admin), their sign-in sessions, and the audit log.

Passwords are hashed with Argon2 (argon2-cffi). A session is a random token in an
HttpOnly cookie; only its SHA-256 is stored, with an expiry and a CSRF token that every
state-changing request must echo in a header.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from assistant.events import EventBus
from assistant.models import AuditEntry, StaffSession, User, aware, utcnow


class Role(StrEnum):
    CASEWORKER = "caseworker"
    EDITOR = "editor"
    # Sees the analytics and the staffing forecast; handles no conversations, edits nothing.
    MANAGER = "manager"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class StaffUser:
    id: int
    username: str
    display_name: str
    role: Role
    teams: tuple[str, ...]


class _View(BaseModel):
    # Frozen: a view is a value. ``from_attributes``: read from the dataclasses above.
    model_config = ConfigDict(frozen=True, from_attributes=True)


# The staff API's response models (a docstring here would change the OpenAPI schema).


class StaffUserOut(_View):
    # A staff account as the staff API and the console's events show it (no secrets).
    id: int
    username: str
    display_name: str
    role: Role
    teams: list[str]


class AuditEntryOut(_View):
    at: str
    actor: str | None
    action: str
    target: str | None
    detail: dict[str, Any] | None  # stored as given: a JSON document of the action's own


#: One validation call for the whole list of rows (cheaper than one model per row).
_AUDIT_ENTRIES = TypeAdapter(list[AuditEntryOut])


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: StaffUser
    token: str  # goes in the cookie, never stored
    csrf_token: str
    expires_at: datetime | None = None

    @property
    def token_hash(self) -> str:
        return _digest(self.token)


#: Where ended sign-ins are announced, so that whatever the session holds open (the
#: console's WebSocket) closes at once: ``{"type": "session.ended", "session": token
#: hash}`` for one sign-in, ``{"type": "user.changed", "user_id": id}`` for all of a
#: user's (their role changed or the account was removed). Never relayed to a page.
STAFF_SESSIONS_TOPIC = "staff.sessions"


def session_ended(event: dict[str, Any], signed: SignedIn) -> bool:
    """Whether an event on ``STAFF_SESSIONS_TOPIC`` ends this sign-in."""
    if event.get("type") == "session.ended":
        return bool(event.get("session") == signed.token_hash)
    return event.get("type") == "user.changed" and event.get("user_id") == signed.user.id


def password_check_pool(size: int) -> ThreadPoolExecutor:
    """Threads for Argon2 at the lowest CPU priority (Linux sets it per thread, and the
    hash's own lane threads inherit it): under a flood of sign-ins the cores still go to
    citizens' turns first, and at most ``size`` hashes (64 MB each) are in memory."""
    return ThreadPoolExecutor(
        max_workers=size, thread_name_prefix="password-check", initializer=_lowest_priority
    )


def _lowest_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not Linux: ordinary priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class UserExistsError(ValueError):
    pass


def _user(row: User) -> StaffUser:
    return StaffUser(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        teams=tuple(row.teams or ()),
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Staff:
    """Users, sessions and the audit log over one database."""

    def __init__(
        self, engine: Engine, *, session_hours: float = 8.0, events: EventBus | None = None
    ) -> None:
        if session_hours <= 0:
            raise ValueError("session_hours must be positive")
        self.events = events
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.session_lifetime = timedelta(hours=session_hours)
        self._hasher = PasswordHasher()
        # Verifying against a real hash for unknown users keeps sign-in timing uniform.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    def create(
        self,
        *,
        username: str,
        password: str,
        role: Role | str,
        display_name: str | None = None,
        teams: list[str] | tuple[str, ...] = (),
    ) -> StaffUser:
        if len(password) < 10:
            raise ValueError("passwords must be at least 10 characters")
        row = User(
            username=username.strip().lower(),
            display_name=display_name or username,
            role=str(Role(role)),
            password_hash=self._hasher.hash(password),
            teams=list(teams),
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError as error:
            raise UserExistsError(f"a user named {username!r} already exists") from error
        self.audit(actor=None, action="user.create", target=row.username, detail={"role": row.role})
        return _user(row)

    def users(self, *, role: Role | None = None) -> list[StaffUser]:
        with self._sessions() as session:
            query = select(User).where(User.active.is_(True)).order_by(User.username)
            if role is not None:
                query = query.where(User.role == str(role))
            return [_user(u) for u in session.scalars(query)]

    def get(self, user_id: int) -> StaffUser | None:
        with self._sessions() as session:
            row = session.get(User, user_id)
            return _user(row) if row is not None and row.active else None

    def by_username(self, username: str) -> StaffUser | None:
        with self._sessions() as session:
            row = session.scalars(select(User).where(User.username == username.lower())).first()
            return _user(row) if row is not None and row.active else None

    def sign_in(self, username: str, password: str) -> SignedIn | None:
        with self._sessions() as session:
            row = session.scalars(
                select(User).where(User.username == username.strip().lower(), User.active)
            ).first()
        try:
            self._hasher.verify(row.password_hash if row else self._decoy, password)
        except (VerificationError, InvalidHashError):
            self.audit(actor=None, action="staff.sign_in_failed", target=username[:64])
            return None
        if row is None:  # pragma: no cover - the decoy never verifies
            return None
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = utcnow()
        with self._sessions.begin() as session:
            session.add(
                StaffSession(
                    token_hash=_digest(token),
                    user_id=row.id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + self.session_lifetime,
                    last_seen=now,
                )
            )
        self.audit(actor=row.username, action="staff.sign_in")
        return SignedIn(
            user=_user(row),
            token=token,
            csrf_token=csrf,
            expires_at=now + self.session_lifetime,
        )

    def session(self, token: str | None) -> SignedIn | None:
        """The signed-in user for a cookie token, if the session is live; marks it seen."""
        if not token:
            return None
        with self._sessions.begin() as session:
            row = session.get(StaffSession, _digest(token))
            if row is None or aware(row.expires_at) <= utcnow():
                return None
            row.last_seen = utcnow()
            user = session.get(User, row.user_id)
            if user is None or not user.active:
                return None
            return SignedIn(
                user=_user(user),
                token=token,
                csrf_token=row.csrf_token,
                expires_at=aware(row.expires_at),
            )

    def sign_out(self, token: str) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))
        self._announce({"type": "session.ended", "session": _digest(token)})

    def set_role(self, username: str, role: Role | str, *, actor: str | None) -> StaffUser:
        """Give an account another role; its sign-ins end (they were granted for the old)."""
        with self._sessions.begin() as session:
            row = self._active_row(session, username)
            before, row.role = row.role, str(Role(role))
            session.execute(delete(StaffSession).where(StaffSession.user_id == row.id))
        self.audit(
            actor=actor,
            action="user.set_role",
            target=row.username,
            detail={"from": before, "to": row.role},
        )
        self._announce({"type": "user.changed", "user_id": row.id})
        return _user(row)

    def remove(self, username: str, *, actor: str | None) -> None:
        """Deactivate an account (its history keeps its name) and end its sign-ins."""
        with self._sessions.begin() as session:
            row = self._active_row(session, username)
            row.active = False
            session.execute(delete(StaffSession).where(StaffSession.user_id == row.id))
        self.audit(actor=actor, action="user.remove", target=row.username)
        self._announce({"type": "user.changed", "user_id": row.id})

    def _active_row(self, session: Session, username: str) -> User:
        row = session.scalars(
            select(User).where(User.username == username.strip().lower(), User.active)
        ).first()
        if row is None:
            raise LookupError(f"no active user named {username!r}")
        return row

    def _announce(self, event: dict[str, Any]) -> None:
        if self.events is not None:
            self.events.publish(STAFF_SESSIONS_TOPIC, event)

    def caseworkers_online(self, *, within: timedelta) -> int:
        """Caseworkers whose console has been seen recently."""
        since = utcnow() - within
        with self._sessions() as session:
            rows = session.execute(
                select(StaffSession.user_id, StaffSession.last_seen, StaffSession.expires_at)
                .join(User, User.id == StaffSession.user_id)
                .where(User.role.in_([str(Role.CASEWORKER), str(Role.ADMIN)]))
            ).all()
        now = utcnow()
        return len(
            {r.user_id for r in rows if aware(r.last_seen) >= since and aware(r.expires_at) > now}
        )

    def audit(
        self,
        *,
        actor: str | None,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self._sessions.begin() as session:
            session.add(AuditEntry(actor=actor, action=action, target=target, detail=detail))

    def audit_log(self, *, limit: int = 200, action_prefix: str = "") -> list[AuditEntryOut]:
        with self._sessions() as session:
            query = select(AuditEntry)
            if action_prefix:
                query = query.where(AuditEntry.action.startswith(action_prefix, autoescape=True))
            rows = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))
            return _AUDIT_ENTRIES.validate_python(
                [
                    {
                        "at": aware(r.at).isoformat(),
                        "actor": r.actor,
                        "action": r.action,
                        "target": r.target,
                        "detail": r.detail,
                    }
                    for r in rows
                ]
            )

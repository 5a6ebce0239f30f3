"""Saved replies: what a caseworker would otherwise type again and again.

A reply belongs to a team (everyone in the team sees it and may change it) or to one
caseworker (only they see it). Placeholders such as ``{reference}`` stay in the stored
text and are filled in by the console when the reply is inserted, where the caseworker
sees and may edit the result before sending it.
"""

from __future__ import annotations

import secrets

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from assistant.handoffs import HandoffError, NotFoundError, NotHolderError
from assistant.models import SavedReply, aware, utcnow
from assistant.staff import Role, Staff, StaffUser

#: The placeholders the console fills in, each with what it stands for (shown to staff).
PLACEHOLDERS = {
    "reference": "the citizen's reference (the handoff id they were shown)",
    "caseworker": "your name",
    "team": "the conversation's team",
}


class SavedReplyOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    body: str
    team: str | None = Field(description="The team's reply; null: the caseworker's own.")
    mine: bool = Field(description="The caseworker's own reply.")
    created_by: str | None
    updated_at: str


class SavedReplies:
    """Saved replies in the database, as each caseworker may see and change them."""

    def __init__(self, engine: Engine, *, staff: Staff) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.staff = staff

    def visible_to(self, user: StaffUser) -> list[SavedReplyOut]:
        """The user's own replies, then their teams' (all teams' for an admin), by title."""
        with self._sessions() as session:
            query = select(SavedReply).where(
                or_(
                    SavedReply.owner_id == user.id,
                    SavedReply.team.is_not(None)
                    if user.role is Role.ADMIN
                    else SavedReply.team.in_(user.teams),
                )
            )
            rows = session.scalars(query).all()
        rows = sorted(rows, key=lambda r: (r.owner_id != user.id, r.title.casefold(), r.id))
        return [_out(r, user) for r in rows]

    def create(
        self, user: StaffUser, *, title: str, body: str, team: str | None = None
    ) -> SavedReplyOut:
        if team is not None:
            self._check_team(user, team)
        now = utcnow()
        row = SavedReply(
            id=secrets.token_hex(8),
            title=_clean(title, "title"),
            body=_clean(body, "text"),
            team=team,
            owner_id=None if team is not None else user.id,
            created_by=user.username,
            created_at=now,
            updated_at=now,
        )
        with self._sessions.begin() as session:
            session.add(row)
        self.staff.audit(
            actor=user.username, action="saved_reply.create", target=row.id, detail={"team": team}
        )
        return _out(row, user)

    def update(self, user: StaffUser, reply_id: str, *, title: str, body: str) -> SavedReplyOut:
        with self._sessions.begin() as session:
            row = self._editable(session.get(SavedReply, reply_id), user)
            row.title = _clean(title, "title")
            row.body = _clean(body, "text")
            row.updated_at = utcnow()
        self.staff.audit(actor=user.username, action="saved_reply.update", target=reply_id)
        return _out(row, user)

    def delete(self, user: StaffUser, reply_id: str) -> None:
        with self._sessions.begin() as session:
            session.delete(self._editable(session.get(SavedReply, reply_id), user))
        self.staff.audit(actor=user.username, action="saved_reply.delete", target=reply_id)

    def _editable(self, row: SavedReply | None, user: StaffUser) -> SavedReply:
        # Someone else's own reply is not even said to exist.
        if row is None or (row.team is None and row.owner_id != user.id):
            raise NotFoundError("There is no such saved reply.")
        if row.team is not None:
            self._check_team(user, row.team)
        return row

    def _check_team(self, user: StaffUser, team: str) -> None:
        if user.role is not Role.ADMIN and team not in user.teams:
            raise NotHolderError(f"Only members of {team} can change its saved replies.")


def _clean(text: str, what: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise HandoffError(f"Enter the {what} of the saved reply.")
    return cleaned


def _out(row: SavedReply, user: StaffUser) -> SavedReplyOut:
    return SavedReplyOut(
        id=row.id,
        title=row.title,
        body=row.body,
        team=row.team,
        mine=row.owner_id == user.id,
        created_by=row.created_by,
        updated_at=aware(row.updated_at).isoformat(),
    )

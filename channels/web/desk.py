"""The caseworker's desk beside the queue (issue #19): search across conversations, the
citizen's earlier conversations, saved replies, and the typing indicator's rules.

Its own router, so the queue's routes (``channels/web/staff.py``) stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, StrictStr

from assistant.handoffs import (
    OPEN_STATES,
    HandoffError,
    HandoffSummaryOut,
    NotFoundError,
    NotHolderError,
)
from assistant.saved_replies import PLACEHOLDERS, SavedReplyOut
from channels.web.deps import CaseworkerDep, HandoffsDep, SavedRepliesDep
from channels.web.schemas import SIGNED_IN_ERRORS, Ok, errors

router = APIRouter(tags=["staff"])
T = TypeVar("T")

_STATES = (*OPEN_STATES, "resolved", "returned")
_ERRORS = errors(
    {
        **SIGNED_IN_ERRORS,
        403: "Not a member of the saved reply's team, the wrong role, or no X-CSRF-Token.",
        404: "No such handoff or saved reply.",
        422: "The request cannot be carried out (e.g. an empty title).",
    }
)


class SavedReplyRequest(BaseModel):
    title: StrictStr = Field(min_length=1, max_length=80)
    body: StrictStr = Field(min_length=1, max_length=1000)
    team: StrictStr | None = Field(
        None, max_length=64, description="A team's reply (you must be in it); null: your own."
    )


class SavedReplyUpdate(BaseModel):
    title: StrictStr = Field(min_length=1, max_length=80)
    body: StrictStr = Field(min_length=1, max_length=1000)


class SavedRepliesOut(BaseModel):
    replies: list[SavedReplyOut] = Field(description="Your own first, then your teams', by title.")
    placeholders: dict[str, str] = Field(
        description="What the console fills in for each {name} when a reply is inserted."
    )


async def _call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return await run_in_threadpool(function, *args, **kwargs)
    except NotFoundError as error:
        raise HTTPException(404, str(error)) from error
    except NotHolderError as error:
        raise HTTPException(403, str(error)) from error
    except HandoffError as error:
        raise HTTPException(422, str(error)) from error


def _day_start(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), tzinfo=UTC) if day else None


@router.get("/api/staff/search", response_model=list[HandoffSummaryOut], responses=_ERRORS)
async def search(
    _: CaseworkerDep,
    handoffs: HandoffsDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Words said, or in the summary.")
    ] = None,
    reference: Annotated[
        str | None, Query(max_length=32, description="The citizen's reference, or its start.")
    ] = None,
    since: Annotated[
        date | None, Query(alias="from", description="Opened on or after (UTC).")
    ] = None,
    until: Annotated[
        date | None, Query(alias="to", description="Opened on or before (UTC).")
    ] = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[str | None, Query(description="waiting, claimed, resolved ...")] = None,
) -> list[HandoffSummaryOut]:
    """Conversations handed to people, newest first (at most 50), matching every filter."""
    if state and state not in _STATES:
        raise HTTPException(422, f"Unknown state {state!r}.")
    until_end = _day_start(until + timedelta(days=1)) if until else None
    rows = await _call(
        handoffs.search,
        text=q,
        reference=reference,
        since=_day_start(since),
        until=until_end,
        team=team or None,
        state=state or None,
    )
    return [row.out() for row in rows]


@router.get(
    "/api/staff/handoffs/{handoff_id}/earlier",
    response_model=list[HandoffSummaryOut],
    responses=_ERRORS,
)
async def earlier(
    handoff_id: str, _: CaseworkerDep, handoffs: HandoffsDep
) -> list[HandoffSummaryOut]:
    """The same citizen's other conversations with staff (same web chat or texted number)."""
    rows = await _call(handoffs.earlier, handoff_id)
    return [row.out() for row in rows]


@router.get("/api/staff/saved-replies", response_model=SavedRepliesOut, responses=_ERRORS)
async def saved_replies(session: CaseworkerDep, replies: SavedRepliesDep) -> SavedRepliesOut:
    found = await _call(replies.visible_to, session.user)
    return SavedRepliesOut(replies=found, placeholders=PLACEHOLDERS)


@router.post(
    "/api/staff/saved-replies", status_code=201, response_model=SavedReplyOut, responses=_ERRORS
)
async def add_saved_reply(
    body: SavedReplyRequest, session: CaseworkerDep, replies: SavedRepliesDep
) -> SavedReplyOut:
    return await _call(
        replies.create, session.user, title=body.title, body=body.body, team=body.team
    )


@router.put("/api/staff/saved-replies/{reply_id}", response_model=SavedReplyOut, responses=_ERRORS)
async def change_saved_reply(
    reply_id: str, body: SavedReplyUpdate, session: CaseworkerDep, replies: SavedRepliesDep
) -> SavedReplyOut:
    return await _call(replies.update, session.user, reply_id, title=body.title, body=body.body)


@router.delete("/api/staff/saved-replies/{reply_id}", response_model=Ok, responses=_ERRORS)
async def delete_saved_reply(reply_id: str, session: CaseworkerDep, replies: SavedRepliesDep) -> Ok:
    await _call(replies.delete, session.user, reply_id)
    return Ok(ok=True)

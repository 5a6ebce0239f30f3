"""The handoff queue: conversations waiting for, held by, or resolved by a caseworker.

The package (how concurrent claims are settled is told in :mod:`.casework`):

- :mod:`.queue` — :class:`HandoffQueue`, the one object callers use;
- :mod:`.citizen` — the citizen's side: asking for a person, writing, rating;
- :mod:`.casework` — the caseworker's side: lists, claim, reply, notes, transfer, close;
- :mod:`.base` — what both sides share: the database, views, announcing changes;
- :mod:`.views` — :class:`HandoffView`, what callers get of a handoff, and the staff
  API's models of it, of a note and of a sent reply;
- :mod:`.wait` — a citizen's place in line and the expected wait;
- :mod:`.states` — the states, the caseworkers' lists, and the errors;
- :mod:`.delivery` — :class:`Delivery`, how a reply reaches a citizen's channel.
"""

from assistant.handoffs.delivery import Delivery
from assistant.handoffs.queue import HandoffQueue
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
from assistant.handoffs.views import HandoffSummaryOut, HandoffView, NoteOut, SentMessageOut

__all__ = [
    "LIVE_STATE",
    "OPEN_STATES",
    "VIEWS",
    "WAITING_STATES",
    "AlreadyClaimedError",
    "Delivery",
    "HandoffError",
    "HandoffQueue",
    "HandoffSummaryOut",
    "HandoffView",
    "NotFoundError",
    "NotHolderError",
    "NoteOut",
    "SentMessageOut",
]

"""The states a handoff moves through, the lists caseworkers see, and the errors of moves
that cannot be made.

A handoff is ``waiting`` (a live chat) or ``callback_requested`` (a message left out of
hours) until a caseworker claims it, ``claimed`` while one holds it, and ``resolved`` or
``returned`` (to the automated assistant) once closed.
"""

from __future__ import annotations

OPEN_STATES = ("waiting", "claimed", "callback_requested")
WAITING_STATES = ("waiting", "callback_requested")
#: A live chat in line: a citizen on the page now. Call-backs left out of hours wait too,
#: but behind every live chat (they are answered later, by phone or email), so a live
#: chat's place and wait count only the live chats ahead of it.
LIVE_STATE = "waiting"
VIEWS = ("waiting", "mine", "active", "resolved")


class HandoffError(Exception):
    """A handoff action that cannot be done; the message is fit to show a caseworker."""


class NotFoundError(HandoffError):
    pass


class AlreadyClaimedError(HandoffError):
    pass


class NotHolderError(HandoffError):
    pass

"""The states a handoff moves through, the lists caseworkers see, and the errors of moves
that cannot be made.

A handoff is ``waiting`` (or ``callback_requested``, left out of hours) until a
caseworker claims it, ``claimed`` while one holds it, and ``resolved`` or ``returned``
(to the automated assistant) once closed.
"""

from __future__ import annotations

OPEN_STATES = ("waiting", "claimed", "callback_requested")
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

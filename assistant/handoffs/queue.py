"""The handoff queue as callers use it: both sides of it over one set of rows.

:class:`HandoffQueue` is assembled from the citizen's side and the caseworker's side,
each a class of its own module over the shared :class:`~assistant.handoffs.base.QueueBase`,
so a reader can take one side in at a time while callers keep one object.
"""

from __future__ import annotations

from assistant.handoffs.casework import Casework
from assistant.handoffs.citizen import CitizenSide


class HandoffQueue(CitizenSide, Casework):
    """Conversations waiting for, held by, or resolved by a caseworker."""

"""The errors of the editors' desk: each is a request an editor can fix.

The web console and the CLI show the message as it is, so it says how to fix the request.
"""

from __future__ import annotations


class EditorialError(Exception):
    """A request an editor can fix; the message says how."""


class NotFound(EditorialError):
    pass


class Conflict(EditorialError):
    pass

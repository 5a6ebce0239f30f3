"""How a caseworker's reply reaches a citizen on a channel other than the web page.

The assistant knows no channel: each channel gives the queue a :class:`Delivery`
through the composition root (see :meth:`assistant.container.Container.register_delivery`).
"""

from __future__ import annotations

from typing import Protocol


class Delivery(Protocol):
    """Sends a caseworker's stored message to the citizen's channel (must return quickly)."""

    def __call__(
        self, conversation_id: str, text: str, *, message_id: int, handoff_id: str
    ) -> None: ...

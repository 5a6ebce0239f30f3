"""Relaying live events to a page over its WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from assistant.events import RESYNC, Event


async def relay(
    websocket: WebSocket,
    events: asyncio.Queue[Event],
    *,
    idle_seconds: float,
    still_allowed: Callable[[], Awaitable[bool]] | None = None,
    already_sent: Callable[[Event], bool] | None = None,
    ended: asyncio.Future[Any] | None = None,
    on_text: Callable[[str], Awaitable[None]] | None = None,
) -> None:
    """Send each event to the page until it goes away; ping it when nothing happens.

    The page's side and the event queue are awaited together, so a closed page is noticed
    at once (not at the next event). ``still_allowed`` re-checks access on each idle tick;
    ``already_sent`` says which events the page got in its catch-up. When the bus says
    events may have been missed (``RESYNC``), the socket is closed with 1012 ("service
    restart"): the page reconnects and catches up from the database.
    ``ended`` finishing (a sign-out, say) closes the socket at once, before another event.
    What the page sends goes to ``on_text`` (the typing indicator); without it, it is read
    and ignored.
    """
    receiver = asyncio.create_task(_drain(websocket, on_text))
    watched: set[asyncio.Future[Any]] = {receiver} if ended is None else {receiver, ended}
    try:
        while True:
            if ended is not None and ended.done():
                await websocket.close(code=4401)
                return
            getter = asyncio.create_task(events.get())
            done, _ = await asyncio.wait(
                {getter, *watched}, timeout=idle_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            if ended is not None and ended in done:
                getter.cancel()
                await websocket.close(code=4401)
                return
            if getter in done:
                event = getter.result()
                if event.get("type") == RESYNC["type"]:
                    await websocket.close(code=1012)
                    return
                if already_sent is None or not already_sent(event):
                    await websocket.send_json(event)
                continue
            getter.cancel()
            if receiver in done:
                return
            if still_allowed is not None and not await still_allowed():
                await websocket.close(code=4401)
                return
            await websocket.send_json({"type": "ping"})
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        receiver.cancel()
        with contextlib.suppress(BaseException):
            await receiver


async def _drain(
    websocket: WebSocket, on_text: Callable[[str], Awaitable[None]] | None = None
) -> None:
    """Read what the page sends (so a closed socket is noticed), handing it to ``on_text``."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            text = await websocket.receive_text()
            if on_text is not None:
                await on_text(text)


def typing_signal(text: str) -> dict[str, Any] | None:
    """The page's ``{"type": "typing", ...}``, or None for anything else."""
    if len(text) > 200:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("type") == "typing" else None


class TypingThrottle:
    """Passes on a page's "I am typing" at most once per ``interval`` seconds for each
    conversation.

    Nothing is stored: the signal goes to the event bus and is gone. The page throttles
    too; this is the server's own limit, so a page that sends a signal with every key (or
    a script that floods) costs the other side one event per interval.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}

    def due(self, key: str) -> bool:
        now = time.monotonic()
        if now - self._last.get(key, -math.inf) < self.interval:
            return False
        if len(self._last) > 100:  # one socket's few conversations; never grows unbounded
            self._last.clear()
        self._last[key] = now
        return True

"""Relaying live events to a page over its WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
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
) -> None:
    """Send each event to the page until it goes away; ping it when nothing happens.

    The page's side and the event queue are awaited together, so a closed page is noticed
    at once (not at the next event). ``still_allowed`` re-checks access on each idle tick;
    ``already_sent`` says which events the page got in its catch-up. When the bus says
    events may have been missed (``RESYNC``), the socket is closed with 1012 ("service
    restart"): the page reconnects and catches up from the database.
    ``ended`` finishing (a sign-out, say) closes the socket at once, before another event.
    """
    receiver = asyncio.create_task(_drain(websocket))
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


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the page sends, so a closed socket is noticed."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()

"""Live events between the assistant and the pages (in process; Redis across replicas).

Publishers may be worker threads (a turn runs in the thread pool); subscribers are
WebSocket handlers on the event loop, so delivery hops onto each subscriber's loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, Protocol

Event = dict[str, Any]


class EventBus(Protocol):
    def publish(self, topic: str, event: Event) -> None: ...

    def publish_many(self, events: Iterable[tuple[str, Event]]) -> None:
        """Publish each ``(topic, event)`` in order (through Redis: in one round trip)."""

    def subscribe(self, topic: str) -> Any:  # an async context manager yielding a Queue
        ...

    async def close(self) -> None:
        """Let go of what the bus holds on this event loop (at shutdown)."""


#: Put in a subscriber's queue when it may have missed events (its queue overflowed, or the
#: line to the other replicas dropped): the page should reconnect and catch up from the
#: database rather than carry on with a hole in what it shows.
RESYNC: Event = {"type": "resync"}


def chat_topic(conversation_id: str) -> str:
    return f"chat:{conversation_id}"


STAFF_TOPIC = "staff"


class InProcessEventBus:
    """Fan-out to every subscriber of a topic in this process."""

    def __init__(self, *, queue_size: int = 1000) -> None:
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event]]]]
        self._subscribers = {}
        self._lock = threading.Lock()
        self._queue_size = queue_size

    def publish(self, topic: str, event: Event) -> None:
        with self._lock:
            targets = list(self._subscribers.get(topic, ()))
        for loop, queue in targets:
            loop.call_soon_threadsafe(_offer, queue, event)

    def publish_many(self, events: Iterable[tuple[str, Event]]) -> None:
        for topic, event in events:
            self.publish(topic, event)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[Event]]:
        entry = (asyncio.get_running_loop(), asyncio.Queue[Event](maxsize=self._queue_size))
        with self._lock:
            self._subscribers.setdefault(topic, set()).add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._subscribers.get(topic, set()).discard(entry)

    async def close(self) -> None:
        return None

    def subscriber_count(self, topic: str) -> int:
        with self._lock:
            return len(self._subscribers.get(topic, ()))

    def resync_all(self) -> None:
        """Tell every subscriber in this process that it may have missed events."""
        with self._lock:
            targets = [entry for entries in self._subscribers.values() for entry in entries]
        for loop, queue in targets:
            loop.call_soon_threadsafe(_offer, queue, RESYNC)


def _offer(queue: asyncio.Queue[Event], event: Event) -> None:
    # A page that stopped reading is told to catch up rather than stall everyone else: its
    # queue is emptied and the one event left says so.
    if queue.full():
        while not queue.empty():
            queue.get_nowait()
        event = RESYNC
    queue.put_nowait(event)

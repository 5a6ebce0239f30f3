"""Live events across replicas, over Redis pub/sub (chosen when ``CA_REDIS_URL`` is set).

Why pub/sub and not Streams: a live event is a nudge, not the record. Everything a page
shows is in the database first (messages carry a per-conversation sequence number,
handoffs their state), and every page catches up from the database whenever it
(re)connects, on whichever replica it lands. So the bus needs fan-out to every replica
now, not storage: pub/sub gives exactly that with nothing to trim, no consumer groups and
no acknowledgements to keep per replica. Streams would keep a second copy of what the
database already holds. What pub/sub cannot promise (a replica whose line to Redis drops
misses what was sent meanwhile) is covered by telling that replica's pages to reconnect
and catch up (:data:`assistant.events.RESYNC`) once the line is back.

Publishers are worker threads (a turn runs in the thread pool): they publish with the
synchronous client, which returns once Redis has the event, so one publisher's events
arrive in the order it sent them. Each event loop that has subscribers runs one listener
on redis-py's asyncio client, subscribed to every topic of this deployment's prefix,
and hands what arrives to that loop's subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from assistant.events import Event, InProcessEventBus
from assistant.metrics import EVENTS_PUBLISHED

log = logging.getLogger(__name__)

# How long a new subscriber waits for the listener's subscription before going ahead: with
# Redis away the page still gets its catch-up from the database.
_READY_SECONDS = 5.0
_RETRY_MAX_SECONDS = 10.0
#: The listener's connection name (``CLIENT LIST`` shows it).
LISTENER_NAME = "citizen-assistant-events"


@dataclass
class _Listener:
    """One event loop's subscription to Redis and the subscribers it feeds."""

    local: InProcessEventBus
    ready: asyncio.Event
    task: asyncio.Task[None] | None = None
    dropped: bool = field(default=False)


class RedisEventBus:
    """Every event reaches the subscribers of its topic on every replica."""

    def __init__(self, url: str) -> None:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("CA_REDIS_URL must be a redis://, rediss:// or unix:// URL")
        self._url = url
        self._publisher = redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30)
        # Pub/sub channels ignore the database number, so it goes in the channel names:
        # deployments sharing one Redis on different databases do not hear each other.
        database = self._publisher.connection_pool.connection_kwargs.get("db", 0)
        self._prefix = f"citizen-assistant:{database}:events:"
        self._listeners: dict[asyncio.AbstractEventLoop, _Listener] = {}

    def publish(self, topic: str, event: Event) -> None:
        payload = json.dumps(event, separators=(",", ":"), default=str)
        try:
            self._publisher.publish(self._prefix + topic, payload)
        except RedisError as error:
            # The change is already in the database; pages here and elsewhere catch up when
            # they reconnect. Subscribers on this replica still hear of it now.
            EVENTS_PUBLISHED.labels(outcome="failed").inc()
            log.warning("event not published to Redis (%s): delivered locally only", error)
            for listener in list(self._listeners.values()):
                listener.local.publish(topic, event)
            return
        EVENTS_PUBLISHED.labels(outcome="published").inc()

    def publish_many(self, events: Iterable[tuple[str, Event]]) -> None:
        """One pipeline, one round trip: a change to the queue tells everyone behind it
        (800 waiting: 800 PUBLISHes took 70-140 ms one by one)."""
        batch = list(events)
        if not batch:
            return
        pipeline = self._publisher.pipeline(transaction=False)
        for topic, event in batch:
            pipeline.publish(
                self._prefix + topic, json.dumps(event, separators=(",", ":"), default=str)
            )
        try:
            pipeline.execute()
        except RedisError as error:
            EVENTS_PUBLISHED.labels(outcome="failed").inc(len(batch))
            log.warning("events not published to Redis (%s): delivered locally only", error)
            for listener in list(self._listeners.values()):
                listener.local.publish_many(batch)
            return
        EVENTS_PUBLISHED.labels(outcome="published").inc(len(batch))

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[Event]]:
        listener = self._listener_here()
        async with listener.local.subscribe(topic) as queue:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(listener.ready.wait(), _READY_SECONDS)
            yield queue

    def ping(self) -> bool:
        return bool(self._publisher.ping())

    async def close(self) -> None:
        """Stop this loop's listener (at shutdown)."""
        listener = self._listeners.pop(asyncio.get_running_loop(), None)
        if listener is not None and listener.task is not None:
            listener.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener.task

    def _listener_here(self) -> _Listener:
        loop = asyncio.get_running_loop()
        for other in [lp for lp in self._listeners if lp.is_closed()]:
            del self._listeners[other]  # a test's loop that ended without close()
        listener = self._listeners.get(loop)
        if listener is None:
            listener = _Listener(local=InProcessEventBus(), ready=asyncio.Event())
            listener.task = loop.create_task(self._listen(listener), name="redis-events")
            self._listeners[loop] = listener
        return listener

    async def _listen(self, listener: _Listener) -> None:
        client = aioredis.Redis.from_url(
            self._url, health_check_interval=30, client_name=LISTENER_NAME
        )
        delay = 0.5
        try:
            while True:
                try:
                    async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                        await pubsub.psubscribe(self._prefix + "*")
                        listener.ready.set()
                        if listener.dropped:
                            listener.dropped = False
                            listener.local.resync_all()  # pages catch up what they missed
                            log.info("events: the line to Redis is back")
                        delay = 0.5
                        await self._relay(pubsub, listener)
                except RedisError as error:
                    listener.dropped = True
                    log.warning("events: lost Redis (%s); retrying in %.1f s", error, delay)
                    await asyncio.sleep(delay)
                    delay = min(_RETRY_MAX_SECONDS, delay * 2)
        finally:
            await client.aclose()

    async def _relay(self, pubsub: aioredis.client.PubSub, listener: _Listener) -> None:
        async for message in pubsub.listen():
            if message.get("type") != "pmessage":
                continue
            channel = message["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else channel
            try:
                event = json.loads(message["data"])
            except ValueError:
                log.warning("events: an event that is not JSON on %s was ignored", channel)
                continue
            listener.local.publish(channel[len(self._prefix) :], event)

"""The Redis event bus: events cross between buses as they would between replicas."""

from __future__ import annotations

import asyncio
import threading

import pytest
import redis

from assistant.events import RESYNC, Event
from assistant.events_redis import LISTENER_NAME, RedisEventBus

pytestmark = pytest.mark.redis


async def _next(queue: asyncio.Queue[Event], seconds: float = 5.0) -> Event:
    return await asyncio.wait_for(queue.get(), seconds)


def _from_a_thread(bus: RedisEventBus, topic: str, event: Event) -> None:
    # Publishers are worker threads in the app (a turn runs in the thread pool).
    thread = threading.Thread(target=bus.publish, args=(topic, event))
    thread.start()
    thread.join()


def test_events_cross_between_replicas_both_ways_and_stay_in_order(redis_url: str) -> None:
    a, b = RedisEventBus(redis_url), RedisEventBus(redis_url)

    async def run() -> None:
        async with b.subscribe("chat:c1") as on_b, a.subscribe("staff") as on_a:
            for n in range(3):
                _from_a_thread(a, "chat:c1", {"type": "message", "seq": n + 1})
            _from_a_thread(b, "staff", {"type": "handoff.created", "handoff": {"id": "h1"}})
            assert [(await _next(on_b))["seq"] for _ in range(3)] == [1, 2, 3]
            assert (await _next(on_a))["handoff"] == {"id": "h1"}
            # Only the topic subscribed to: a's staff queue heard nothing of the chat.
            assert on_a.empty()
        await a.close()
        await b.close()

    asyncio.run(run())


def test_a_batch_crosses_in_one_go_and_in_order(redis_url: str) -> None:
    # How a change to the queue tells everyone behind it their new place.
    a, b = RedisEventBus(redis_url), RedisEventBus(redis_url)

    async def run() -> None:
        async with b.subscribe("chat:c1") as first, b.subscribe("chat:c2") as second:
            batch = [(f"chat:c{1 + n % 2}", {"type": "handoff", "position": n}) for n in range(6)]
            thread = threading.Thread(target=a.publish_many, args=(batch,))
            thread.start()
            thread.join()
            assert [(await _next(first))["position"] for _ in range(3)] == [0, 2, 4]
            assert [(await _next(second))["position"] for _ in range(3)] == [1, 3, 5]
        await a.close()
        await b.close()

    asyncio.run(run())


def test_another_database_number_is_another_deployment(redis_url: str) -> None:
    base, _, number = redis_url.rpartition("/")
    other = f"{base}/{(int(number or 0) + 1) % 16}"
    ours, theirs = RedisEventBus(redis_url), RedisEventBus(other)

    async def run() -> None:
        async with ours.subscribe("staff") as queue:
            _from_a_thread(theirs, "staff", {"type": "theirs"})
            _from_a_thread(ours, "staff", {"type": "ours"})
            assert (await _next(queue))["type"] == "ours"
            assert queue.empty()
        await ours.close()

    asyncio.run(run())


def test_a_dropped_line_to_redis_tells_pages_to_catch_up(redis_url: str) -> None:
    bus = RedisEventBus(redis_url)
    admin = redis.Redis.from_url(redis_url)

    async def run() -> None:
        async with bus.subscribe("chat:c2") as queue:
            killed = 0
            for client in admin.client_list():
                if client.get("name") == LISTENER_NAME and "psubscribe" in client.get("cmd", ""):
                    killed += int(admin.client_kill_filter(_id=client["id"]))
            assert killed >= 1
            # Events sent while the line was down are gone from pub/sub: the page is told.
            assert await _next(queue, 15) == RESYNC
            _from_a_thread(bus, "chat:c2", {"type": "message", "seq": 9})
            assert (await _next(queue))["seq"] == 9  # and live events flow again
        await bus.close()

    asyncio.run(run())

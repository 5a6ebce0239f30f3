"""Rate limits counted by the ``limits`` library: in memory for one process, in Redis so
that replicas count the same hits."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from assistant.settings import Settings
from assistant.throttle import Throttle, secret_key


def test_a_rule_refuses_past_its_limit_says_when_to_retry_and_can_be_cleared() -> None:
    async def run() -> None:
        throttle = Throttle({"chat_address": "3/minute"})
        assert [await throttle.hit("chat_address", "10.0.0.1") for _ in range(3)] == [None] * 3
        refusal = await throttle.hit("chat_address", "10.0.0.1")
        assert refusal is not None and 1 <= refusal.retry_after <= 60
        assert await throttle.hit("chat_address", "10.0.0.2") is None  # another address
        assert await throttle.refused("chat_address", "10.0.0.1") is not None
        await throttle.clear("chat_address", "10.0.0.1")
        assert await throttle.refused("chat_address", "10.0.0.1") is None

    asyncio.run(run())


def test_several_limits_in_one_setting_all_apply() -> None:
    async def run() -> None:
        throttle = Throttle({"x": "2/second;3/minute"})
        assert await throttle.hit("x", "k") is None
        assert await throttle.hit("x", "k") is None
        assert await throttle.hit("x", "k") is not None  # the per-second limit

    asyncio.run(run())


def test_replicas_sharing_redis_count_the_same_hits(redis_url: str) -> None:
    """Needs Redis: the ``redis_url`` fixture names it (``.ci/run`` sets it) or skips."""
    key = f"test-{uuid.uuid4()}"  # unique: parallel runs never share a counter

    async def run() -> None:
        settings = Settings(redis_url=redis_url, sign_in_failures_per_account="4/hour")
        one, two = Throttle.from_settings(settings), Throttle.from_settings(settings)
        for replica in (one, two, one, two):
            assert await replica.hit("sign_in_account", key) is None
        assert await one.refused("sign_in_account", key) is not None
        assert await two.refused("sign_in_account", key) is not None  # the other replica too
        await two.clear("sign_in_account", key)  # an admin on one replica lifts it for all
        assert await one.refused("sign_in_account", key) is None

    asyncio.run(run())


def test_a_secret_key_is_not_the_secret() -> None:
    session_id = "b3f0c2d4-session"
    assert session_id not in secret_key(session_id)
    assert secret_key(session_id) == secret_key(session_id)


def test_a_limit_that_does_not_parse_is_refused_with_an_example() -> None:
    with pytest.raises(ValueError, match="60/minute"):
        Settings(chat_rate_per_address="sixty a minute")

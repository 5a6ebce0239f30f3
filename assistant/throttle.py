"""Rate limits and lockouts, counted with the ``limits`` library.

Counters live in memory for one process, or in Redis (``CA_REDIS_URL``) so that every
replica counts the same hits. Each rule is a setting (``"60/minute"``); a key says whose
hits are counted (a client address, a conversation, an account). Keys that would carry
a secret — a conversation id is the citizen's session key — are hashed first, so the
Redis keyspace holds none.

The sliding-window counter is used: two counters per key, so memory stays flat whatever
the burst, and a lockout lifts gradually rather than all at once at a window boundary.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from limits import RateLimitItem, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

if TYPE_CHECKING:
    from assistant.settings import Settings

#: Rule name -> the setting that holds its limits.
RULES = {
    "chat_address": "chat_rate_per_address",
    "chat_conversation": "chat_rate_per_conversation",
    "sms_address": "sms_rate_per_address",
    "handoff_address": "handoffs_per_address",
    "sign_in_account": "sign_in_failures_per_account",
    "sign_in_address": "sign_in_failures_per_address",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Over a limit: which rule, and how many seconds until one more is allowed."""

    rule: str
    retry_after: int


def secret_key(value: str) -> str:
    """A key for a value that must not be stored as it is (a session id)."""
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]


class Throttle:
    """Named rules over one storage; every call is one or two round trips to it."""

    def __init__(self, rules: dict[str, str], *, storage_uri: str = "memory://") -> None:
        self._rules: dict[str, list[RateLimitItem]] = {
            name: parse_many(text) for name, text in rules.items()
        }
        uri = _async_uri(storage_uri)
        # redis-py, already a dependency, rather than limits' default Redis client (coredis).
        options = {"implementation": "redispy"} if "redis" in uri.split("://")[0] else {}
        self._storage = storage_from_string(uri, key_prefix="ca-throttle", **options)
        self._limiter = SlidingWindowCounterRateLimiter(self._storage)

    @classmethod
    def from_settings(cls, settings: Settings) -> Throttle:
        rules = {name: str(getattr(settings, field)) for name, field in RULES.items()}
        return cls(rules, storage_uri=settings.redis_url or "memory://")

    async def hit(self, rule: str, key: str) -> Refusal | None:
        """Count one request; a Refusal (and nothing counted) when it is over a limit."""
        for item in self._rules[rule]:
            if not await self._limiter.hit(item, rule, key):
                return Refusal(rule, await self._retry_after(rule, key))
        return None

    async def refused(self, rule: str, key: str) -> Refusal | None:
        """Whether the next request would be over a limit, counting nothing."""
        for item in self._rules[rule]:
            if not await self._limiter.test(item, rule, key):
                return Refusal(rule, await self._retry_after(rule, key))
        return None

    async def clear(self, rule: str, key: str) -> None:
        """Forget every hit (an admin lifting a lockout)."""
        for item in self._rules[rule]:
            await self._limiter.clear(item, rule, key)

    async def _retry_after(self, rule: str, key: str) -> int:
        wait = 1.0
        now = time.time()
        for item in self._rules[rule]:
            stats = await self._limiter.get_window_stats(item, rule, key)
            if stats.remaining <= 0:
                wait = max(wait, stats.reset_time - now)
        return max(1, math.ceil(wait))


def _async_uri(uri: str) -> str:
    # The handlers are async: the same URL, through limits' asyncio storages.
    return uri if uri.startswith("async+") else f"async+{uri}"

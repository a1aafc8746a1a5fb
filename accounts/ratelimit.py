"""Client-side rate limits of AWS operations, shared by every caller of an operation.

CloudTrail LookupEvents allows two requests a second per account and region
(https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html): never a
third request inside any one-second window. accounts.aws attaches the limiter to every client it
builds, on botocore's `request-created` event, so every attempt (botocore's retries included) of
every caller (collection, the connection check) takes a slot first. With REDIS_URL the window is a
sorted set in Redis, timed by Redis's own clock, so it holds across processes and hosts; without it,
one in-process window per key.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "RATED_OPERATIONS",
    "CallRate",
    "LimiterUnavailable",
    "LocalSlidingWindow",
    "RedisSlidingWindow",
    "call_limiter",
    "limit_client",
]


@dataclass(frozen=True)
class CallRate:
    """At most `calls` requests inside any window of `seconds` (margin included)."""

    calls: int
    seconds: float


# 2 a second per account and region; the 0.1 s margin absorbs the time between taking a slot and
# the request reaching AWS (signing, connection), so AWS never sees three inside one second.
LOOKUP_EVENTS_RATE = CallRate(calls=2, seconds=1.1)
# (botocore service id, operation) -> rate, per account and region.
RATED_OPERATIONS: dict[tuple[str, str], CallRate] = {
    ("cloudtrail", "LookupEvents"): LOOKUP_EVENTS_RATE,
}


class Limiter(Protocol):
    def acquire(self, key: str, rate: CallRate) -> None:
        """Block until a call under `key` fits `rate`, then count it."""
        ...


class LocalSlidingWindow:
    """The sliding window of one process: the times of the last calls per key.

    `clock` and `sleep` are injectable so that tests can drive it from a fake clock.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}

    def acquire(self, key: str, rate: CallRate) -> None:
        while True:
            wait = self._try(key, rate)
            if wait is None:
                return
            self.sleep(wait)

    def _try(self, key: str, rate: CallRate) -> float | None:
        """None when a slot was taken, else how long until the oldest call leaves the window."""
        with self._lock:
            now = self.clock()
            calls = self._calls.setdefault(key, deque())
            while calls and now - calls[0] >= rate.seconds:
                calls.popleft()
            if len(calls) < rate.calls:
                calls.append(now)
                return None
            # never 0: a rounding error must not pass for a free slot
            return max(calls[0] + rate.seconds - now, 1e-6)


# KEYS[1] the window; ARGV: calls, window in microseconds, a unique member. Timed by Redis's clock
# (TIME), so hosts whose clocks disagree still share one window. Returns 0 when a slot was taken,
# else the microseconds until the oldest call leaves the window.
_SLIDING_WINDOW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
"""


class LimiterUnavailable(Exception):
    """The shared window could not be reached for long: the call is not made (never faster)."""


class RedisSlidingWindow:
    """The sliding window shared by every process using the same Redis (an atomic Lua script).

    Fails safe: while Redis cannot be reached (restarted, connections killed) no slot is given;
    the caller waits, asking again every `retry_every` s, and after `give_up_after` s the call
    fails (LimiterUnavailable) rather than going out unlimited: slower, never faster."""

    def __init__(
        self,
        url: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        retry_every: float = 0.5,
        give_up_after: float = 30.0,
    ) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.script = self.client.register_script(_SLIDING_WINDOW_LUA)
        self.sleep = sleep
        self.clock = clock
        self.retry_every = retry_every
        self.give_up_after = give_up_after

    def acquire(self, key: str, rate: CallRate) -> None:
        import redis

        window_us = int(rate.seconds * 1_000_000)
        failing_since: float | None = None
        while True:
            member = uuid.uuid4().hex
            try:
                wait_us = int(self.script(keys=[key], args=[rate.calls, window_us, member]))
            except redis.RedisError as exc:
                now = self.clock()
                failing_since = now if failing_since is None else failing_since
                if now - failing_since >= self.give_up_after:
                    raise LimiterUnavailable(
                        f"the shared rate limiter (Redis) has not answered for "
                        f"{self.give_up_after:.0f} s ({type(exc).__name__}); call not made"
                    ) from exc
                self.sleep(self.retry_every)
                continue
            failing_since = None
            if wait_us <= 0:
                return
            self.sleep(wait_us / 1_000_000)


_limiter: Limiter | None = None
_limiter_lock = threading.Lock()


def call_limiter() -> Limiter:
    """The process's one limiter: Redis's window with REDIS_URL, this process's otherwise."""
    global _limiter
    with _limiter_lock:
        if _limiter is None:
            from django.conf import settings

            url = getattr(settings, "REDIS_URL", "")
            _limiter = RedisSlidingWindow(url) if url else LocalSlidingWindow()
        return _limiter


def limit_client(raw_client: Any, *, account_id: str, region: str) -> None:
    """Make every attempt of the client's rated operations take a slot of the shared limiter
    first (botocore emits `request-created` for each attempt, retries included)."""
    service_id = raw_client.meta.service_model.service_id.hyphenize()
    for (service, operation), rate in RATED_OPERATIONS.items():
        if service != service_id:
            continue
        key = f"watchpost:aws-rate:{service}:{operation}:{account_id}:{region}"

        def take_slot(*_: Any, _key: str = key, _rate: CallRate = rate, **__: Any) -> None:
            call_limiter().acquire(_key, _rate)

        raw_client.meta.events.register(
            f"request-created.{service}.{operation}", take_slot, unique_id=f"rate:{key}"
        )

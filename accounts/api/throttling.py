"""A rate limit per API token (per person for browser sessions), answering 429 with Retry-After."""

from __future__ import annotations

from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """WATCHPOST_API_RATE requests per token (default 1200 a minute: a poller never meets it).

    Counted in the shared cache (Redis in production), so every web process shares one budget. A
    counter per token and window of the rate's duration, incremented atomically: one small write
    a request, where DRF's own throttle reads and rewrites the list of every request's time in the
    window (at 200 requests a second, thousands of floats pickled each time), and races between
    processes. A fixed window lets a client send up to twice the rate across a window's edge;
    the rate is a guard against runaway scripts, not a billing meter.

    On Redis the count is one round trip: a script increments the window's counter and, for the
    window's first request, sets its expiry (what `incr`, then `add` on a missing key, do in two
    or three). Any other cache (local memory without REDIS_URL) takes the cache API's path.
    """

    scope = "token"
    num_requests: int  # set from the rate by SimpleRateThrottle.__init__
    duration: int

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"anon-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        counter = f"{key}:{window}"
        # DRF's throttles hold Django's `cache`, a proxy of the default cache: the backend itself.
        backend = caches[DEFAULT_CACHE_ALIAS] if self.cache is default_cache else self.cache
        if isinstance(backend, RedisCache):
            count = _redis_count(backend, counter, self.duration + 1)
        else:
            try:
                count = self.cache.incr(counter)
            except ValueError:  # the window's first request (or another process's, just now)
                first = self.cache.add(counter, 1, timeout=self.duration + 1)
                count = 1 if first else self.cache.incr(counter)
        self.remaining = (window + 1) * self.duration - now
        return count <= self.num_requests

    def wait(self) -> float | None:
        return max(1.0, self.remaining)


# INCR, and EXPIRE on the window's first request: atomic in Redis, one round trip (EVALSHA).
_COUNT_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


def _redis_count(cache: RedisCache, counter: str, timeout: int) -> int:
    """The window counter `counter` incremented, under the cache's own key (prefix, version), as
    RedisCache.incr would keep it (a plain integer), expiring `timeout` seconds after its first
    request."""
    global _script
    key = cache.make_and_validate_key(counter)
    client = cache._cache.get_client(key, write=True)
    if _script is None:  # its SHA1, computed once; redis-py loads it when the server lacks it
        _script = client.register_script(_COUNT_SCRIPT)
    return int(_script(keys=[key], args=[timeout], client=client))


_script: Any = None

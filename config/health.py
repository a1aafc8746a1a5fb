"""Health of the services Watchpost depends on."""

from __future__ import annotations

from django.conf import settings


def broker_status() -> str:
    """'ok' when Redis answers, 'in_process' when no broker is configured, else the error's name."""
    if not settings.REDIS_URL:
        return "in_process"
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
    except redis.RedisError as exc:
        return f"error: {type(exc).__name__}"
    return "ok"

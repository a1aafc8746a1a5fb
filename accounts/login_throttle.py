"""Login throttling with django-axes: the client's address, audit entries for lockouts, unlocking.

A login is refused while its username or its address has failed WATCHPOST_LOGIN_FAILURE_LIMIT
times within WATCHPOST_LOGIN_LOCKOUT_MINUTES (settings, AXES_*); the browser login and the admin
site's login alike, since both call authenticate() with the request. Every lockout and every
unlock is in the audit log. An Admin unlocks a person from their page; `python manage.py
axes_reset_ip ADDRESS` unlocks an address.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AuditEvent

__all__ = ["client_ip", "is_locked_out", "on_user_locked_out", "person_unlock", "username_of"]


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with WATCHPOST_PROXY_COUNT proxies in front, the
    X-Forwarded-For entry the nearest of them added (entries further left are the client's word)."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    count = int(getattr(settings, "WATCHPOST_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        return remote
    return forwarded[-count][:64]


def username_of(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The username tried, as axes records it: at most 150 characters (Django's longest), so a
    hostile 5,000-character one is a failure like any other, not an error of axes' table."""
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    value = credentials.get(field) if credentials else request.POST.get(field)
    return str(value or "")[:150]


def on_user_locked_out(
    sender: Any, request: HttpRequest | None, username: str | None, ip_address: str | None, **_: Any
) -> None:
    """Record a lockout in the audit log (axes' user_locked_out signal)."""
    name = (username or "")[:150]
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    if AuditEvent.objects.filter(
        action="login.locked_out",
        created_at__gte=since,
        changes__username=name,
        changes__ip_address=ip_address or "",
    ).exists():
        return  # one entry per lockout, not one per attempt made while locked
    user = get_user_model().objects.filter(username=name).first() if name else None
    AuditEvent.objects.create(
        actor=None,
        actor_name="system",
        action="login.locked_out",
        target_type="user",
        target_id=str(user.pk) if user else "",
        target_repr=name[:200] or "(no username)",
        changes={"ip_address": ip_address or "", "username": name},
    )


def is_locked_out(user: AbstractBaseUser) -> bool:
    """Whether `user`'s username is locked out now (as many failures as the limit, the last within
    the cool-off time)."""
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(
        username=user.get_username(), attempt_time__gte=since
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return (failures or 0) >= settings.AXES_FAILURE_LIMIT


def person_unlock(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> int:
    """Forget `user`'s failed logins (lifting a lockout of their username) and audit it; returns
    how many records of failures were removed."""
    from axes.utils import reset

    removed = int(reset(username=user.get_username()) or 0)
    AuditEvent.objects.create(
        actor=actor if actor.pk else None,  # type: ignore[misc]
        actor_name=actor.get_username(),
        action="person.unlocked",
        target_type=user._meta.model_name or "user",
        target_id=str(user.pk),
        target_repr=str(user)[:200],
        changes={"failures_removed": removed},
    )
    return removed

"""A person's report settings: whether they receive the weekly digest by email."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models


class ReportPreference(models.Model):
    """One person's choice of the weekly digest (off unless they opt in), and when it was last
    sent (so a beat that fires twice, or a retried task, never sends the same week twice)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_preference"
    )
    weekly_digest = models.BooleanField(default=False)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"report settings of {self.user}"


def digest_opted_in(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether `user` receives the weekly digest."""
    if not user.is_authenticated:
        return False
    return ReportPreference.objects.filter(user=user, weekly_digest=True).exists()


def digest_set(*, user: AbstractBaseUser | AnonymousUser, weekly: bool) -> None:
    """Opt `user` in to the weekly digest, or out of it."""
    if user.is_authenticated:
        ReportPreference.objects.update_or_create(user=user, defaults={"weekly_digest": weekly})

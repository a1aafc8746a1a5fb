"""A person's report settings: whether they receive the weekly digest by email."""

from __future__ import annotations

from django.conf import settings
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

"""Choices of the accounts app: the sources Watchpost collects, roles, check outcomes."""

from __future__ import annotations

from django.db import models

from accounts.source_registry import source_declarations

# A kind of data collected from a member account: one member per source an app declares
# (accounts.source_registry), in their declared order, so adding a source never touches this file.
Source = models.TextChoices(  # type: ignore[call-overload]  # the functional API
    "Source", [(d.name.upper(), (d.name, d.label)) for d in source_declarations()]
)


class Role(models.TextChoices):
    """A person's role; each is a Django group holding what the apps grant it (core.roles)."""

    ADMIN = "Admin", "Admin"
    ANALYST = "Analyst", "Analyst"
    MANAGER = "Manager", "Manager"
    VIEWER = "Viewer", "Viewer"


class CheckOutcome(models.TextChoices):
    """The outcome of a collection or a connection check, as docs/api.md names them."""

    OK = "ok", "OK"
    PARTIAL = "partial", "Partial"
    FAILED = "failed", "Failed"
    NOT_ENABLED = "not_enabled", "Not enabled"
    ACCESS_DENIED = "access_denied", "Access denied"
    SKIPPED = "skipped", "Skipped"
    # A run whose process died or passed its time limit (accounts.runs records it).
    INTERRUPTED = "interrupted", "Interrupted"

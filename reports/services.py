"""Writes of the reports app: the digest opt-in, and the weekly digest by email.

The digest is the report's summary (reports.tables.summary_rows) of every account the person sees,
in a text and an HTML part, each number linking to its list on WATCHPOST_BASE_URL. It goes through
Django's email backend (EMAIL_URL: SMTP in production, the console in the demo).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from reports.models import ReportPreference
from reports.selectors import Report, report_for_user
from reports.tables import summary_rows

__all__ = ["digest_message", "digest_recipients", "digest_send", "digest_set"]

# A digest is weekly: one sent less than this long ago is not sent again (a beat that fires twice,
# a retried task).
DIGEST_MIN_GAP = timedelta(days=6)


def digest_set(*, user: AbstractBaseUser | AnonymousUser, weekly: bool) -> None:
    """Opt `user` in to the weekly digest, or out of it."""
    if user.is_authenticated:
        ReportPreference.objects.update_or_create(user=user, defaults={"weekly_digest": weekly})


def digest_recipients() -> list[int]:
    """Ids of the active people with an email address who opted in."""
    return list(
        ReportPreference.objects.filter(weekly_digest=True, user__is_active=True)
        .exclude(user__email="")
        .values_list("user_id", flat=True)
    )


def digest_message(*, user: AbstractBaseUser, report: Report) -> EmailMultiAlternatives:
    """The digest of `report` for `user`: a text part and an HTML part (autoescaped)."""
    base = settings.WATCHPOST_BASE_URL.rstrip("/")
    rows = [(what, value, base + link) for what, value, link in summary_rows(report)]
    context = {"user": user, "report": report, "rows": rows, "report_url": base + "/reports/"}
    subject = f"Watchpost weekly digest, {report.period_end:%Y-%m-%d}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("reports/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],  # type: ignore[attr-defined]
    )
    message.attach_alternative(render_to_string("reports/digest.html", context), "text/html")
    return message


def digest_send(*, user_id: int, now: datetime | None = None) -> bool:
    """Send one person's weekly digest unless it went out in the last 6 days, or they opted out
    since; True when sent. The preference row is locked meanwhile, so two runs send it once."""
    now = now or timezone.now()
    with transaction.atomic():
        pref = (
            ReportPreference.objects.select_for_update()
            .select_related("user")
            .filter(user_id=user_id, weekly_digest=True, user__is_active=True)
            .first()
        )
        if pref is None or not pref.user.email:
            return False
        if pref.last_digest_at and pref.last_digest_at > now - DIGEST_MIN_GAP:
            return False
        report = report_for_user(user=pref.user, period="week", now=now)
        digest_message(user=pref.user, report=report).send()
        pref.last_digest_at = now
        pref.save(update_fields=["last_digest_at"])
    return True

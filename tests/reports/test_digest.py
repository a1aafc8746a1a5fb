"""The weekly digest: opt-in, the report's summary of the accounts each person sees, text and
HTML parts, sent once a week at most, queued by Celery beat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.choices import Role
from accounts.services import person_set_access
from config.celery import app as celery_app
from reports.models import ReportPreference
from reports.services import digest_send
from reports.tasks import send_weekly_digests_task
from tests.factories import UserFactory
from tests.reports.conftest import HOSTILE_TITLE


@pytest.fixture
def mia(db, account_a):
    """A Manager who sees account_a only (Workloads/Prod), with an email address."""
    user = UserFactory(username="mia", email="mia@example.com")
    person_set_access(actor=None, user=user, role=Role.MANAGER, all_accounts=False,
                      accounts=[account_a])  # fmt: skip
    return user


def test_a_person_opts_in_from_the_report_page(client, mia, org):
    client.force_login(mia)
    client.post("/reports/digest/", {"weekly_digest": "on"})
    assert ReportPreference.objects.get(user=mia).weekly_digest is True
    assert "checked" in client.get("/reports/").content.decode()
    client.post("/reports/digest/", {})
    assert ReportPreference.objects.get(user=mia).weekly_digest is False
    assert client.get("/reports/digest/").status_code == 405


def test_the_digest_holds_only_the_persons_accounts_in_text_and_html(mia, org, settings):
    settings.WATCHPOST_BASE_URL = "https://watchpost.example.com"
    ReportPreference.objects.create(user=mia, weekly_digest=True)
    assert send_weekly_digests_task.delay().get() == 1  # eager: the fan-out and the send
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mia@example.com"]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "New in the period: 2" in message.body  # account_a's two new, not account_b's
    assert "Resolved in the period: 1" in message.body
    assert "333333333333" not in message.body and "333333333333" not in html
    assert "https://watchpost.example.com/findings/?" in html
    assert HOSTILE_TITLE not in html and "&lt;script&gt;" in html


def test_the_digest_goes_once_a_week_and_never_to_those_who_opted_out(mia, org, alice):
    ReportPreference.objects.create(user=mia, weekly_digest=True)
    ReportPreference.objects.create(user=alice, weekly_digest=False)
    now = timezone.now()
    assert digest_send(user_id=mia.pk, now=now) is True
    assert digest_send(user_id=mia.pk, now=now + timedelta(hours=1)) is False
    assert digest_send(user_id=alice.pk, now=now) is False
    assert digest_send(user_id=mia.pk, now=now + timedelta(days=7)) is True
    assert len(mail.outbox) == 2
    mia.is_active = False
    mia.save()
    assert digest_send(user_id=mia.pk, now=now + timedelta(days=14)) is False


def test_beat_sends_the_digest_weekly():
    entry = celery_app.conf.beat_schedule["reports-weekly-digest"]
    assert entry["task"] == "reports.send_weekly_digests"
    assert entry["schedule"].day_of_week == {1}

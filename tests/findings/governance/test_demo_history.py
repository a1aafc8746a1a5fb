"""The demo's month of history: trends with shape, resolutions for time to resolve, SLAs, rules."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.choices import Role
from accounts.services import person_set_access
from findings.governance.demo import DEMO_ACTOR, demo_history_seed
from findings.governance.sla import mttr_days
from findings.models import Finding, FindingDailyCount, FindingEvent, RiskAcceptance
from findings.overview import finding_overview_for_user
from tests.factories import UserFactory
from tests.findings.conftest import collect
from tests.findings.test_demo import aws_world, demo  # noqa: F401 - the demo organisation


@pytest.fixture
def manager(db):
    user = UserFactory(username="demo")
    person_set_access(actor=None, user=user, role=Role.ADMIN, all_accounts=True, accounts=[])
    return user


@pytest.mark.usefixtures("demo")
def test_the_demo_gets_thirty_days_of_history_with_shape(manager):
    collect()
    done = demo_history_seed(actor=manager)
    assert done["resolved"] > 5 and done["rules"] == 2 and done["daily_rows"] > 0
    today = timezone.localdate()
    days = set(FindingDailyCount.objects.values_list("day", flat=True))
    assert len(days - {today}) == 29
    trend = finding_overview_for_user(user=manager).trend
    totals = {}
    for point in trend:
        totals[point["day"]] = totals.get(point["day"], 0) + (point["count"] or 0)
    assert len(totals) == 30
    assert len(set(totals.values())) > 3  # not a flat line
    mttr = mttr_days(Finding.objects.all())
    assert sum(v is not None for v in mttr.values()) >= 2
    rules = list(RiskAcceptance.objects.all())
    assert all(rule.findings.filter(status="accepted").exists() for rule in rules)
    assert min(rule.expires_at for rule in rules) < timezone.now() + timezone.timedelta(days=30)
    again = demo_history_seed(actor=manager)
    assert again == {"resolved": 0, "archived": 0, "daily_rows": 0, "rules": 0}
    resolved = FindingEvent.objects.filter(actor_name=DEMO_ACTOR, kind="status_changed")
    for event in resolved.select_related("finding")[:50]:
        assert event.finding.first_seen < event.at <= timezone.now()


def test_the_command_is_for_the_demo_only(db, settings, manager):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo_history", stdout=StringIO())
    settings.DEBUG = True
    with pytest.raises(CommandError):
        call_command("seed_demo_history", "--username", "<nobody>", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo_history", stdout=out)
    assert out.getvalue().startswith("resolved=0")


def test_the_demo_manager_sees_only_the_workloads_ou(db, settings, manager, account_a, account_b):
    """seed_demo_history prints a Manager login granted the Workloads OU (as discovery found it):
    their scope is the accounts in or under it, nothing else."""
    from accounts.models import OrganizationalUnit
    from accounts.selectors import account_scope_for_user

    settings.DEBUG = True
    root = OrganizationalUnit.objects.create(ou_id="r-ab12", name="Root", path="r-ab12/")
    workloads = OrganizationalUnit.objects.create(
        ou_id="ou-ab12-work0001", name="Workloads", parent=root, path="r-ab12/ou-ab12-work0001/"
    )
    account_a.ou = workloads
    account_a.save()
    account_b.ou = root
    account_b.save()
    out = StringIO()
    call_command("seed_demo_history", stdout=out)
    line = out.getvalue().splitlines()[1]
    assert line.startswith("Manager login (OU Workloads): manager / ")
    from django.contrib.auth import get_user_model

    person = get_user_model().objects.get(username="manager")
    assert person.check_password(line.rsplit(" ", 1)[1])
    assert account_scope_for_user(user=person) == [account_a.pk]

"""The open counts PostgreSQL keeps (FindingOpenCount) always equal a live count of the findings."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Count

from findings.models import Finding, FindingOpenCount
from findings.selectors import finding_summary, finding_summary_from_counts, open_counts
from findings.services.workflow import finding_workflow_update

KEY = ("account_id", "source", "severity", "category", "type")


def kept() -> Counter:
    counts: Counter = Counter()
    for row in FindingOpenCount.objects.values(*KEY, "n"):
        key = tuple(row[k] or None if k == "category" else row[k] for k in KEY)
        counts[key] += row["n"]
    return +counts  # zero rows are left in the table: drop them


def live() -> Counter:
    rows = Finding.objects.open().order_by().values(*KEY).annotate(n=Count("id"))
    return Counter({tuple(row[k] for k in KEY): row["n"] for row in rows})


def test_kept_counts_follow_every_kind_of_write(postgres, store, account_a, account_b, alice):
    assert kept() == live() == Counter()
    a = [store(account_a, severity_score=s) for s in (9.5, 7.5, 5.0, 2.0)]
    b = [store(account_b, type="Backdoor:EC2/C&CActivity.B", severity_score=8.0) for _ in range(3)]
    assert kept() == live() and sum(live().values()) == 7
    finding_workflow_update(finding=a[0], actor=alice, status="resolved")  # leaves open
    finding_workflow_update(finding=a[1], actor=alice, status="acknowledged")  # still open
    Finding.objects.filter(pk=b[0].pk).update(aws_state="archived")
    Finding.objects.filter(pk=b[1].pk).update(category="Credentials loss")
    assert kept() == live() and sum(live().values()) == 5
    Finding.objects.filter(pk=a[2].pk).delete()
    Finding.objects.filter(pk=b[0].pk).update(aws_state="active")  # back to open
    assert kept() == live() and sum(live().values()) == 5
    account_b.delete()  # cascades to its findings
    assert kept() == live() and sum(live().values()) == 2


@pytest.mark.parametrize("who", ["alice", "bob", "charlie"])
def test_summary_from_kept_counts_equals_the_live_summary(
    postgres, store, account_a, account_b, who, request
):
    user = request.getfixturevalue(who)
    store(account_a, severity_score=9.5)
    store(account_b, severity_score=2.0)
    store(account_b, severity_score=5.0, aws_state="archived")
    from findings.selectors import finding_list_for_user

    assert finding_summary_from_counts(user=user) == finding_summary(
        findings=finding_list_for_user(user=user)
    )
    by_type = open_counts(user=user, by=("type",))
    assert sum(row["n"] for row in by_type) == finding_list_for_user(user=user).open().count()

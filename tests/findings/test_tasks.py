"""The daily history task: safe to run twice, covers days without a sync."""

from findings.models import FindingDailyCount
from findings.tasks import finding_history_snapshot_task
from tests.findings.conftest import record


def test_the_snapshot_task_is_idempotent(account_a, account_b):
    from findings.services import finding_upsert_many

    finding_upsert_many(records=[record(), record()], default_account=account_a)
    assert finding_history_snapshot_task.delay("2024-05-14").get() == 1
    assert finding_history_snapshot_task.delay("2024-05-14").get() == 1
    (row,) = FindingDailyCount.objects.all()
    assert (str(row.day), row.account, row.count) == ("2024-05-14", account_a, 2)

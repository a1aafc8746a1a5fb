"""The set-based store path: a fixed number of queries per chunk, whatever its size, and every rule
of storing findings kept (natural key, hash compare, history, reopen, gone, clipping, owners)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from findings.choices import AwsState, FindingEventKind, FindingStatus
from findings.models import Finding, FindingEvent
from findings.services import finding_upsert_many
from findings.services.sync import STORE_BATCH
from findings.services.upsert import CHUNK
from tests.findings.conftest import record


def _queries(new: int, changed: int, unchanged: int) -> int:
    """Queries of one chunk: its savepoint (2, inside the test's transaction), the clock (2),
    staging (create, empty; SQLite also loads with a query), the changing rows, the upsert;
    history when any row was written (SQLite: a query; PostgreSQL loads by COPY, which Django's
    query log does not see); the live risk acceptances when any row is new (none here)."""
    sqlite = connection.vendor == "sqlite"
    count = 2 + 2 + 2 + (1 if sqlite else 0) + 1 + 1 + (1 if new else 0)
    if sqlite and (new or changed):
        count += 1
    return count


@pytest.mark.parametrize("size", [1, 40, CHUNK])
def test_a_chunk_costs_the_same_queries_whatever_its_size(
    account_a, size, django_assert_num_queries
):
    records = [record() for _ in range(size)]
    with django_assert_num_queries(_queries(size, 0, 0)):
        counts = finding_upsert_many(records=records, default_account=account_a)
    assert (counts.new, counts.updated, counts.unchanged) == (size, 0, 0)
    assert FindingEvent.objects.filter(kind=FindingEventKind.CREATED).count() == size
    with django_assert_num_queries(_queries(0, 0, size)):
        counts = finding_upsert_many(records=records, default_account=account_a)
    assert (counts.new, counts.updated, counts.unchanged) == (0, 0, size)


def test_more_than_a_chunk_is_stored_in_chunks_of_fixed_cost(account_a, django_assert_num_queries):
    records = [record() for _ in range(CHUNK + 5)]
    with django_assert_num_queries(2 * _queries(1, 0, 0)):
        counts = finding_upsert_many(records=records, default_account=account_a)
    assert counts.new == CHUNK + 5 and Finding.objects.count() == CHUNK + 5
    assert STORE_BATCH <= CHUNK  # the sync's batches are one chunk each


def test_a_rerun_writes_no_row_and_keeps_updated_at(account_a):
    records = [record() for _ in range(30)]
    finding_upsert_many(records=records, default_account=account_a)
    before = dict(Finding.objects.values_list("pk", "updated_at"))
    events = FindingEvent.objects.count()
    counts = finding_upsert_many(records=records, default_account=account_a)
    assert counts.unchanged == 30
    assert dict(Finding.objects.values_list("pk", "updated_at")) == before
    assert FindingEvent.objects.count() == events


def test_only_changed_rows_get_history_with_before_and_after(account_a):
    one, two = record(severity_score=5.0), record()
    finding_upsert_many(records=[one, two], default_account=account_a)
    changed = record(source_id=one.source_id, title=one.title, severity_score=8.5, raw={"v": 2})
    counts = finding_upsert_many(records=[changed, two], default_account=account_a)
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 1)
    event = FindingEvent.objects.get(kind=FindingEventKind.AWS_UPDATED)
    assert event.changes == {"severity": ["medium", "high"], "severity_score": [5.0, 8.5]}
    finding = Finding.objects.get(source_id=one.source_id)
    assert (finding.severity, finding.severity_rank, finding.raw) == ("high", 3, {"v": 2})


def test_a_gone_finding_returned_unchanged_is_back(account_a):
    one = record()
    finding_upsert_many(records=[one], default_account=account_a)
    Finding.objects.update(aws_state=AwsState.GONE)
    counts = finding_upsert_many(records=[one], default_account=account_a)
    assert counts.updated == 1
    assert Finding.objects.get().aws_state == AwsState.ACTIVE
    event = FindingEvent.objects.get(kind=FindingEventKind.RETURNED)
    assert event.changes == {"aws_state": ["gone", "active"]}


def test_the_person_status_wins_over_a_reopen(account_a):
    one = record(service_count=2)
    finding_upsert_many(records=[one], default_account=account_a)
    Finding.objects.update(status=FindingStatus.SUPPRESSED)
    finding_upsert_many(
        records=[record(source_id=one.source_id, service_count=9)], default_account=account_a
    )
    assert Finding.objects.get().status == FindingStatus.SUPPRESSED
    assert not FindingEvent.objects.filter(kind=FindingEventKind.REOPENED).exists()


def test_hostile_text_is_stored_verbatim_and_clipped_to_its_column(account_a):
    hostile = "<script>alert(1)</script>'; DROP TABLE findings_finding; --\u2028é" * 40
    one = record(type=hostile, title=hostile, raw={"Title": hostile, "Nested": {"k": [hostile]}})
    finding_upsert_many(records=[one], default_account=account_a)
    finding = Finding.objects.get()
    assert finding.title == hostile and finding.type == hostile[:255]
    assert finding.raw == {"Title": hostile, "Nested": {"k": [hostile]}}
    counts = finding_upsert_many(records=[one], default_account=account_a)
    assert counts.unchanged == 1  # the clipped column does not make it look changed


def test_categories_follow_every_input_of_the_rules(account_a):
    # Macie's category depends on public access in the payload: two findings of one type differ.
    public = {
        "resourcesAffected": {"s3Bucket": {"publicAccess": {"effectivePermission": "PUBLIC"}}}
    }
    kind = "SensitiveData:S3Object/Credentials"
    private = record(source="macie", type=kind, native_severity="High", raw={})
    shared = record(source="macie", type=kind, native_severity="High", raw=public)
    finding_upsert_many(records=[private, shared], default_account=account_a)
    categories = dict(Finding.objects.values_list("source_id", "category"))
    assert categories[private.source_id] == "Data compliance"
    assert categories[shared.source_id] == "Credentials loss"


@pytest.mark.django_db(transaction=True)
def test_two_writers_of_one_key_store_it_once(postgres, account_a):
    """A delegated administrator and its member collecting the same finding at the same time."""
    from tests.factories import AwsAccountFactory

    admin = AwsAccountFactory(account_id="111111111111")
    shared = [record() for _ in range(50)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def write(account) -> None:
        try:
            barrier.wait(5)
            finding_upsert_many(records=shared, default_account=account)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(a,)) for a in (admin, account_a)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert Finding.objects.count() == 50
    assert FindingEvent.objects.filter(kind=FindingEventKind.CREATED).count() == 50
    with transaction.atomic():
        assert set(Finding.objects.values_list("account__account_id", flat=True)) == {
            "222222222222"
        }


def test_vulnerabilities_are_written_set_based_replaced_and_hostile_values_kept(
    account_a, django_assert_max_num_queries
):
    """Inspector's vulnerability rows go in with the chunk (staged, one upsert): a fixed number of
    queries for 1 or 40 findings, replaced when the finding changes, hostile text kept verbatim
    (clipped to its column), JSON with quotes, backslashes and tabs intact."""
    from dataclasses import replace

    from findings.models import FindingVulnerability
    from findings.records import VulnerabilityRecord

    hostile = "<img src=x onerror=alert(1)>\t\\'\"\n\u2028é" * 20
    vulnerability = VulnerabilityRecord(
        cve_id="CVE-2024-0001",
        cvss_score=9.8,
        package_name=hostile,
        packages=({"name": hostile, "version": "1.0"}, {"name": "openssl", "version": "3.0"}),
        resource_tags={"team\t\\": hostile},
        remediation=hostile,
    )

    def batch(size: int, **changes: object) -> list:
        return [
            record(source="inspector", vulnerability=replace(vulnerability, **changes))
            for _ in range(size)
        ]

    with django_assert_max_num_queries(_queries(1, 0, 0) + 3) as one:
        finding_upsert_many(records=batch(1), default_account=account_a)
    with django_assert_max_num_queries(len(one.captured_queries)):
        finding_upsert_many(records=batch(40), default_account=account_a)
    assert FindingVulnerability.objects.count() == 41
    stored = FindingVulnerability.objects.first()
    assert stored is not None
    assert stored.package_name == hostile[:255] and stored.remediation == hostile
    assert stored.resource_tags == {"team\t\\": hostile}
    assert stored.packages[0] == {"name": hostile, "version": "1.0"}
    assert stored.package_names == f"\n{hostile}\nopenssl\n"
    again = [
        record(
            source="inspector",
            source_id=stored.finding.source_id,
            vulnerability=replace(vulnerability, cvss_score=5.0),
        )
    ]
    finding_upsert_many(records=again, default_account=account_a)
    assert FindingVulnerability.objects.get(pk=stored.pk).cvss_score == 5.0
    assert FindingVulnerability.objects.count() == 41

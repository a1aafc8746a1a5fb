"""Query counts of the lists and pages that had none pinned: they must not grow with rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import CollectionRun
from findings.services.rollups import rollups_flush
from tests.conftest import bearer_client


def runs(account, n: int) -> None:
    for i in range(n):
        CollectionRun.objects.create(
            account=account, region="us-east-1", source="macie", outcome="ok",
            started_at=datetime(2024, 5, 1, i % 24, tzinfo=UTC),
            finished_at=datetime(2024, 5, 1, i % 24, 1, tzinfo=UTC),
        )  # fmt: skip


def macie(store, account, n: int) -> None:
    for i in range(n):
        store(
            account,
            source="macie",
            type="SensitiveData:S3Object/Personal",
            native_severity="High",
            bucket=f"bucket-{i % 3}",
            public_access=bool(i % 2),
            sensitive_data={"PERSONAL_INFORMATION": 1 + i},
        )
    rollups_flush(source="macie")  # as a collection does when it ends


@pytest.mark.parametrize(
    ("url", "whole", "paged"),
    [
        # token, scope, page; + the count when the list does not fit its first page
        ("/api/v1/collection-runs/", 3, 4),
        ("/api/v1/findings/?updated_since=2000-01-01", 3, 4),
        # the page's ids by account (LATERAL), then their rows; a page of 5 from the first
        # account's rows alone is one query
        ("/api/v1/findings/?ordering=account", 4, 4),
        ("/api/v1/findings/?q=finding&severity=medium", 3, 4),
    ],
)
def test_api_lists_do_not_grow_with_rows(
    alice, store, account_a, account_b, django_assert_num_queries, url, whole, paged
):
    client = bearer_client(alice)
    runs(account_a, 2)
    store(account_a)
    client.get(url)  # the token's first use is recorded
    with django_assert_num_queries(whole):
        assert client.get(url).status_code == 200
    runs(account_b, 30)
    for _ in range(30):
        store(account_b)
    with django_assert_num_queries(whole):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(paged):  # pages of 5: counted
        assert client.get(url, {"page_size": 5}).json()["next"]


# /macie/: session, user, scope (twice), the data's version (2), then the rollups (scope, pending
# keys, open counts with their scope, buckets, sensitive types, exposed buckets), as-of, perms (2)
@pytest.mark.parametrize(("url", "queries"), [("/categories/", 10), ("/macie/", 17)])
def test_report_pages_do_not_grow_with_rows(
    alice, store, account_a, account_b, django_assert_num_queries, url, queries
):
    from django.core.cache import cache

    client = Client()
    client.force_login(alice)
    macie(store, account_a, 2)
    client.get(url)
    cache.clear()  # the Macie page's cache: count the page computed afresh
    with django_assert_num_queries(queries) as few:
        assert client.get(url).status_code == 200
    macie(store, account_b, 20)
    cache.clear()
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200

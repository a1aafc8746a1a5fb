"""AWS faults the collection survives: an opt-in region not enabled, credentials expiring in the
middle of a pagination. Injected by the emulator by account, region, operation and call count."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import CollectionRun
from findings.models import Finding
from tests.conftest import emulate_member
from tests.factories import AwsAccountFactory

PROD = "222222222222"


@pytest.fixture
def prod(db, emulator, aws_world):
    account = AwsAccountFactory(account_id=PROD, regions=["us-east-1", "af-south-1", "eu-west-1"])
    emulate_member(aws_world, account)
    for region in account.regions:
        aws_world.guardduty(PROD, region).enable()
    return account


def collect(*args: str) -> dict[str, list[str]]:
    out = StringIO()
    call_command("collect", "--source", "guardduty", *args, stdout=out)
    return {line.split()[1]: line.split()[3:] for line in out.getvalue().splitlines()}


def test_an_opt_in_region_not_enabled_is_not_enabled_and_not_asked_every_cycle(prod, emulator):
    token_refused = "The security token included in the request is invalid."
    for region in ("af-south-1", "eu-west-1"):
        emulator.inject(
            "guardduty",
            None,
            "UnrecognizedClientException",
            account_id=PROD,
            region=region,
            times=None,
            message=token_refused,
        )
    lines = collect()
    assert lines["us-east-1"][0] == "ok"
    assert lines["af-south-1"][0] == "not_enabled"
    assert "af-south-1 is an opt-in region not enabled" in " ".join(lines["af-south-1"])
    # the same answer in a region every account has is a real credential problem
    assert lines["eu-west-1"][0] == "access_denied"
    asked = emulator.count(service="guardduty", account_id=PROD, region="af-south-1")
    assert asked == 1  # refused at once: never retried

    again = collect()
    assert again["af-south-1"][0] == "not_enabled" and "calls=0" in again["af-south-1"]
    assert emulator.count(service="guardduty", account_id=PROD, region="af-south-1") == asked
    assert again["eu-west-1"][0] == "access_denied"  # asked again each cycle, as it should be


def test_credentials_expiring_mid_pagination_are_refreshed_and_the_pages_go_on(
    prod, emulator, aws_world
):
    state = aws_world.guardduty(PROD, "us-east-1")
    ids = [state.add_finding(Title=f"finding {i}")["Id"] for i in range(120)]
    assume_before = emulator.count(operation="AssumeRole", account_id=None)
    emulator.inject(
        "guardduty",
        "ListFindings",
        "ExpiredTokenException",
        account_id=PROD,
        region="us-east-1",
        after=1,  # page 2 of 3
        message="The security token included in the request is expired",
    )
    lines = collect("--full")
    assert lines["us-east-1"][:2] == ["ok", "new=120"], lines["us-east-1"]
    lists = [
        c
        for c in emulator.calls
        if c.operation == "ListFindings" and c.region == "us-east-1" and c.account_id == PROD
    ]
    assert [c.error_code for c in lists] == [None, "ExpiredTokenException", None, None]
    assert lists[1].params.get("NextToken") == lists[2].params.get("NextToken")  # same page again
    assert emulator.count(operation="AssumeRole") - assume_before == 2  # first, and the refresh
    stored = sorted(Finding.objects.filter(region="us-east-1").values_list("source_id", flat=True))
    assert stored == sorted(ids)
    assert CollectionRun.objects.filter(region="us-east-1", outcome="ok").count() == 1


def test_credentials_refused_again_after_a_refresh_are_access_denied(prod, emulator, aws_world):
    aws_world.guardduty(PROD, "us-east-1").add_finding(Title="one")
    emulator.inject(
        "guardduty",
        "ListFindings",
        "ExpiredTokenException",
        account_id=PROD,
        region="us-east-1",
        times=None,
    )
    lines = collect()
    assert lines["us-east-1"][0] == "access_denied"
    assert emulator.count(operation="ListFindings", region="us-east-1") == 2


def test_empty_pages_with_a_next_token_are_followed(prod, emulator, aws_world):
    state = aws_world.guardduty(PROD, "us-east-1")
    ids = [state.add_finding(Title=f"finding {i}")["Id"] for i in range(120)]
    emulator.empty_pages(
        "guardduty", "ListFindings", account_id=PROD, region="us-east-1", after=1, times=3
    )
    lines = collect()
    assert lines["us-east-1"][:2] == ["ok", "new=120"], lines["us-east-1"]
    lists = [
        c
        for c in emulator.calls
        if c.operation == "ListFindings" and c.region == "us-east-1" and c.account_id == PROD
    ]
    assert len(lists) == 3 + 3  # three pages, three empty answers in between
    stored = sorted(Finding.objects.filter(region="us-east-1").values_list("source_id", flat=True))
    assert stored == sorted(ids)


def test_endless_empty_pages_fail_the_run_and_keep_the_cursor(prod, emulator, aws_world):
    from accounts.aws import MAX_EMPTY_PAGES
    from accounts.models import SyncCursor

    aws_world.guardduty(PROD, "us-east-1").add_finding(Title="one")
    collect()
    cursor = SyncCursor.objects.get(account=prod, region="us-east-1", source="guardduty")
    emulator.empty_pages(
        "guardduty", "ListFindings", account_id=PROD, region="us-east-1", times=None
    )
    lines = collect("--full")
    assert lines["us-east-1"][0] == "failed"
    assert f"{MAX_EMPTY_PAGES + 1} empty pages in a row" in " ".join(lines["us-east-1"])
    after = SyncCursor.objects.get(pk=cursor.pk)
    assert (after.cursor, after.state) == (cursor.cursor, cursor.state)
    assert Finding.objects.get(region="us-east-1").aws_state == "active"  # nothing marked gone

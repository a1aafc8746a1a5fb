"""Macie, Inspector, CloudTrail, Cost Explorer and Budgets behave like AWS's models say."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from aws_emulator import Emulator, World

from .conftest import MGMT, PROD, STAGING, session_for


def test_macie_off_says_not_enabled(emu: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        session_for(PROD).client("macie2").get_macie_session()
    assert caught.value.response["Error"] == {
        "Code": "AccessDeniedException",
        "Message": "Macie is not enabled",
    }


def test_macie_lists_filters_and_limits(emu: Emulator, world: World) -> None:
    state = world.macie(PROD, "us-east-1")
    state.enable()
    start = world.clock()
    for i in range(60):
        world.clock.set(start + timedelta(minutes=i))
        state.add_finding(type="SensitiveData:S3Object/Credentials")
    client = session_for(PROD).client("macie2")
    assert client.get_macie_session()["status"] == "ENABLED"
    ids = [i for p in client.get_paginator("list_findings").paginate() for i in p["findingIds"]]
    assert len(ids) == 60
    since = int((start + timedelta(minutes=49, seconds=30)).timestamp() * 1000)
    recent = client.list_findings(findingCriteria={"criterion": {"updatedAt": {"gt": since}}})
    assert len(recent["findingIds"]) == 10
    with pytest.raises(ClientError, match="ValidationException"):
        client.get_findings(findingIds=ids[:51])
    assert len(client.get_findings(findingIds=ids[:50])["findings"]) == 50


def test_inspector_status_pages_and_max(emu: Emulator, world: World) -> None:
    state = world.inspector2(PROD, "us-east-1")
    client = session_for(PROD).client("inspector2")
    assert client.batch_get_account_status()["accounts"][0]["state"]["status"] == "DISABLED"
    state.enable()
    for i in range(60):
        state.add_finding(severity="UNTRIAGED" if i % 2 else "HIGH")
    for i in range(250):
        state.add_coverage(
            resourceType="AWS_EC2_INSTANCE", resourceId=f"i-{i:017x}", scanType="PACKAGE"
        )
    assert client.batch_get_account_status()["accounts"][0]["state"]["status"] == "ENABLED"
    pages = list(client.get_paginator("list_findings").paginate(PaginationConfig={"PageSize": 100}))
    assert sum(len(p["findings"]) for p in pages) == 60 and len(pages[0]["findings"]) <= 25
    untriaged = client.list_findings(
        filterCriteria={"severity": [{"comparison": "EQUALS", "value": "UNTRIAGED"}]}
    )
    assert {f["severity"] for f in untriaged["findings"]} == {"UNTRIAGED"}
    coverage = list(client.get_paginator("list_coverage").paginate())
    assert [len(p["coveredResources"]) for p in coverage] == [200, 50]
    with pytest.raises(ClientError, match="ValidationException"):
        client.list_findings(maxResults=101)


def test_cloudtrail_rate_limit_window_and_max(emu: Emulator, world: World) -> None:
    state = world.cloudtrail(PROD, "us-east-1")
    now = world.clock()
    for i in range(120):
        state.add_event(EventName="RunInstances", EventTime=now - timedelta(hours=i))
    state.add_event(EventName="OldCall", EventTime=now - timedelta(days=91))
    client = session_for(PROD).client("cloudtrail")
    first = client.lookup_events()
    assert len(first["Events"]) == 50 and first["NextToken"]
    client.lookup_events(NextToken=first["NextToken"])
    with pytest.raises(ClientError) as caught:
        client.lookup_events()
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    world.clock.advance(seconds=1)
    events = []
    for p in client.get_paginator("lookup_events").paginate(
        StartTime=now - timedelta(days=100), EndTime=now
    ):
        events += p["Events"]
        world.clock.advance(seconds=1)
    assert len(events) == 120  # the 91-day-old event is past the 90 days of history
    with pytest.raises(ClientError, match="InvalidMaxResultsException"):
        client.lookup_events(MaxResults=51)
    world.clock.advance(seconds=1)
    with pytest.raises(ClientError, match="InvalidTimeRangeException"):
        client.lookup_events(StartTime=now, EndTime=now - timedelta(days=1))


@pytest.fixture
def costs(world: World) -> World:
    state = world.ce(MGMT)
    today = world.clock().date()
    for back in range(1, 31):
        for account in (MGMT, PROD, STAGING):
            for service in ("EC2", "S3", "Lambda", "RDS", "GuardDuty"):
                state.add_cost(today - timedelta(days=back), account, service, 10.0)
    state.add_anomaly(
        {
            "AnomalyId": "a-1",
            "AnomalyStartDate": f"{today - timedelta(days=5)}T00:00:00Z",
            "AnomalyScore": {"MaxScore": 0.9, "CurrentScore": 0.5},
            "Impact": {"MaxImpact": 50.0, "TotalImpact": 120.0},
            "MonitorArn": "arn:aws:ce::111111111111:anomalymonitor/m-1",
        }
    )
    return world


def test_cost_and_usage_pages_and_days_straddle(emu: Emulator, costs: World) -> None:
    costs.ce_page_groups = 40  # 15 groups a day: a page boundary falls inside a day
    client = boto3.client("ce")
    today = costs.clock().date()
    request = {
        "TimePeriod": {"Start": str(today - timedelta(days=30)), "End": str(today)},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost"],
        "GroupBy": [
            {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
            {"Type": "DIMENSION", "Key": "SERVICE"},
        ],
    }
    pages, token = [], None
    while True:
        page = client.get_cost_and_usage(**request, **({"NextPageToken": token} if token else {}))
        pages.append(page)
        token = page.get("NextPageToken")
        if not token:
            break
    assert len(pages) == 12 and emu.count(service="ce") == 12
    periods = [r["TimePeriod"]["Start"] for p in pages for r in p["ResultsByTime"]]
    assert len(periods) > len(set(periods))  # some day appears on two pages
    assert sum(len(r["Groups"]) for p in pages for r in p["ResultsByTime"]) == 30 * 15


def test_member_sees_only_its_own_costs(emu: Emulator, costs: World) -> None:
    today = costs.clock().date()
    response = (
        session_for(PROD)
        .client("ce")
        .get_cost_and_usage(
            TimePeriod={"Start": str(today - timedelta(days=3)), "End": str(today)},
            Granularity="MONTHLY",
            Metrics=["UnblendedCost"],
            GroupBy=[{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}],
        )
    )
    keys = {g["Keys"][0] for r in response["ResultsByTime"] for g in r["Groups"]}
    assert keys == {PROD}


def test_anomalies_feedback_and_injected_failure(emu: Emulator, costs: World) -> None:
    client = boto3.client("ce")
    today = costs.clock().date()
    anomalies = client.get_anomalies(DateInterval={"StartDate": str(today - timedelta(days=30))})
    assert [a["AnomalyId"] for a in anomalies["Anomalies"]] == ["a-1"]
    assert client.provide_anomaly_feedback(AnomalyId="a-1", Feedback="YES")["AnomalyId"] == "a-1"
    assert costs.ce(MGMT).feedback == [("a-1", "YES")]
    # botocore retries LimitExceededException itself, so fail every attempt.
    emu.inject("ce", "ProvideAnomalyFeedback", "LimitExceededException", times=None)
    with pytest.raises(ClientError, match="LimitExceededException"):
        client.provide_anomaly_feedback(AnomalyId="a-1", Feedback="NO")
    assert costs.ce(MGMT).feedback == [("a-1", "YES")]
    forecast = client.get_cost_forecast(
        TimePeriod={"Start": str(today), "End": str(today + timedelta(days=10))},
        Metric="UNBLENDED_COST",
        Granularity="MONTHLY",
    )
    assert float(forecast["Total"]["Amount"]) == pytest.approx(1500.0)


def test_budgets_with_notification_states(emu: Emulator, world: World) -> None:
    world.budgets(PROD).add_budget("prod-monthly", 1000.0, 850.0, 1200.0)
    client = session_for(PROD).client("budgets")
    budget = client.describe_budgets(AccountId=PROD)["Budgets"][0]
    assert budget["CalculatedSpend"]["ActualSpend"]["Amount"] == "850.00"
    states = client.describe_notifications_for_budget(AccountId=PROD, BudgetName="prod-monthly")
    assert [n["NotificationState"] for n in states["Notifications"]] == ["ALARM", "ALARM"]
    with pytest.raises(ClientError, match="NotFoundException"):
        client.describe_notifications_for_budget(AccountId=PROD, BudgetName="missing")

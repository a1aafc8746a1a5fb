"""Cost Explorer (ce): daily cost by linked account and service, forecast, anomaly monitors and
anomalies. Pure AWS talk: no database, no settings.

Every request costs USD 0.01, each page counted
(https://aws.amazon.com/aws-cost-management/aws-cost-explorer/pricing/), so each function asks for
exactly what the caller planned and pages only as far as AWS says there is more. Raises the
accounts.aws exceptions (AccessDenied, Throttled, AwsError).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from accounts.aws import AwsClient, AwsError
from costs.sources.costs import SOURCE

METRIC = "UnblendedCost"
# GetCostForecast takes the metric in upper snake case.
FORECAST_METRIC = "UNBLENDED_COST"
# Declared with the source (costs/sources/costs.py).
ANOMALY_PAGE = SOURCE.page_sizes["GetAnomalies"]
# Cost Explorer answers DataUnavailableException when it has too little history to forecast.
NO_FORECAST_CODES = frozenset({"DataUnavailableException"})


@dataclass(frozen=True)
class CostRecord:
    """One day's unblended cost of one service in one linked account."""

    day: date
    account_id: str
    service: str
    amount: Decimal
    unit: str
    estimated: bool


@dataclass(frozen=True)
class CostWindow:
    """Every cost of the days [start, end), merged across pages; `days` lists the days AWS
    answered for (a day with no group is a day with no cost, not a day AWS skipped)."""

    start: date
    end: date
    records: tuple[CostRecord, ...]
    days: tuple[date, ...]
    account_names: dict[str, str]


@dataclass(frozen=True)
class ForecastRecord:
    """AWS's forecast of unblended cost for [start, end) (the rest of the month)."""

    start: date
    end: date
    mean: Decimal
    lower: Decimal | None
    upper: Decimal | None
    unit: str


@dataclass(frozen=True)
class MonitorRecord:
    """An anomaly monitor (its name is shown beside its anomalies)."""

    arn: str
    name: str
    monitor_type: str
    dimension: str


@dataclass(frozen=True)
class AnomalyRecord:
    """A Cost Explorer anomaly as AWS gave it; `impact_percentage` is None when AWS omits it
    (expected spend 0)."""

    anomaly_id: str
    monitor_arn: str
    start_date: date | None
    end_date: date | None
    dimension_value: str
    root_causes: tuple[dict[str, Any], ...]
    max_score: float | None
    current_score: float | None
    max_impact: Decimal
    total_impact: Decimal
    total_actual: Decimal | None
    total_expected: Decimal | None
    impact_percentage: Decimal | None
    feedback: str
    raw: dict[str, Any]


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def _decimal(value: Any) -> Decimal | None:
    # Amounts come as strings ("12.3456") or numbers (anomaly impact): str() keeps a float's
    # shortest repr, so 1875.42 stays 1875.42 and never becomes 1875.4200000000000728.
    return None if value is None else Decimal(str(value))


def daily_costs(client: AwsClient, *, start: date, end: date) -> CostWindow:
    """Daily unblended cost of [start, end) grouped by LINKED_ACCOUNT and SERVICE.

    GetCostAndUsage has no boto3 paginator: loop on NextPageToken; one day's groups may straddle
    two pages, so groups are merged by TimePeriod (a group seen twice keeps its last value).
    https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_GetCostAndUsage.html
    """
    params: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": [METRIC],
        "GroupBy": [
            {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
            {"Type": "DIMENSION", "Key": "SERVICE"},
        ],
    }
    merged: dict[date, dict[tuple[str, str], CostRecord]] = {}
    names: dict[str, str] = {}
    while True:
        page = client.call("get_cost_and_usage", **params)
        for result in page.get("ResultsByTime", []):
            day = date.fromisoformat(result["TimePeriod"]["Start"][:10])
            groups = merged.setdefault(day, {})
            for record in _group_records(day, result):
                groups[(record.account_id, record.service)] = record
        for attribute in page.get("DimensionValueAttributes", []):
            names[attribute["Value"]] = attribute.get("Attributes", {}).get("description", "")
        token = page.get("NextPageToken")
        if not token:
            break
        params["NextPageToken"] = token
    records = tuple(r for day in sorted(merged) for r in merged[day].values())
    return CostWindow(start, end, records, tuple(sorted(merged)), names)


def _group_records(day: date, result: dict[str, Any]) -> Iterable[CostRecord]:
    estimated = bool(result.get("Estimated", False))
    for group in result.get("Groups", []):
        account_id, service = group["Keys"][0], group["Keys"][1]
        metric = group["Metrics"][METRIC]
        yield CostRecord(
            day=day,
            account_id=account_id,
            service=service,
            amount=Decimal(metric["Amount"]),
            unit=metric.get("Unit", "USD"),
            estimated=estimated,
        )


def month_forecast(client: AwsClient, *, start: date, end: date) -> ForecastRecord | None:
    """AWS's forecast of [start, end) (today to month end), or None when AWS has too little data.

    https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_GetCostForecast.html
    """
    try:
        answer = client.call(
            "get_cost_forecast",
            TimePeriod={"Start": start.isoformat(), "End": end.isoformat()},
            Metric=FORECAST_METRIC,
            Granularity="MONTHLY",
            PredictionIntervalLevel=80,
        )
    except AwsError as exc:
        if exc.code in NO_FORECAST_CODES:
            return None
        raise
    periods = answer.get("ForecastResultsByTime", [])
    total = answer.get("Total", {})
    return ForecastRecord(
        start=start,
        end=end,
        mean=Decimal(total.get("Amount", "0")),
        lower=_sum(periods, "PredictionIntervalLowerBound"),
        upper=_sum(periods, "PredictionIntervalUpperBound"),
        unit=total.get("Unit", "USD"),
    )


def _sum(periods: list[dict[str, Any]], key: str) -> Decimal | None:
    values = [Decimal(p[key]) for p in periods if key in p]
    return sum(values, Decimal(0)) if values else None


def anomaly_monitors(client: AwsClient) -> list[MonitorRecord]:
    """Every anomaly monitor of the payer (paged; the caller caches them)."""
    return [
        MonitorRecord(
            arn=m["MonitorArn"],
            name=m.get("MonitorName", ""),
            monitor_type=m.get("MonitorType", ""),
            dimension=m.get("MonitorDimension", ""),
        )
        for page in client.pages("get_anomaly_monitors", MaxResults=ANOMALY_PAGE)
        for m in page.get("AnomalyMonitors", [])
    ]


def anomalies(client: AwsClient, *, start: date, end: date | None = None) -> list[AnomalyRecord]:
    """Every anomaly whose start date lies in [start, end], paged by NextPageToken.

    https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_GetAnomalies.html
    """
    interval = {"StartDate": start.isoformat()}
    if end is not None:
        interval["EndDate"] = end.isoformat()
    return [
        anomaly_record(a)
        for page in client.pages("get_anomalies", DateInterval=interval, MaxResults=ANOMALY_PAGE)
        for a in page.get("Anomalies", [])
    ]


def anomaly_record(raw: dict[str, Any]) -> AnomalyRecord:
    """Our record of one anomaly in boto3's shape."""
    impact = raw.get("Impact", {})
    score = raw.get("AnomalyScore", {})
    return AnomalyRecord(
        anomaly_id=raw["AnomalyId"],
        monitor_arn=raw.get("MonitorArn", ""),
        start_date=_day(raw.get("AnomalyStartDate")),
        end_date=_day(raw.get("AnomalyEndDate")),
        dimension_value=raw.get("DimensionValue", ""),
        root_causes=tuple(raw.get("RootCauses", [])),
        max_score=score.get("MaxScore"),
        current_score=score.get("CurrentScore"),
        max_impact=_decimal(impact.get("MaxImpact")) or Decimal(0),
        total_impact=_decimal(impact.get("TotalImpact")) or Decimal(0),
        total_actual=_decimal(impact.get("TotalActualSpend")),
        total_expected=_decimal(impact.get("TotalExpectedSpend")),
        impact_percentage=_decimal(impact.get("TotalImpactPercentage")),
        feedback=raw.get("Feedback", ""),
        raw=raw,
    )


def anomaly_feedback(client: AwsClient, *, anomaly_id: str, feedback: str) -> None:
    """Send YES / NO / PLANNED_ACTIVITY on one anomaly (the one write Watchpost makes to AWS).

    https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_ProvideAnomalyFeedback.html
    """
    client.call("provide_anomaly_feedback", AnomalyId=anomaly_id, Feedback=feedback)

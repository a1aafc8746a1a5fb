"""Cost Explorer (ce, us-east-1): cost and usage, forecast, anomaly monitors and anomalies.

Every request is counted by the emulator (AWS bills USD 0.01 per request, each page counted):
https://aws.amazon.com/aws-cost-management/aws-cost-explorer/pricing/
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import AwsError
from ..paging import fingerprint, page
from ..registry import RequestContext, invalid_token, operation
from ._common import clone

if TYPE_CHECKING:
    from ..world import World

# Metrics GetCostAndUsage accepts (API reference, "Metrics").
_METRICS = (
    "AmortizedCost",
    "BlendedCost",
    "NetAmortizedCost",
    "NetUnblendedCost",
    "NormalizedUsageAmount",
    "UnblendedCost",
    "UsageQuantity",
)
_DIMENSIONS = {"LINKED_ACCOUNT": "account", "SERVICE": "service", "REGION": "region"}
# GetAnomalies / GetAnomalyMonitors: no documented page size; we answer 100 by default.
ANOMALY_PAGE = 100
# GroupBy: "You can group by up to two different types" (API reference).
MAX_GROUP_BY = 2


def _invalid(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400)


class CostExplorerState:
    """Cost data, anomalies and monitors held by one (payer) account."""

    def __init__(self, world: World, account_id: str) -> None:
        self.world = world
        self.account_id = account_id
        self.costs: list[dict[str, Any]] = []
        self.anomalies: dict[str, dict[str, Any]] = {}
        self.monitors: list[dict[str, Any]] = []
        self.feedback: list[tuple[str, str]] = []

    def add_cost(
        self,
        day: date | str,
        account_id: str,
        service: str,
        amount: float,
        region: str = "us-east-1",
        usage: float = 0.0,
    ) -> None:
        """Record one day's unblended cost of `service` in linked account `account_id`."""
        day_text = day if isinstance(day, str) else day.isoformat()
        self.costs.append(
            {
                "day": day_text,
                "account": account_id,
                "service": service,
                "region": region,
                "amount": float(amount),
                "usage": float(usage),
            }
        )

    def add_anomaly(self, anomaly: dict[str, Any]) -> dict[str, Any]:
        """Store an anomaly in boto3 shape (AnomalyId, dates, RootCauses, Impact...)."""
        data = clone(anomaly)
        self.anomalies[data["AnomalyId"]] = data
        return clone(data)

    def add_monitor(self, monitor: dict[str, Any]) -> dict[str, Any]:
        """Store an anomaly monitor in boto3 shape."""
        self.monitors.append(clone(monitor))
        return clone(monitor)


def _payer(context: RequestContext) -> str:
    org = context.world.org
    if org is not None and context.account_id in context.world.accounts:
        return org.management_account_id
    return context.account_id


def _visible_costs(context: RequestContext) -> list[dict[str, Any]]:
    """The payer sees every linked account; a member sees only its own costs."""
    payer = _payer(context)
    rows = context.world.ce(payer).costs
    if context.account_id == payer:
        return rows
    return [r for r in rows if r["account"] == context.account_id]


def _dates(period: dict[str, str]) -> tuple[date, date]:
    try:
        start, end = (date.fromisoformat(period[k][:10]) for k in ("Start", "End"))
    except ValueError as error:
        raise _invalid(f"Invalid date: {error}") from error
    if start >= end:
        raise _invalid("Start date must be before end date.")
    return start, end


def _matches(row: dict[str, Any], expression: dict[str, Any] | None) -> bool:
    if not expression:
        return True
    if "And" in expression:
        return all(_matches(row, e) for e in expression["And"])
    if "Or" in expression:
        return any(_matches(row, e) for e in expression["Or"])
    if "Not" in expression:
        return not _matches(row, expression["Not"])
    dims = expression.get("Dimensions")
    if dims and dims.get("Key") in _DIMENSIONS:
        return row[_DIMENSIONS[dims["Key"]]] in dims.get("Values", [])
    raise _invalid("aws_emulator filters on Dimensions LINKED_ACCOUNT, SERVICE, REGION only")


def _period_of(day: date, granularity: str, start: date, end: date) -> tuple[date, date]:
    if granularity == "DAILY":
        return day, day + timedelta(days=1)
    first = max(start, day.replace(day=1))
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, min(end, following)


def _metrics(rows: list[dict[str, Any]], names: list[str]) -> dict[str, dict[str, str]]:
    out = {}
    for name in names:
        total = sum(r["usage" if name == "UsageQuantity" else "amount"] for r in rows)
        out[name] = {
            "Amount": f"{total:.10f}".rstrip("0").rstrip("."),
            "Unit": "N/A" if name == "UsageQuantity" else "USD",
        }
    return out


def _check_cost_request(params: dict[str, Any]) -> list[str]:
    if params["Granularity"] == "HOURLY":
        raise _invalid("Hourly granularity is not enabled for this account.")
    bad = [m for m in params["Metrics"] if m not in _METRICS]
    if bad or not params["Metrics"]:
        raise _invalid(f"Invalid metrics: {bad}")
    groups = params.get("GroupBy", [])
    if len(groups) > MAX_GROUP_BY:
        raise _invalid("You can only group by up to two dimensions.")
    keys = []
    for group in groups:
        if group.get("Type") != "DIMENSION" or group.get("Key") not in _DIMENSIONS:
            raise _invalid("aws_emulator groups by DIMENSION LINKED_ACCOUNT, SERVICE, REGION only")
        keys.append(group["Key"])
    return keys


@operation("ce", "GetCostAndUsage")
def get_cost_and_usage(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Costs by period and groups; pages by NextPageToken, a period may straddle two pages."""
    keys = _check_cost_request(params)
    start, end = _dates(params["TimePeriod"])
    rows = [
        r
        for r in _visible_costs(context)
        if start <= date.fromisoformat(r["day"]) < end and _matches(r, params.get("Filter"))
    ]
    buckets: dict[tuple[date, date], dict[tuple[str, ...], list]] = defaultdict(
        lambda: defaultdict(list)
    )
    periods = []
    day = start
    while day < end:
        period = _period_of(day, params["Granularity"], start, end)
        if period not in periods:
            periods.append(period)
        day += timedelta(days=1)
    for row in rows:
        period = _period_of(date.fromisoformat(row["day"]), params["Granularity"], start, end)
        buckets[period][tuple(row[_DIMENSIONS[k]] for k in keys)].append(row)
    entries = [
        (period, group)
        for period in periods
        for group in (sorted(buckets[period]) if keys else [None])
    ]
    chunk, token = page(
        entries,
        size=context.world.ce_page_groups if keys else len(entries) or 1,
        token=params.get("NextPageToken"),
        print_=fingerprint(params, ("NextPageToken",)),
        short=context.short_pages and bool(keys),
        invalid=lambda: invalid_token("ce"),
    )
    results: list[dict[str, Any]] = []
    today = context.now.date()
    for period, group in chunk:
        if not results or results[-1]["_period"] != period:
            results.append(
                {
                    "_period": period,
                    "TimePeriod": {"Start": period[0].isoformat(), "End": period[1].isoformat()},
                    "Total": {},
                    "Groups": [],
                    "Estimated": period[1] > today.replace(day=1),
                }
            )
            if not keys:
                all_rows = [r for g in buckets[period].values() for r in g]
                results[-1]["Total"] = _metrics(all_rows, params["Metrics"])
        if group is not None:
            results[-1]["Groups"].append(
                {
                    "Keys": list(group),
                    "Metrics": _metrics(buckets[period][group], params["Metrics"]),
                }
            )
    for result in results:
        result.pop("_period")
    response: dict[str, Any] = {
        "GroupDefinitions": params.get("GroupBy", []),
        "ResultsByTime": results,
    }
    if "LINKED_ACCOUNT" in keys:
        seen = sorted(
            {g["Keys"][keys.index("LINKED_ACCOUNT")] for r in results for g in r["Groups"]}
        )
        accounts = context.world.accounts
        response["DimensionValueAttributes"] = [
            {"Value": a, "Attributes": {"description": accounts[a].name if a in accounts else a}}
            for a in seen
        ]
    if token:
        response["NextPageToken"] = token
    return response


@operation("ce", "GetCostForecast")
def get_cost_forecast(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Forecast = mean daily cost of the last 30 days, per period, with a ±15% interval."""
    start, end = _dates(params["TimePeriod"])
    today = context.now.date()
    if start < today:
        raise _invalid("Start date must be equal to or later than the current date.")
    recent = [
        r
        for r in _visible_costs(context)
        if today - timedelta(days=30) <= date.fromisoformat(r["day"]) < today
        and _matches(r, params.get("Filter"))
    ]
    daily = sum(r["amount"] for r in recent) / 30.0
    periods, day = [], start
    while day < end:
        period = _period_of(day, params["Granularity"], start, end)
        if period not in periods:
            periods.append(period)
        day += timedelta(days=1)
    results = []
    for first, last in periods:
        mean = daily * (last - first).days
        results.append(
            {
                "TimePeriod": {"Start": first.isoformat(), "End": last.isoformat()},
                "MeanValue": f"{mean:.2f}",
                "PredictionIntervalLowerBound": f"{mean * 0.85:.2f}",
                "PredictionIntervalUpperBound": f"{mean * 1.15:.2f}",
            }
        )
    total = daily * (end - start).days
    return {"Total": {"Amount": f"{total:.2f}", "Unit": "USD"}, "ForecastResultsByTime": results}


@operation("ce", "GetAnomalyMonitors")
def get_anomaly_monitors(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The caller's anomaly monitors (UnknownMonitorException for an unknown ARN asked for)."""
    monitors = context.world.ce(context.account_id).monitors
    wanted = params.get("MonitorArnList")
    if wanted:
        known = {m["MonitorArn"] for m in monitors}
        missing = [arn for arn in wanted if arn not in known]
        if missing:
            raise AwsError("UnknownMonitorException", f"Monitor {missing[0]} does not exist.", 400)
        monitors = [m for m in monitors if m["MonitorArn"] in wanted]
    chunk, token = page(
        monitors,
        size=params.get("MaxResults", ANOMALY_PAGE),
        token=params.get("NextPageToken"),
        print_=fingerprint(params, ("NextPageToken", "MaxResults")),
        short=context.short_pages,
        invalid=lambda: invalid_token("ce"),
    )
    return {"AnomalyMonitors": clone(chunk), **({"NextPageToken": token} if token else {})}


def _impact_ok(anomaly: dict[str, Any], rule: dict[str, Any] | None) -> bool:
    if not rule:
        return True
    value = anomaly["Impact"]["TotalImpact"]
    low, high = rule["StartValue"], rule.get("EndValue")
    return {
        "EQUAL": value == low,
        "GREATER_THAN_OR_EQUAL": value >= low,
        "LESS_THAN_OR_EQUAL": value <= low,
        "GREATER_THAN": value > low,
        "LESS_THAN": value < low,
        "BETWEEN": high is not None and low <= value <= high,
    }[rule["NumericOperator"]]


@operation("ce", "GetAnomalies")
def get_anomalies(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Anomalies whose start date lies in DateInterval, newest first, paged."""
    interval = params["DateInterval"]
    start = interval["StartDate"][:10]
    end = interval.get("EndDate", context.now.date().isoformat())[:10]
    selected = [
        a
        for a in context.world.ce(context.account_id).anomalies.values()
        if start <= a.get("AnomalyStartDate", "")[:10] <= end
        and params.get("MonitorArn") in (None, a["MonitorArn"])
        and params.get("Feedback") in (None, a.get("Feedback"))
        and _impact_ok(a, params.get("TotalImpact"))
    ]
    selected.sort(key=lambda a: (a.get("AnomalyStartDate", ""), a["AnomalyId"]), reverse=True)
    chunk, token = page(
        selected,
        size=params.get("MaxResults", ANOMALY_PAGE),
        token=params.get("NextPageToken"),
        print_=fingerprint(params, ("NextPageToken", "MaxResults")),
        short=context.short_pages,
        invalid=lambda: invalid_token("ce"),
    )
    return {"Anomalies": clone(chunk), **({"NextPageToken": token} if token else {})}


@operation("ce", "ProvideAnomalyFeedback")
def provide_anomaly_feedback(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Record YES / NO / PLANNED_ACTIVITY on an anomaly the caller can see."""
    state = context.world.ce(context.account_id)
    anomaly = state.anomalies.get(params["AnomalyId"])
    if anomaly is None:
        raise _invalid(f"Anomaly {params['AnomalyId']} does not exist.")
    anomaly["Feedback"] = params["Feedback"]
    state.feedback.append((params["AnomalyId"], params["Feedback"]))
    return {"AnomalyId": params["AnomalyId"]}

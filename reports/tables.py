"""The report's tables, as rows for its CSV downloads (and the digest's text)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from findings.choices import Severity
from reports.selectors import Report

TABLES = ("summary", "top_risks", "budgets", "anomalies")


def summary_rows(report: Report) -> list[tuple[str, Any, str]]:
    """(what, number, the list it counts) for every number of the report."""
    rows: list[tuple[str, Any, str]] = [("Open findings", report.open_total, report.links["open"])]
    for s in Severity:
        rows.append(
            (
                f"Open {s.label.lower()}",
                report.open_by_severity[s.value],
                report.links[f"open_{s.value}"],
            )
        )
    rows += [
        ("New in the period", report.new, report.links["new"]),
        ("Resolved in the period", report.resolved, report.links["resolved"]),
    ]
    if report.sla_breached is not None:
        rows.append(("SLA breached", report.sla_breached, report.links["sla_breached"]))
    for band, days in report.mttr_days.items():
        rows.append((f"Mean days to resolve, {band}", days, report.links[f"resolved_{band}"]))
    if report.accepted_expiring is not None:
        rows.append(
            (
                "Accepted risks expiring in 30 days",
                report.accepted_expiring,
                report.links.get("accepted_expiring", ""),
            )
        )
    rows += [
        ("Spend (USD)", report.spend, report.links["spend"]),
        ("Spend, period before (USD)", report.spend_previous, report.links["spend"]),
        ("Cost anomalies", report.anomalies, report.links["anomalies"]),
    ]
    for key, n in report.anomalies_by_feedback.items():
        rows.append((f"Cost anomalies, feedback {key}", n, report.links[f"anomalies_{key}"]))
    return rows


def report_table(
    report: Report, table: str, *, base: str
) -> tuple[Sequence[str], Iterable[Sequence[Any]]]:
    """The header and rows of one table; links made absolute on `base`."""
    if table == "top_risks":
        return (
            ["id", "severity", "title", "type", "account_id", "region", "first_seen"],
            [
                (f.pk, f.severity, f.title, f.type, f.account.account_id, f.region, f.first_seen)
                for f in report.top_risks
            ],
        )
    if table == "budgets":
        keys = ["name", "account_id", "limit", "actual", "forecast", "variance", "status", "unit"]
        # status_label is for people; the CSV keeps the API's status value
        return keys, [[b[k] for k in keys] for b in report.budgets]
    if table == "anomalies":
        return (
            ["feedback", "count", "list"],
            [
                (key, n, base.rstrip("/") + report.links[f"anomalies_{key}"])
                for key, n in report.anomalies_by_feedback.items()
            ],
        )
    return (
        ["what", "value", "list"],
        [(what, value, base.rstrip("/") + link) for what, value, link in summary_rows(report)],
    )

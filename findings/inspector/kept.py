"""The Inspector report's sections read from the rollups the database keeps
(findings.models.rollups): a few thousand rows per report however many findings there are.

They hold the report's own scope: the person's accounts and the account, OU and region filters.
A report with any other filter (severity, type, CVE, package...) counts the findings themselves
(findings.inspector.report.LiveSections), which such a filter narrows. Pending keys are
recomputed first (findings.services.rollups), so a report never reads a stale key.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connections
from django.db.models import F, Max, Model, QuerySet, Sum
from django.http import QueryDict

from accounts.selectors import account_scope_for_user
from findings.choices import FindingSource
from findings.filtersets import FindingFilterSet
from findings.inspector import report
from findings.models import (
    Finding,
    InspectorOpenAge,
    InspectorOpenCell,
    InspectorOpenCve,
    InspectorOpenResource,
    InspectorOpenRisk,
)
from findings.selectors import User
from findings.services.rollups import rollups_flush

__all__ = ["KEPT_FILTERS", "KeptSections", "rollups_hold"]

KEPT_FILTERS = frozenset({"account", "ou", "region"})


def rollups_hold(filters: QueryDict, findings: QuerySet[Finding]) -> bool:
    """Whether the rollups can answer: PostgreSQL, and no filter beyond account, OU and region."""
    return connections[findings.db].vendor == "postgresql" and set(filters) <= KEPT_FILTERS


class KeptSections:
    """The report's sections from the rollups of the person's accounts, narrowed by the filters."""

    def __init__(self, *, user: User, filters: QueryDict, findings: QuerySet[Finding]) -> None:
        self.filters, self.findings = filters, findings
        self.scope = account_scope_for_user(user=user)  # asked once for every section
        rollups_flush(source=FindingSource.INSPECTOR, accounts=self.scope)

    def _kept(self, model: type[Model]) -> QuerySet[Any]:
        kept = model._default_manager.all()
        if self.scope is not None:
            kept = kept.filter(account__in=self.scope)
        if self.filters:  # already checked: the report's findings were built from them
            kept = FindingFilterSet(data=self.filters, queryset=kept).qs
        return kept.order_by()

    def cells(self) -> list[dict[str, Any]]:
        rows = (
            self._kept(InspectorOpenCell)
            .values(
                "account__account_id",
                "account__name",
                "type",
                "severity",
                "fix_available",
                "exploit_available",
            )
            .annotate(n=Sum("n"))
        )
        return [
            {
                "account__account_id": r["account__account_id"],
                "account__name": r["account__name"],
                "type": r["type"],
                "report_severity": r["severity"],
                "vulnerability__fix_available": r["fix_available"],
                "vulnerability__exploit_available": r["exploit_available"],
                "n": r["n"],
            }
            for r in rows
        ]

    def resource_count(self) -> int:
        return self._kept(InspectorOpenResource).count()

    def top_risks(self) -> list[dict[str, Any]]:
        ids = list(
            self._kept(InspectorOpenRisk)
            .order_by(
                F("score").desc(),
                F("epss").desc(),
                "no_exploit",
                F("rank").desc(),
                "finding_id",
            )
            .values_list("finding_id", flat=True)[: report.TOP_RISKS]
        )
        rows = {
            row["id"]: row
            for row in self.findings.filter(id__in=ids).values(
                *report.ROW_FIELDS,
                "report_severity",
            )
        }
        return [report.risk_row(rows[i]) for i in ids if i in rows]

    def top_cves(self) -> list[dict[str, Any]]:
        rows = (
            self._kept(InspectorOpenCve)
            .values("cve_id")
            .annotate(
                resources_=Sum("resources"),
                findings_=Sum("findings"),
                worst_=Max("worst"),
                score_=Max("score"),
                epss_=Max("epss"),
                exploit_=Sum("exploit"),
                fix_=Sum("fix"),
            )
            .order_by(F("resources_").desc(), F("score_").desc(nulls_last=True), "cve_id")[
                : report.TOP_CVES
            ]
        )
        return [
            report.cve_row(
                {
                    "vulnerability__cve_id": r["cve_id"],
                    **{k.rstrip("_"): v for k, v in r.items() if k.endswith("_")},
                }
            )
            for r in rows
        ]

    def age_days(self, today: date) -> list[tuple[int, str, int]]:
        rows = self._kept(InspectorOpenAge).values("day", "severity").annotate(total=Sum("n"))
        return [((today - r["day"]).days, r["severity"], r["total"]) for r in rows]

    def resources(self) -> list[dict[str, Any]]:
        rows = (
            self._kept(InspectorOpenResource)
            .order_by(*report.RESOURCE_ORDER)
            .values(
                "account__account_id",
                "region",
                "resource_type",
                "resource_id",
                "resource_name",
                "total",
                *report.REPORT_SEVERITIES,
                "worst_cve",
                "worst_score",
            )[: report.RESOURCES_SHOWN]
        )
        return [
            {
                "account_id": r.pop("account__account_id"),
                **{k: r[k] for k in ("region", "resource_type", "resource_id", "resource_name")},
                "total": r["total"],
                **{s: r[s] for s in report.REPORT_SEVERITIES},
                "worst_cve": r["worst_cve"],
                "worst_score": r["worst_score"],
            }
            for r in rows
        ]

"""FilterSets of the costs app: one per model, shared by the pages and the API.

A bad value answers 400 naming the parameter in the API, and an error beside the field on a page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from django.db.models import Case, DecimalField, F, Q, QuerySet, Value, When
from django_filters.constants import EMPTY_VALUES

from accounts.ous import OU_ID_PATTERN, accounts_under_ous
from accounts.validators import validate_account_id
from costs.choices import AnomalyFeedback, AnomalySeverity, BudgetStatus
from costs.models import MONEY, Budget, CostAnomaly

NO_FEEDBACK = "none"
BUDGET_TYPES = [
    (t, t.replace("_", " ").title())
    for t in (
        "COST",
        "USAGE",
        "RI_UTILIZATION",
        "RI_COVERAGE",
        "SAVINGS_PLANS_UTILIZATION",
        "SAVINGS_PLANS_COVERAGE",
    )
]


class OuFilter(filters.CharFilter):
    """`ou=<OU id>`: rows of the accounts in that OU or any OU under it (a malformed id is a 400)."""

    def __init__(self, *, to_field: str, **kwargs: Any) -> None:
        self.to_field = to_field
        kwargs.setdefault("label", "Organisational unit")
        kwargs.setdefault(
            "validators",
            [
                RegexValidator(
                    f"^(?:{OU_ID_PATTERN})$",
                    "Not an organisational unit id such as ou-ab12-cd34ef56 (or r-ab12).",
                )
            ],
        )
        super().__init__(max_length=68, **kwargs)

    def filter(self, qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if not value:
            return qs
        accounts = accounts_under_ous([value]).values(self.to_field)
        return qs.filter(**{f"{self.field_name}__in": accounts})


class AnomalyOrdering(filters.OrderingFilter):
    """Ordering of anomalies; by total impact, a total the person may not see counts as null (the
    database puts nulls at one end: PostgreSQL last ascending, first descending), so where it sorts
    says nothing about it."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        names = [self.get_ordering_value(v) for v in value or [] if v not in EMPTY_VALUES]
        if not any(n.lstrip("-") == "total_impact" for n in names):
            return super().filter(qs, value)
        hidden = self.parent.totals_hidden_ids(qs)
        qs = qs.annotate(
            seen_impact=Case(
                When(pk__in=hidden, then=Value(None)),
                default=F("total_impact"),
                output_field=DecimalField(**MONEY, null=True),
            )
        )
        order = [n.replace("total_impact", "seen_impact") for n in names]
        return qs.order_by(*order)


class CostAnomalyFilterSet(filters.FilterSet):
    """Anomalies by account, service, dates, minimum impact, feedback and derived severity."""

    account = filters.CharFilter(
        field_name="account_id", validators=[validate_account_id], label="Account"
    )
    ou = OuFilter(field_name="account_id", to_field="account_id")
    service = filters.CharFilter(
        max_length=255, validators=[ProhibitNullCharactersValidator()], label="Service"
    )
    start_after = filters.DateFilter(
        field_name="start_date", lookup_expr="gte", label="Started from"
    )
    start_before = filters.DateFilter(
        field_name="start_date", lookup_expr="lte", label="Started until"
    )
    date = filters.DateFilter(method="filter_date", label="Active on")
    min_impact = filters.NumberFilter(
        field_name="total_impact",
        method="filter_min_impact",
        min_value=0,
        label="Minimum impact (USD)",
    )
    feedback = filters.ChoiceFilter(
        choices=[*AnomalyFeedback.choices, (NO_FEEDBACK, "No feedback")],
        method="filter_feedback",
    )
    severity = filters.ChoiceFilter(
        field_name="derived_severity",
        method="filter_severity",
        choices=AnomalySeverity.choices,
        label="Severity",
    )
    ordering = AnomalyOrdering(
        fields=(
            ("start_date", "start_date"),
            ("total_impact", "total_impact"),
            ("account_id", "account"),
            ("service", "service"),
        )
    )

    class Meta:
        model = CostAnomaly
        fields: list[str] = []

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user if user is not None else getattr(self.request, "user", None)

    def totals_hidden_ids(self, qs: QuerySet[CostAnomaly]) -> list[int]:
        """Ids of the anomalies of `qs` whose totals the person may not see (costs.selectors)."""
        from costs.selectors import anomaly_totals_hidden_ids

        if self.user is None:  # fail closed: nobody to see any total
            return list(qs.order_by().values_list("pk", flat=True))
        return anomaly_totals_hidden_ids(qs, user=self.user)

    def filter_min_impact(self, qs: QuerySet[CostAnomaly], name: str, value: Any) -> QuerySet:
        if value is None:
            return qs
        hidden = self.totals_hidden_ids(qs)
        return qs.exclude(pk__in=hidden).filter(total_impact__gte=value)

    def filter_severity(self, qs: QuerySet[CostAnomaly], name: str, value: str) -> QuerySet:
        if not value:
            return qs
        hidden = self.totals_hidden_ids(qs)
        return qs.exclude(pk__in=hidden).filter(derived_severity=value)

    def filter_date(self, qs: QuerySet[CostAnomaly], name: str, value: dt.date | None) -> QuerySet:
        if value is None:
            return qs
        return qs.filter(start_date__lte=value).filter(
            Q(end_date__gte=value) | Q(end_date__isnull=True)
        )

    def filter_feedback(self, qs: QuerySet[CostAnomaly], name: str, value: str) -> QuerySet:
        if not value:
            return qs
        return qs.filter(feedback="" if value == NO_FEEDBACK else value)


class BudgetFilterSet(filters.FilterSet):
    """Budgets by account, status and type."""

    account = filters.CharFilter(
        field_name="account__account_id", validators=[validate_account_id], label="Account"
    )
    ou = OuFilter(field_name="account", to_field="pk")
    status = filters.ChoiceFilter(choices=BudgetStatus.choices)
    budget_type = filters.ChoiceFilter(choices=BUDGET_TYPES)

    class Meta:
        model = Budget
        fields: list[str] = []

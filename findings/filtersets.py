"""The one FilterSet of findings: it drives the API (findings/, summary/) and the findings page.

Every parameter answers 400 naming itself when its value is bad (django-filter's DRF backend turns the
form's errors into a ValidationError), never 500: the strict filters of core.filters check enums
against their choices, parse ids and dates, and refuse NUL characters (which PostgreSQL refuses).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import django_filters as filters
from django.db import connections
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from accounts.ous import OU_ID_PATTERN, accounts_under_ous
from core.db import ILikeContains
from core.filters import (
    ChoicesFilter,
    GivenFiltersOnly,
    MultipleValueFilter,
    StrictBooleanFilter,
    TimeFilter,
)
from findings.choices import (
    OPEN_STATUSES,
    AwsState,
    FindingSource,
    FindingStatus,
    FixAvailable,
    Severity,
    VulnerabilityType,
)

# The events that resolve a finding: the rule of findings.governance.sla, shared, not restated.
from findings.governance.sla import _RESOLVING_EVENTS, resolved_q, sla_breached_q
from findings.models import SEARCH_FIELDS, Finding, FindingEvent, search_text

T = TypeVar("T")

UNCATEGORISED = "uncategorised"  # the category filter's name for findings without one


def resolved_in(after: Any = None, before: Any = None) -> Q:
    """Findings resolved now whose last resolution (findings.governance.sla's rule: our status set
    to resolved, or AWS archiving it or no longer returning it) falls in [after, before): the
    `resolved_after`/`resolved_before` filters and the report's resolved count. Written as two
    semi-joins on the events' (kind, at) index rather than each finding's last event, so a
    window costs what its events cost."""

    def events(**at: Any) -> QuerySet[FindingEvent]:
        return FindingEvent.objects.filter(_RESOLVING_EVENTS, finding=OuterRef("pk"), **at)

    window = {"at__gte": after} if after is not None else {}
    if before is not None:
        window["at__lt"] = before
    match = resolved_q() & Q(Exists(events(**window)))
    if before is not None:
        match &= ~Q(Exists(events(at__gte=before)))
    return match


class FindingOrderingFilter(filters.OrderingFilter):
    """Ordering by a few fields, always with `id` last so pages never overlap nor skip."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value in ([], (), {}, "", None):
            return qs
        ordering: list[str] = []
        for param in value:
            ordering.append(self.get_ordering_value(param))
            if param.lstrip("-") == "severity":  # within a band, by AWS's score
                ordering.append(("-" if param.startswith("-") else "") + "severity_score")
        last = "-id" if ordering[0].startswith("-") else "id"
        return qs.order_by(*ordering, last)


class FindingFilterSet(GivenFiltersOnly, filters.FilterSet):
    """Every filter of `findings/` (docs/api.md, Findings), plus a few of our own (open, remote_ip...)."""

    source = ChoicesFilter(choices=FindingSource.choices)
    account = MultipleValueFilter(
        field_name="account__account_id",
        pattern=r"\d{12}",
        message="An account id is 12 digits, not %(value)s.",
    )
    ou = MultipleValueFilter(
        method="filter_ou",
        pattern=OU_ID_PATTERN,
        message="Not an organisational unit id such as ou-ab12-cd34ef56 (or r-ab12): %(value)s.",
        label="Organisational unit",
    )
    region = MultipleValueFilter(
        pattern=r"[a-z]{2}(-[a-z]+)+-\d{1,2}",
        message="Not a region name such as us-east-1: %(value)s.",
    )
    severity = ChoicesFilter(choices=Severity.choices)
    status = ChoicesFilter(choices=FindingStatus.choices)
    aws_state = ChoicesFilter(choices=AwsState.choices)
    category = MultipleValueFilter(method="filter_category")
    type = filters.CharFilter(lookup_expr="startswith", max_length=255)
    q = filters.CharFilter(method="filter_q", max_length=200, label="Text")
    open = StrictBooleanFilter(method="filter_open", label="Open")
    sla_breached = StrictBooleanFilter(method="filter_sla_breached", label="SLA breached")
    risk_acceptance = MultipleValueFilter(
        field_name="risk_acceptance_id",
        pattern=r"[1-9]\d{0,17}",
        message="A risk acceptance id: %(value)s is not one.",
        label="Risk acceptance",
    )
    remote_ip = filters.CharFilter(max_length=64)
    resource_type = filters.CharFilter(max_length=64)
    # Macie: where the data is, whether it is public, what it holds, who acted.
    bucket = filters.CharFilter(max_length=255)
    public_access = StrictBooleanFilter()
    identity_type = filters.CharFilter(max_length=32)
    sensitive_data = filters.CharFilter(
        method="filter_sensitive_data", max_length=64, label="Sensitive data category"
    )
    # Inspector: the vulnerability beside the finding (findings.models.FindingVulnerability).
    vulnerability_type = ChoicesFilter(
        choices=VulnerabilityType.choices, method="filter_vulnerability_type"
    )
    cve = MultipleValueFilter(
        method="filter_cve",
        pattern=r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}",
        message="Not a vulnerability id such as CVE-2021-44228: %(value)s.",
        label="CVE",
    )
    package = filters.CharFilter(method="filter_package", max_length=255, label="Package")
    exploit_available = StrictBooleanFilter(field_name="vulnerability__exploit_available")
    fix_available = StrictBooleanFilter(method="filter_fix_available", label="Fix available")
    resource = filters.CharFilter(field_name="resource_id", max_length=1024, label="Resource id")
    updated_since = TimeFilter(field_name="updated_at", lookup_expr="gte")
    first_seen_after = TimeFilter(field_name="first_seen", lookup_expr="gte")
    first_seen_before = TimeFilter(field_name="first_seen", lookup_expr="lte")
    last_seen_after = TimeFilter(field_name="last_seen", lookup_expr="gte")
    last_seen_before = TimeFilter(field_name="last_seen", lookup_expr="lte")
    # Last resolved in this window (the report's "resolved"; findings.governance.sla's rule).
    resolved_after = TimeFilter(method="filter_resolved", label="Resolved after")
    resolved_before = TimeFilter(method="filter_resolved", label="Resolved before")
    acceptance_expires_before = TimeFilter(
        method="filter_acceptance_expires_before", label="Acceptance expires before"
    )
    ordering = FindingOrderingFilter(
        fields=(
            ("updated_at", "updated_at"),
            ("first_seen", "first_seen"),
            ("last_seen", "last_seen"),
            ("severity_rank", "severity"),
            ("severity_score", "severity_score"),
            ("service_count", "service_count"),
            ("account__account_id", "account"),
            ("region", "region"),
            ("type", "type"),
            ("status", "status"),
            ("id", "id"),
        )
    )

    class Meta:
        model = Finding
        fields: list[str] = []

    def filter_ou(self, qs: QuerySet[Finding], name: str, value: list[str]) -> QuerySet:
        """Findings of the accounts in these OUs or any OU under them: their ids read first (a
        few dozen), so the planner sees a list of accounts, as it does for a person's scope."""
        if not value:
            return qs
        accounts = self._once(
            ("ou", *value), lambda: list(accounts_under_ous(value).values_list("pk", flat=True))
        )
        return qs.filter(account__in=accounts)

    def filter_resolved(self, qs: QuerySet[Finding], name: str, value: Any) -> QuerySet:
        """Findings last resolved in [resolved_after, resolved_before) (both bounds read here,
        once, so they hold for the same resolution)."""
        data = self.form.cleaned_data
        if value is None or (name == "resolved_before" and data.get("resolved_after")):
            return qs
        return qs.filter(resolved_in(data.get("resolved_after"), data.get("resolved_before")))

    def filter_acceptance_expires_before(
        self, qs: QuerySet[Finding], name: str, value: Any
    ) -> QuerySet[Finding]:
        """Accepted findings whose live risk acceptance expires by `value`."""
        if value is None:
            return qs
        return qs.filter(
            status=FindingStatus.ACCEPTED,
            risk_acceptance__ended_at__isnull=True,
            risk_acceptance__expires_at__lte=value,
        )

    def filter_category(self, qs: QuerySet[Finding], name: str, value: list[str]) -> QuerySet:
        if not value:
            return qs
        named = [v for v in value if v.lower() != UNCATEGORISED]
        match = Q(category__in=named)
        if len(named) < len(value):
            match |= Q(category__isnull=True)
        return qs.filter(match)

    def filter_sensitive_data(self, qs: QuerySet[Finding], name: str, value: str) -> QuerySet:
        return qs.filter(sensitive_data__has_key=value.upper()) if value else qs

    def filter_vulnerability_type(
        self, qs: QuerySet[Finding], name: str, value: list[str]
    ) -> QuerySet[Finding]:
        if not value:
            return qs
        return qs.filter(
            source=FindingSource.INSPECTOR, type__in=[VulnerabilityType(v).aws for v in value]
        )

    def filter_cve(self, qs: QuerySet[Finding], name: str, value: list[str]) -> QuerySet[Finding]:
        match = Q()
        for cve in value:  # GHSA ids are mixed case: compare case-insensitively
            match |= Q(vulnerability__cve_id__iexact=cve)
        return qs.filter(match) if value else qs

    def filter_package(self, qs: QuerySet[Finding], name: str, value: str) -> QuerySet[Finding]:
        """Any of the finding's vulnerable packages, by its whole name (case-insensitive)."""
        if not value:
            return qs
        # ILIKE: the trigram index on package_names answers it (core.db.ILikeContains).
        return qs.filter(ILikeContains(F("vulnerability__package_names"), f"\n{value.strip()}\n"))

    def filter_fix_available(
        self, qs: QuerySet[Finding], name: str, value: bool | None
    ) -> QuerySet[Finding]:
        """true: a fix for every package or some of them (AWS's YES or PARTIAL); false: NO."""
        if value is None:
            return qs
        wanted = [FixAvailable.YES, FixAvailable.PARTIAL] if value else [FixAvailable.NO]
        return qs.filter(vulnerability__fix_available__in=wanted)

    def filter_q(self, qs: QuerySet[Finding], name: str, value: str) -> QuerySet[Finding]:
        """Any of SEARCH_FIELDS contains `value`, in any case.

        On PostgreSQL one ILIKE over the fields joined by newlines, which their trigram index
        answers (and whose statistics the planner has, so a common word walks the list's order
        instead); a match across two fields would have to hold the newline, so only a value that
        holds one is also checked field by field. SQLite checks each field (icontains)."""
        if not value:
            return qs
        match = Q()
        for field in SEARCH_FIELDS:
            match |= Q(**{f"{field}__icontains": value})
        if connections[qs.db].vendor != "postgresql":
            return qs.filter(match)
        qs = qs.filter(ILikeContains(search_text(), value))
        return qs.filter(match) if "\n" in value else qs

    def filter_open(self, qs: QuerySet[Finding], name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        is_open = Q(aws_state=AwsState.ACTIVE, status__in=OPEN_STATUSES)
        return qs.filter(is_open) if value else qs.exclude(is_open)

    def filter_sla_breached(self, qs: QuerySet[Finding], name: str, value: bool | None) -> QuerySet:
        """true: open past the severity's SLA (findings.governance.sla); false: every other."""
        if value is None:
            return qs
        late = self._once(("sla_breached",), sla_breached_q)
        return qs.filter(late) if value else qs.exclude(late)

    def _once(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        """`make()` once per FilterSet: what a filter reads from the database (an OU's accounts,
        the SLAs) is read once when the filters apply to two querysets (the API list's rows and
        what it counts: core.api.mixins.EncodedListMixin), and both filter with the same value."""
        made: dict[tuple[Any, ...], Any] = self.__dict__.setdefault("_made", {})
        if key not in made:
            made[key] = make()
        return made[key]

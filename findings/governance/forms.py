"""Forms of the governance pages: a risk acceptance, "accept risk" on one finding, the SLAs."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from django import forms

from accounts.models import AwsAccount
from findings.choices import FindingSource, Severity
from findings.governance.acceptance import MAX_DAYS, REASON_MAX_LENGTH
from findings.governance.sla import SLA_SEVERITIES
from findings.models.governance import SLA_MAX_DAYS

__all__ = ["AcceptRiskForm", "RiskAcceptanceForm", "SlaForm"]

_SEVERITIES = [("", "Any"), *Severity.choices]


class AcceptRiskForm(forms.Form):
    """Why, and until when (a day, its end in UTC): a rule for one finding."""

    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the rule and in the audit log.",
    )
    expires_on = forms.DateField(
        label="Until",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"The risk is accepted until the end of this day (UTC), at most {MAX_DAYS} days.",
    )

    def rule_data(self) -> dict[str, Any]:
        """The service's fields (findings.governance.acceptance.risk_acceptance_create)."""
        day = self.cleaned_data["expires_on"]
        return {
            "reason": self.cleaned_data["reason"],
            "expires_at": datetime.combine(day, time.max, tzinfo=UTC).replace(microsecond=0),
        }


class RiskAcceptanceForm(AcceptRiskForm):
    """A rule over many findings; every criterion given must hold."""

    accounts = forms.MultipleChoiceField(
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text="None chosen: every account you see.",
    )
    sources = forms.MultipleChoiceField(
        required=False, choices=FindingSource.choices, widget=forms.CheckboxSelectMultiple
    )
    type_prefix = forms.CharField(
        required=False, max_length=255, label="Type (prefix)", help_text="Recon:EC2/"
    )
    resource_id = forms.CharField(required=False, max_length=1024, label="Resource id")
    resource_tag = forms.CharField(
        required=False, max_length=512, label="Resource tag", help_text="key=value (Inspector)"
    )
    min_severity = forms.ChoiceField(required=False, choices=_SEVERITIES, label="From severity")
    max_severity = forms.ChoiceField(required=False, choices=_SEVERITIES, label="To severity")
    approved_by = forms.CharField(
        required=False,
        max_length=150,
        label="Approved by",
        help_text="An Admin or Manager's username; empty: you.",
    )

    def __init__(self, *args: Any, accounts: list[AwsAccount], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["accounts"].choices = [  # type: ignore[attr-defined]
            (a.account_id, f"{a.account_id} {a.name}".strip()) for a in accounts
        ]

    def rule_data(self) -> dict[str, Any]:
        data = super().rule_data()
        for name in (
            "accounts",
            "sources",
            "type_prefix",
            "resource_id",
            "resource_tag",
            "min_severity",
            "max_severity",
            "approved_by",
        ):
            data[name] = self.cleaned_data[name]
        return data


class SlaForm(forms.Form):
    """Days per severity (critical, high, medium, low)."""

    def __init__(self, data: Any = None, *, days: dict[str, int]) -> None:
        super().__init__(data, initial=days)
        for severity in SLA_SEVERITIES:
            self.fields[severity] = forms.IntegerField(
                min_value=1, max_value=SLA_MAX_DAYS, label=f"{Severity(severity).label} (days)"
            )

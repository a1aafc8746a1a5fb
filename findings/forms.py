"""Forms of the findings pages: the list's filters (the API's FilterSet, laid out for people) and
the workflow forms (one finding, or many from the list)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from accounts.models import AccessProfile, AwsAccount, OrganizationalUnit
from accounts.ous import ou_label
from core.filters import CommaSeparatedWidget
from findings.choices import WORKFLOW_STATUS_CHOICES, FindingStatus
from findings.filtersets import FindingFilterSet
from findings.services.workflow import NOTE_MAX_LENGTH, TICKET_REF_MAX_LENGTH

__all__ = [
    "ORDERINGS",
    "BulkWorkflowForm",
    "WorkflowForm",
    "assignable_people",
    "finding_filter_form",
]

# The list's sort orders, as the FilterSet's `ordering` names them.
ORDERINGS: list[tuple[str, str]] = [
    ("-severity", "Severity, worst first"),
    ("severity", "Severity, least first"),
    ("-last_seen", "Last seen, newest first"),
    ("last_seen", "Last seen, oldest first"),
    ("-first_seen", "First seen, newest first"),
    ("account", "Account"),
    ("-account", "Account, descending"),
    ("-service_count", "Count, most first"),
    ("service_count", "Count, fewest first"),
    ("-updated_at", "Changed, newest first"),
]
DEFAULT_ORDERING = "-severity"
_TIME_HELP = "A date (2024-05-14) or an ISO 8601 time"


class CommaSeparatedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes that read a parameter given several times or comma-separated, as the API does."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return CommaSeparatedWidget().value_from_datadict(data, files, name)


class CommaSeparatedSelect(forms.Select):
    """One choice, read as a list as the FilterSet's CSV fields expect (`ordering`): a plain Select
    would hand "-severity" over as a string, which the field then splits into characters and
    refuses, so the bound form always failed that field (and rendered it aria-invalid)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return CommaSeparatedWidget().value_from_datadict(data, files, name)


def finding_filter_form(
    data: Any,
    *,
    accounts: Iterable[AwsAccount],
    ous: Iterable[OrganizationalUnit] = (),
) -> forms.Form:
    """The FindingFilterSet's own form, bound to `data`, with widgets for a page: checkboxes for the
    enums, the person's accounts and OUs to choose from, the sort orders by name."""
    form = FindingFilterSet(data=data, queryset=None, every_filter=True).form  # type: ignore[arg-type]
    fields = form.fields
    for name in ("severity", "source", "status", "aws_state"):
        fields[name].widget = CommaSeparatedCheckboxes(choices=fields[name].choices)
    fields["account"].widget = CommaSeparatedWidget(
        choices=[(a.account_id, f"{a.account_id} {a.name}".strip()) for a in accounts],
        attrs={"size": 4},
    )
    fields["ou"].widget = CommaSeparatedSelect(
        choices=[("", "Every OU")] + [(u.ou_id, ou_label(u)) for u in ous]
    )
    fields["open"].widget = forms.Select(
        choices=[("", "Any state"), ("true", "Open only"), ("false", "Not open")]
    )
    fields["sla_breached"].widget = forms.Select(
        choices=[("", "Any"), ("true", "Breached"), ("false", "Not breached")]
    )
    fields["ordering"].widget = CommaSeparatedSelect(choices=ORDERINGS)
    fields["q"].widget.attrs.update(
        placeholder="Title, description, resource, IP", type="search", size=32
    )
    fields["type"].widget.attrs.update(placeholder="Recon:EC2/ (a prefix)")
    fields["region"].widget = forms.TextInput(attrs={"placeholder": "us-east-1"})
    fields["category"].widget = forms.TextInput(attrs={"placeholder": "Suspicious access"})
    for name in (
        "updated_since",
        "first_seen_after",
        "first_seen_before",
        "last_seen_after",
        "last_seen_before",
    ):
        fields[name].widget.attrs.update(placeholder="2024-05-14", title=_TIME_HELP)
    labels = {
        "account": "Account",
        "aws_state": "AWS state",
        "q": "Text",
        "type": "Type",
        "open": "Open",
        "sla_breached": "SLA",
        "ordering": "Sort",
        "updated_since": "Changed since",
        "first_seen_after": "First seen after",
        "first_seen_before": "First seen before",
        "last_seen_after": "Last seen after",
        "last_seen_before": "Last seen before",
        "remote_ip": "Remote IP",
        "resource_type": "Resource type",
    }
    for name, label in labels.items():
        if name in fields:
            fields[name].label = label
    return form


def assignable_people(*, account: AwsAccount | None = None) -> QuerySet[Any]:
    """Active people who may be assigned findings of `account` (any account when None): those who
    can see it (all accounts, or it among theirs), superusers included."""
    people = get_user_model().objects.filter(is_active=True)
    if account is None:
        return people.order_by("username")
    sees = AccessProfile.objects.filter(Q(all_accounts=True) | Q(accounts=account)).values("user")
    return people.filter(Q(is_superuser=True) | Q(pk__in=sees)).order_by("username")


class WorkflowForm(forms.Form):
    """Status, assignee, ticket reference and a note for one finding."""

    status = forms.ChoiceField(choices=WORKFLOW_STATUS_CHOICES)
    assignee = forms.ChoiceField(required=False, label="Assignee")
    ticket_ref = forms.CharField(
        required=False, max_length=TICKET_REF_MAX_LENGTH, label="Ticket reference"
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the history with your name.",
    )

    def __init__(
        self, *args: Any, people: Iterable[Any], current_status: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Nobody")] + [
            (p.get_username(), p.get_username()) for p in people
        ]
        if current_status == FindingStatus.ACCEPTED:
            # Kept as it is unless a person chooses another status (a rule sets it, not a person).
            self.fields["status"].choices = [
                (FindingStatus.ACCEPTED.value, FindingStatus.ACCEPTED.label),
                *WORKFLOW_STATUS_CHOICES,
            ]

    def changes(self) -> dict[str, Any]:
        """The service's arguments: an accepted finding's status is left as it is."""
        data = dict(self.cleaned_data)
        if data.get("status") == FindingStatus.ACCEPTED:
            data["status"] = None
        return data


class IdsField(forms.Field):
    """The ids of the ticked rows (`ids` given once per row)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        try:
            ids = sorted({int(v) for v in values})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError("Not a finding id.") from exc
        if any(not 0 < pk < 2**63 for pk in ids):
            raise forms.ValidationError("Not a finding id.")
        return ids


class BulkWorkflowForm(forms.Form):
    """A new status (and an optional note) for the findings ticked on the list."""

    ids = IdsField(label="Findings")
    status = forms.ChoiceField(choices=[("", "Set status…"), *WORKFLOW_STATUS_CHOICES])
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)
    next = forms.CharField(required=False, max_length=4000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].error_messages["required"] = "Tick at least one finding."
        self.fields["status"].error_messages["required"] = "Choose the new status."

    def clean_ids(self) -> list[int]:
        ids = self.cleaned_data["ids"]
        if len(ids) > 500:
            raise forms.ValidationError("At most 500 findings at once.")
        return ids

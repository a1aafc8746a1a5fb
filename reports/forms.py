"""The report's parameters: one account or one OU of those the person sees (or neither: every
account they see), and a period."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from accounts.ous import ou_label, ou_list_for_user
from accounts.selectors import account_list_for_user
from findings.selectors import User
from reports.selectors import PERIODS


class ReportForm(forms.Form):
    """account=ID | ou=ID, period=week|month; anything else (another person's account, an unknown
    OU, both at once) is an error naming the field, never a report of something else."""

    account = forms.ChoiceField(required=False, label="Account")
    ou = forms.ChoiceField(required=False, label="Organisational unit")
    period = forms.ChoiceField(
        choices=[(p, p.capitalize()) for p in PERIODS], required=False, label="Period"
    )

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data)
        accounts = account_list_for_user(user=user).values_list("account_id", "name")
        cast(forms.ChoiceField, self.fields["account"]).choices = [("", "Every account")] + [
            (a, f"{a} {n}".strip()) for a, n in accounts
        ]
        cast(forms.ChoiceField, self.fields["ou"]).choices = [("", "Every OU")] + [
            (u.ou_id, ou_label(u)) for u, _accounts in ou_list_for_user(user=user)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("account") and data.get("ou"):
            raise forms.ValidationError("Give an account or an organisational unit, not both.")
        data["period"] = data.get("period") or "week"
        return data

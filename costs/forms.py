"""Forms of the costs pages."""

from __future__ import annotations

from typing import cast

from django import forms
from django.core.validators import ProhibitNullCharactersValidator

from costs.choices import AnomalyFeedback

PERIODS = [(30, "30 days"), (60, "60 days"), (90, "90 days")]


class CostOverviewForm(forms.Form):
    """The overview's filters: one account or OU (of those the person sees) and a period."""

    account = forms.ChoiceField(required=False)
    ou = forms.ChoiceField(required=False, label="Organisational unit")
    days = forms.TypedChoiceField(choices=PERIODS, coerce=int, required=False, empty_value=30)  # type: ignore[arg-type]  # any value

    def __init__(
        self,
        *args: object,
        accounts: dict[str, str],
        ous: list[tuple[str, str]] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        cast(forms.ChoiceField, self.fields["ou"]).choices = [("", "every OU"), *(ous or [])]
        cast(forms.ChoiceField, self.fields["account"]).choices = [("", "every account")] + [
            (a, f"{a} {n}".strip()) for a, n in sorted(accounts.items())
        ]


class AnomalyFeedbackForm(forms.Form):
    """Feedback sent to AWS on an anomaly, with the reason we keep."""

    feedback = forms.ChoiceField(choices=AnomalyFeedback.choices)
    reason = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        validators=[ProhibitNullCharactersValidator()],
        help_text="Why (kept here with your name; AWS receives only the answer).",
    )

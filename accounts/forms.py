"""Forms of the accounts app; validation lives in the model and accounts.validators."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError

from accounts.choices import Role, Source
from accounts.models import AwsAccount, OrganizationalUnit
from accounts.source_registry import admin_capable_sources
from accounts.validators import known_regions


class TagsField(forms.CharField):
    """Tags as `key=value` lines."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "team=payments\nenv=prod"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return "\n".join(f"{k}={v}" for k, v in value.items())
        return value

    def to_python(self, value: Any) -> dict[str, str]:
        text = super().to_python(value) or ""
        tags: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, val = line.partition("=")
            if not sep or not key.strip():
                raise ValidationError(f"Line {number}: write tags as key=value.")
            tags[key.strip()] = val.strip()
        return tags


class AwsAccountForm(forms.ModelForm):
    """Add or edit a member account. The ExternalId is generated when left empty."""

    regions = forms.MultipleChoiceField(choices=[], widget=forms.SelectMultiple(attrs={"size": 8}))
    sources = forms.MultipleChoiceField(
        choices=Source.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    administers = forms.MultipleChoiceField(
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Delegated administrator of",
        help_text="Set by discovery from the management account; set it here when discovery "
        "cannot ask (its findings of every member are then read here).",
    )
    tags = TagsField(required=False)
    external_id = forms.CharField(
        required=False,
        label="ExternalId",
        help_text="Leave empty to generate one; give the existing one for a role that expects it.",
    )

    class Meta:
        model = AwsAccount
        fields = [
            "account_id",
            "name",
            "role_arn",
            "external_id",
            "regions",
            "sources",
            "administers",
            "enabled",
            "owner",
            "tags",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["regions"].choices = [(r, r) for r in sorted(known_regions())]
        self.fields["administers"].choices = [(d.name, d.label) for d in admin_capable_sources()]
        if self.instance.pk:
            self.fields["account_id"].disabled = True

    def clean_external_id(self) -> str:
        value = self.cleaned_data.get("external_id") or ""
        return value.strip() or (self.instance.external_id if self.instance.pk else "")

    def _post_clean(self) -> None:
        if not self.cleaned_data.get("external_id"):
            self.cleaned_data.pop("external_id", None)  # keep the model's generated default
        super()._post_clean()


class PersonForm(forms.Form):
    """A person's role and the accounts they may see."""

    role = forms.ChoiceField(choices=[("", "No role"), *Role.choices], required=False)
    all_accounts = forms.BooleanField(required=False, label="Sees every account")
    accounts = forms.ModelMultipleChoiceField(
        queryset=AwsAccount.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    ous = forms.ModelMultipleChoiceField(
        queryset=OrganizationalUnit.objects.order_by("path"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Organisational units",
        help_text="Sees every account in or under these OUs, as the organisation's tree changes.",
    )
    is_active = forms.BooleanField(required=False, label="Active")

    def __init__(self, *args: Any, actor: Any = None, **kwargs: Any) -> None:
        """`actor` grants only accounts they see (every account only if they see them all)."""
        super().__init__(*args, **kwargs)
        if actor is not None:
            from accounts.selectors import account_scope_for_user

            self.fields["accounts"].queryset = AwsAccount.objects.visible_to(actor)
            if account_scope_for_user(user=actor) is not None:
                self.fields["all_accounts"].disabled = True
                self.fields[
                    "all_accounts"
                ].help_text = "Only someone who sees every account can grant every account."
                # An OU grant follows the tree as it changes: only for those who see every account.
                self.fields["ous"].disabled = True
                self.fields[
                    "ous"
                ].help_text = "Only someone who sees every account can grant organisational units."


class PersonCreateForm(forms.ModelForm):
    """A new person with a first password; the role and accounts are set on the next page."""

    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        min_length=12,
        help_text=password_validation.password_validators_help_text_html(),
    )

    class Meta:
        model = get_user_model()
        fields = ["username", "email", "first_name", "last_name"]

    def _post_clean(self) -> None:
        """The password passes every AUTH_PASSWORD_VALIDATORS check, against this person's own
        name and email too (as Django's own forms do)."""
        super()._post_clean()
        password = self.cleaned_data.get("password")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except ValidationError as exc:
                self.add_error("password", exc)


class TokenCreateForm(forms.Form):
    """A new API token for oneself."""

    name = forms.CharField(max_length=100, help_text="What uses it, e.g. 'Jira sync'.")
    can_write = forms.BooleanField(
        required=False, label="Write access", help_text="Needed to change findings' workflow."
    )
    expires_in_days = forms.IntegerField(
        required=False, min_value=1, max_value=3650, label="Expires after (days)"
    )

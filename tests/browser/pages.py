"""Every page a person browses, derived from the URL configuration, for the accessibility audits.

A URL without parameters is audited as soon as it exists (a new page is covered without touching
this file). A URL with parameters needs a way to fill them from the demo data in PAGE_KWARGS; a URL
that is not a page (a POST-only action, a download, the login flow) is named in NOT_PAGES.
tests/browser/test_accessibility.py fails when a named URL is in neither, so nothing new slips by
unaudited. Extra variants of a page (a filtered list, a 404) go in EXTRA_PATHS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Namespaces served by third-party code we do not style: the REST API (DRF's browsable API and
# drf-spectacular's docs pages) and Django's admin.
SKIPPED_NAMESPACES = {"api", "admin"}

# URL names are given without their namespace (an app may move a page to another app).
# Named URLs that are not pages a person browses.
NOT_PAGES = {
    "healthz",  # JSON for load balancers
    "favicon",  # an image
    "login",  # audited logged out, see LOGGED_OUT_PATHS
    "logout",  # POST only
    "finding_export",  # a CSV download
    "finding_bulk_update",  # POST only
    "finding_workflow",  # POST only
    "token_revoke",  # POST only
    "person_unlock",  # POST only
    "account_check",  # POST only
    "anomaly_feedback",  # POST only
    "delivery_replay",  # POST only
    "subscription_ping",  # POST only
    "account_payer",  # POST only
    "hub_principal_refresh",  # POST only
    "account_role_template",  # a YAML download
    "report_export",  # a CSV download
    "digest_toggle",  # POST only
    "finding_accept_risk",  # POST only
    "risk_acceptance_delete",  # POST only
}


def _first_pk(model_name: str, **filters: Any) -> Callable[[], dict[str, Any]]:
    """The first object of a model named by its class (whichever app holds it)."""

    def kwargs() -> dict[str, Any]:
        from django.apps import apps

        model = next(m for m in apps.get_models() if m.__name__ == model_name)
        obj = model.objects.filter(**filters).order_by("pk").first()
        assert obj is not None, f"the demo data has no {model_name} for this page"
        return {"pk": obj.pk}

    return kwargs


def _first_ou() -> str:
    """An OU of the demo organisation that holds accounts below it (Workloads)."""
    from accounts.models import OrganizationalUnit

    unit = OrganizationalUnit.objects.filter(name="Workloads").first()
    assert unit is not None, "the demo data has no Workloads OU"
    return unit.ou_id


# How to fill each parametrised page from the demo data.
PAGE_KWARGS: dict[str, Callable[[], dict[str, Any]]] = {
    "finding_detail": _first_pk("Finding", source="guardduty"),
    "principal_detail": _first_pk("Principal"),
    "account_detail": lambda: {"account_id": "222222222222"},
    "account_edit": lambda: {"account_id": "222222222222"},
    "person_edit": _first_pk("User"),
    "anomaly_detail": _first_pk("CostAnomaly"),
    # A link that is not valid: the page that says so (a valid one needs a mailed token).
    "password_reset_confirm": lambda: {"uidb64": "MQ", "token": "0-not-a-token"},
}

NOT_FOUND_PATH = "/no-such-page/"

# Variants worth their own audit: a list with filters, the Inspector finding, a page not found.
EXTRA_PATHS: list[Callable[[], str]] = [
    lambda: reverse("findings:finding_list") + "?severity=critical&severity=high&open=true",
    lambda: reverse("findings:finding_detail", kwargs=_first_pk("Finding", source="inspector")()),
    lambda: reverse("reports:report") + "?period=month&ou=" + _first_ou(),
    lambda: reverse("findings:overview") + "?heatmap=ou",
    lambda: NOT_FOUND_PATH,
]

# Pages audited logged out.
LOGGED_OUT_PATHS: list[Callable[[], str]] = [
    lambda: reverse("login"),
    lambda: NOT_FOUND_PATH,
    lambda: reverse("password_reset"),
    lambda: reverse("password_reset_done"),
    lambda: reverse("password_reset_complete"),
]


def named_urls() -> Iterator[tuple[str, URLPattern]]:
    """Every named URL pattern outside SKIPPED_NAMESPACES, as (namespaced name, pattern)."""

    def walk(patterns: list[Any], namespace: str) -> Iterator[tuple[str, URLPattern]]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace in SKIPPED_NAMESPACES:
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry.url_patterns, inner)
            elif entry.name:
                yield f"{namespace}{entry.name}", entry

    yield from walk(get_resolver().url_patterns, "")


def takes_parameters(pattern: URLPattern) -> bool:
    return bool(pattern.pattern.regex.groups)


def bare(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def unclassified() -> list[str]:
    """Parametrised named URLs that are neither filled in PAGE_KWARGS nor listed in NOT_PAGES."""
    return sorted(
        name
        for name, pattern in named_urls()
        if takes_parameters(pattern)
        and bare(name) not in PAGE_KWARGS
        and bare(name) not in NOT_PAGES
    )


def audited_paths() -> list[str]:
    """The paths to audit logged in: every page of the URL configuration, then the variants."""
    paths = []
    for name, pattern in named_urls():
        if bare(name) in NOT_PAGES:
            continue
        if takes_parameters(pattern):
            if bare(name) in PAGE_KWARGS:
                paths.append(reverse(name, kwargs=PAGE_KWARGS[bare(name)]()))
        else:
            paths.append(reverse(name))
    return list(dict.fromkeys(paths + [extra() for extra in EXTRA_PATHS]))


def logged_out_paths() -> list[str]:
    return [path() for path in LOGGED_OUT_PATHS]

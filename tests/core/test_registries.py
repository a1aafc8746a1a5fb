"""The navigation and role-permission registries: each app declares its own entries and grants."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts.choices import Role
from core import navigation, roles
from core.navigation import NavEntry, nav_entries, nav_for_user, nav_register
from core.roles import role_permissions, role_permissions_register


def test_the_sidebar_is_every_apps_entries_in_their_order():
    assert [(e.label, e.url_name) for e in nav_entries()] == [
        ("Overview", "findings:overview"),
        ("Findings", "findings:finding_list"),
        ("Categories", "findings:categories"),
        ("Macie", "findings:macie"),
        ("Users", "principals:principal_list"),
        ("Inspector", "findings:inspector_report"),
        ("SLAs", "findings:sla"),
        ("Accepted risks", "findings:risk_acceptance_list"),
        ("Report", "reports:report"),
        ("Costs", "costs:overview"),
        ("Anomalies", "costs:anomaly_list"),
        ("Budgets", "costs:budget_list"),
        ("Accounts", "accounts:account_list"),
        ("Collection health", "collection_health"),
        ("Webhooks", "webhooks:webhook_list"),
    ]


def test_an_entry_needing_a_permission_is_shown_only_to_who_holds_it(alice, bob):
    assert "webhooks:webhook_list" in [e.url_name for e in nav_for_user(alice)]
    assert "webhooks:webhook_list" not in [e.url_name for e in nav_for_user(bob)]


def test_signed_out_sees_no_navigation():
    from django.contrib.auth.models import AnonymousUser

    assert nav_for_user(AnonymousUser()) == [] and nav_for_user(None) == []


def test_an_app_registers_and_replaces_its_entries(monkeypatch):
    monkeypatch.setattr(navigation, "_ENTRIES", dict(navigation._ENTRIES))
    nav_register(NavEntry("Reports", "reports:list", order=15))
    nav_register(NavEntry("Reports!", "reports:list", order=15))
    labels = [e.label for e in nav_entries()]
    assert labels[:3] == ["Overview", "Reports!", "Findings"] and "Reports" not in labels


def test_each_role_holds_what_the_apps_granted_it():
    assert role_permissions(Role.ADMIN) == [
        "accounts.manage_accounts",
        "accounts.manage_all_tokens",
        "accounts.manage_people",
        "accounts.view_audit_log",
        "costs.send_anomaly_feedback",
        "findings.change_workflow",
        "findings.manage_risk_acceptance",
        "findings.manage_sla",
        "webhooks.manage_webhooks",
    ]
    assert role_permissions(Role.ANALYST) == ["findings.change_workflow"]
    assert role_permissions(Role.MANAGER) == [
        "costs.send_anomaly_feedback",
        "findings.manage_risk_acceptance",
    ]
    assert role_permissions(Role.VIEWER) == []


def test_an_app_can_grant_only_its_own_permissions(monkeypatch):
    monkeypatch.setattr(roles, "_GRANTS", {})
    with pytest.raises(ValueError, match="codename of costs"):
        role_permissions_register(app_label="costs", grants={Role.ADMIN: ["findings.x"]})
    role_permissions_register(app_label="costs", grants={Role.ADMIN: ["a"], Role.VIEWER: ["b"]})
    role_permissions_register(app_label="costs", grants={Role.ADMIN: ["c"]})  # replaces
    assert role_permissions(Role.ADMIN) == ["costs.c"] and role_permissions(Role.VIEWER) == []


@pytest.mark.django_db
def test_migrate_gives_the_role_groups_exactly_the_granted_permissions():
    analyst = Group.objects.get(name=Role.ANALYST)
    held = {f"{p.content_type.app_label}.{p.codename}" for p in analyst.permissions.all()}
    assert held == {"findings.change_workflow"}

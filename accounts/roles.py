"""Roles are Django groups; this table says which permissions each holds.

Admin: accounts, people, tokens, settings. Analyst: findings and their workflow. Manager: costs, budgets
and anomaly feedback; reads findings. Viewer: reads. Every role reads what its accounts hold; which
accounts a person sees is set apart, in their AccessProfile. Later apps add their permissions here; the
groups are brought in line after every `migrate`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

from accounts.choices import Role

# "app_label.codename" of every permission a role holds. A codename that does not exist (yet) is skipped.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ADMIN: [
        "accounts.manage_accounts",
        "accounts.manage_people",
        "accounts.manage_all_tokens",
        "accounts.view_audit_log",
        "findings.change_workflow",
        "costs.send_anomaly_feedback",
        "webhooks.manage_webhooks",
    ],
    Role.ANALYST: ["findings.change_workflow"],
    Role.MANAGER: ["costs.send_anomaly_feedback"],
    Role.VIEWER: [],
}


def roles_sync(**_: Any) -> None:
    """Create the role groups and give each exactly the permissions of ROLE_PERMISSIONS."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        perms = []
        for name in names:
            app_label, codename = name.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                perms.append(perm)
        group.permissions.set(perms)


def role_of(user: Any) -> str | None:
    """The role of `user` (superusers are Admin), or None if they have none."""
    if user.is_superuser:
        return Role.ADMIN
    names = set(user.groups.values_list("name", flat=True))
    for role in Role.values:  # the most powerful first
        if role in names:
            return role
    return None

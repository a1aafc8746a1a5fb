"""Roles are Django groups; each app says which of its permissions each role holds (core.roles).

Admin: accounts, people, tokens, settings. Analyst: findings and their workflow. Manager: costs, budgets
and anomaly feedback; reads findings. Viewer: reads. Every role reads what its accounts hold; which
accounts a person sees is set apart, in their AccessProfile. The groups are brought in line with the
apps' grants after every `migrate`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

from accounts.choices import Role
from core.roles import role_permissions

# Which role holds which permission of accounts itself; every other app declares its own grants
# (core.roles.role_permissions_register in its ready()). A codename that does not exist is skipped.
ACCOUNTS_GRANTS: dict[str, list[str]] = {
    Role.ADMIN: ["manage_accounts", "manage_people", "manage_all_tokens", "view_audit_log"],
}


def roles_sync(**_: Any) -> None:
    """Create the role groups and give each exactly the permissions the apps granted it."""
    for role in Role.values:
        names = role_permissions(role)
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

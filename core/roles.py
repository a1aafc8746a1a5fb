"""The role-permission registry: each app says which role holds which of its own permissions.

Roles are names (accounts.choices.Role's values: Admin, Analyst, Manager, Viewer); an app calls
`role_permissions_register(app_label=..., grants={role: [codename, ...]})` from its ready(), with
codenames of its own models' permissions only (the app label is added here, so no app can grant
another's). accounts.roles.roles_sync brings the role groups in line after every `migrate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["role_permissions", "role_permissions_register"]

_GRANTS: dict[str, dict[str, set[str]]] = {}  # role -> app label -> codenames


def role_permissions_register(*, app_label: str, grants: Mapping[str, Iterable[str]]) -> None:
    """Declare which role holds which of `app_label`'s permissions (replacing what it said)."""
    for codenames in grants.values():
        for codename in codenames:
            if "." in codename:
                raise ValueError(f"{codename!r}: give a codename of {app_label}, not app.codename")
    for per_app in _GRANTS.values():
        per_app.pop(app_label, None)
    for role, codenames in grants.items():
        _GRANTS.setdefault(str(role), {})[app_label] = set(codenames)


def role_permissions(role: str) -> list[str]:
    """Every "app_label.codename" the apps granted `role`, sorted."""
    per_app = _GRANTS.get(str(role), {})
    return sorted(f"{app}.{codename}" for app, names in per_app.items() for codename in names)

"""The organisation's tree of organisational units: read by discovery, kept current, and read by
the `ou` filters and per-OU access.

Discovery walks the tree from the management account: ListRoots, then for every parent
ListOrganizationalUnitsForParent and ListAccountsForParent (each paged, at most 20 a page:
https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListOrganizationalUnitsForParent.html).
That is two calls per OU, however many accounts there are (ListParents would be one per account).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import CharField, Exists, ExpressionWrapper, F, OuterRef, QuerySet
from django.utils import timezone

from accounts.aws import AwsGateway
from accounts.collection import GLOBAL_REGION
from accounts.models import AwsAccount, OrganizationalUnit
from accounts.services import audit_record

__all__ = [
    "OU_ID_PATTERN",
    "OuSyncResult",
    "accounts_under_ous",
    "organization_ou_sync",
    "ou_account_ids",
    "ou_label",
    "ou_list_for_user",
    "ous_above",
]

# Organizations' ParentId pattern: a root (r-) or an OU (ou-<root part>-<8 to 32>).
OU_ID_PATTERN = r"r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}"
_OU_ID_RE = re.compile(OU_ID_PATTERN)
_INDENT = "\N{EM SPACE}"
User = AbstractBaseUser | AnonymousUser


@dataclass
class OuSyncResult:
    """What an OU sync changed."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # account ids whose OU changed
    calls: int = 0


@dataclass
class _Node:
    ou_id: str
    name: str
    parent_id: str | None
    path: str
    accounts: list[str]


def _read_tree(client: Any) -> list[_Node]:
    """Every root and OU, parents before children, each with the accounts directly in it."""
    roots = [r for page in client.pages("list_roots") for r in page.get("Roots", [])]
    queue = [_Node(r["Id"], r.get("Name") or "Root", None, f"{r['Id']}/", []) for r in roots]
    nodes: list[_Node] = []
    while queue:
        node = queue.pop(0)
        nodes.append(node)
        node.accounts = [
            a["Id"]
            for page in client.pages("list_accounts_for_parent", ParentId=node.ou_id)
            for a in page.get("Accounts", [])
        ]
        for page in client.pages("list_organizational_units_for_parent", ParentId=node.ou_id):
            for unit in page.get("OrganizationalUnits", []):
                path = f"{node.path}{unit['Id']}/"
                queue.append(_Node(unit["Id"], unit["Name"][:128], node.ou_id, path, []))
    return nodes


def organization_ou_sync(
    *,
    management: AwsAccount,
    gateway: AwsGateway | None = None,
    actor: AbstractBaseUser | None = None,
) -> OuSyncResult:
    """Read the OU tree and make ours the same: OUs added, renamed or removed, every known account
    placed in its OU (an account moved is audited: who sees it may change). Raises our AWS
    exceptions if the management role cannot read the tree; then nothing is changed."""
    gateway = gateway or AwsGateway(session_name="watchpost-discover")
    before = gateway.counter.total
    client = gateway.for_account(management, "organizations", GLOBAL_REGION)
    nodes = _read_tree(client)
    result = OuSyncResult()
    with transaction.atomic():
        units = _save_units(nodes, result)
        _place_accounts(nodes, units, result, actor)
        gone = OrganizationalUnit.objects.exclude(ou_id__in=[n.ou_id for n in nodes])
        result.removed = sorted(gone.values_list("ou_id", flat=True))
        gone.delete()
    result.calls = gateway.counter.total - before
    return result


def _save_units(nodes: list[_Node], result: OuSyncResult) -> dict[str, OrganizationalUnit]:
    known = {u.ou_id: u for u in OrganizationalUnit.objects.select_for_update()}
    units: dict[str, OrganizationalUnit] = {}
    now = timezone.now()
    for node in nodes:  # parents come first
        parent = units.get(node.parent_id) if node.parent_id else None
        unit = known.get(node.ou_id)
        if unit is None:
            unit = OrganizationalUnit.objects.create(
                ou_id=node.ou_id, name=node.name, parent=parent, path=node.path, synced_at=now
            )
            result.added.append(node.ou_id)
        elif (unit.name, unit.parent_id, unit.path) != (
            node.name,
            parent.pk if parent else None,
            node.path,
        ):
            unit.name, unit.parent, unit.path, unit.synced_at = node.name, parent, node.path, now
            unit.save(update_fields=["name", "parent", "path", "synced_at"])
        units[node.ou_id] = unit
    return units


def _place_accounts(
    nodes: list[_Node],
    units: dict[str, OrganizationalUnit],
    result: OuSyncResult,
    actor: AbstractBaseUser | None,
) -> None:
    where = {account_id: units[n.ou_id] for n in nodes for account_id in n.accounts}
    for account in AwsAccount.objects.select_related("ou").select_for_update(of=("self",)):
        unit = where.get(account.account_id)
        if (unit.pk if unit else None) == account.ou_id:
            continue
        audit_record(
            actor=actor,
            action="account.ou_changed",
            target=account,
            changes={
                "ou": {
                    "from": account.ou.ou_id if account.ou else None,
                    "to": unit.ou_id if unit else None,
                }
            },
        )
        account.ou = unit
        account.save(update_fields=["ou", "updated_at"])
        result.moved.append(account.account_id)


def accounts_under_ous(ou_ids: Iterable[str]) -> QuerySet[AwsAccount]:
    """Every account in the OUs named or in any OU under them (unscoped: narrow it after), as one
    lazy query a filter can use as a subquery. Unknown or malformed ids match nothing."""
    wanted = [o for o in ou_ids if _OU_ID_RE.fullmatch(o)]
    if not wanted:
        return AwsAccount.objects.none()
    account_path = ExpressionWrapper(OuterRef("ou__path"), output_field=CharField())
    above = (
        OrganizationalUnit.objects.filter(ou_id__in=wanted)
        .alias(account_path=account_path)
        .filter(account_path__startswith=F("path"))
    )
    return AwsAccount.objects.filter(Exists(above))


def ou_account_ids(ou_id: str) -> list[str]:
    """The 12-digit ids of the accounts in `ou_id` or under it (unscoped)."""
    return list(accounts_under_ous([ou_id]).values_list("account_id", flat=True))


def ous_above(accounts: Iterable[AwsAccount]) -> list[OrganizationalUnit]:
    """The OUs that hold, in them or below them, one of `accounts` (with their `ou` selected),
    root first: the choices of an `ou` filter. No query when none of them sits in an OU."""
    paths = {a.ou.path for a in accounts if a.ou is not None}
    if not paths:
        return []
    units = OrganizationalUnit.objects.select_related("parent").order_by("path")
    return [u for u in units if any(path.startswith(u.path) for path in paths)]


def ou_label(unit: OrganizationalUnit) -> str:
    """An OU as a choice in a select: indented by its depth, its name and id."""
    return f"{_INDENT * unit.depth}{unit.name} ({unit.ou_id})"


def ou_list_for_user(*, user: User) -> list[tuple[OrganizationalUnit, list[str]]]:
    """The OUs `user` sees, root first (parents before children), each with the ids of the
    accounts directly in it that `user` sees. An OU is seen when it holds, in it or below it, an
    account the person sees, or when it was granted to them; nothing for a person without access."""
    from accounts.selectors import account_list_for_user, account_scope_for_user

    everything = account_scope_for_user(user=user) is None
    visible = list(
        account_list_for_user(user=user).filter(ou__isnull=False).values_list("account_id", "ou")
    )
    granted: set[str] = set()
    if user.is_authenticated:
        granted = set(
            OrganizationalUnit.objects.filter(access_profiles__user_id=user.pk).values_list(
                "path", flat=True
            )
        )
    units = list(OrganizationalUnit.objects.select_related("parent").order_by("path"))
    by_pk = {u.pk: u for u in units}
    direct: dict[int, list[str]] = {}
    seen_paths = set()
    for account_id, ou_pk in visible:
        direct.setdefault(int(ou_pk), []).append(str(account_id))
        seen_paths.add(by_pk[int(ou_pk)].path)
    rows = []
    for unit in units:
        shown = (
            everything
            or any(p.startswith(unit.path) for p in seen_paths)
            or any(unit.path.startswith(g) for g in granted)
        )
        if shown:
            rows.append((unit, sorted(direct.get(unit.pk, []))))
    return rows

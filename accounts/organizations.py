"""Organisation discovery and the onboarding check of member accounts.

Discovery reads the organisation from its management account (paged ListAccounts; `State`, since
`Status` is retired as of 2026-09-09): new ACTIVE accounts are added disabled until their check
passes, suspended or closed ones are retired with their data kept, and the payer is flagged from
DescribeOrganization's MasterAccountId.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.aws import AccessDenied, AwsError, AwsGateway, ServiceNotEnabled
from accounts.choices import CheckOutcome
from accounts.collection import GLOBAL_REGION
from accounts.delegated import administrators_apply, administrators_discover
from accounts.models import AwsAccount, ConnectionCheck
from accounts.onboarding import hub_principal_learn
from accounts.payer import payer_lookup
from accounts.services import account_save, account_set_payer, audit_record
from accounts.source_registry import SourceDeclaration, source_declarations
from accounts.validators import ROLE_ARN_RE

# Organizations: ListAccounts returns at most 20 a page, and may return fewer while more follow
# (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html).
RETIRED_STATES = frozenset({"SUSPENDED", "PENDING_CLOSURE", "CLOSED"})
# Before 2026-09-09 only `Status` existed; its values map onto `State`'s.
LEGACY_STATUS = {"ACTIVE": "ACTIVE", "SUSPENDED": "SUSPENDED", "PENDING_CLOSURE": "PENDING_CLOSURE"}


@dataclass
class DiscoveryResult:
    """What discovery changed."""

    added: list[AwsAccount] = field(default_factory=list)
    retired: list[AwsAccount] = field(default_factory=list)
    payer_id: str = ""
    calls: int = 0
    # {source: its delegated administrator's account id or ""} (accounts.delegated)
    administrators: dict[str, str] = field(default_factory=dict)


def _state(entry: dict[str, Any]) -> str:
    return str(entry.get("State") or LEGACY_STATUS.get(str(entry.get("Status", "")), "UNKNOWN"))


def organization_discover(
    *,
    management: AwsAccount,
    gateway: AwsGateway | None = None,
    actor: AbstractBaseUser | None = None,
) -> DiscoveryResult:
    """Add the organisation's new active accounts (disabled until checked), retire the closed ones,
    and flag the payer. Raises our AWS exceptions if the management role cannot list accounts."""
    gateway = gateway or AwsGateway(session_name="watchpost-discover")
    hub_principal_learn(gateway=gateway, learned_by="discovery")
    client = gateway.for_account(management, "organizations", GLOBAL_REGION)
    entries = [
        entry for page in client.pages("list_accounts") for entry in page.get("Accounts", [])
    ]
    payer_id = client.call("describe_organization")["Organization"]["MasterAccountId"]
    result = DiscoveryResult(payer_id=payer_id)
    match = ROLE_ARN_RE.fullmatch(management.role_arn)
    assert match is not None  # validated when the account was saved
    with transaction.atomic():
        known = {a.account_id: a for a in AwsAccount.objects.select_for_update()}
        for entry in entries:
            account = known.get(entry["Id"])
            state = _state(entry)
            if account is None and state == "ACTIVE":
                role_arn = (
                    f"arn:{match.group('partition')}:iam::{entry['Id']}:role/"
                    f"{match.group('path')}{match.group('name')}"
                )
                account = AwsAccount(
                    account_id=entry["Id"],
                    name=entry.get("Name", "")[:100],
                    role_arn=role_arn,
                    # One trust policy deployed everywhere (StackSets) expects one ExternalId.
                    external_id=management.external_id,
                    regions=list(management.regions),
                    enabled=False,
                )
                result.added.append(account_save(actor=actor, account=account))
            elif account is not None and state in RETIRED_STATES and account.retired_at is None:
                account.retired_at = timezone.now()
                account.enabled = False
                result.retired.append(account_save(actor=actor, account=account))
        AwsAccount.objects.exclude(account_id=payer_id).filter(is_payer=True).update(is_payer=False)
        AwsAccount.objects.filter(account_id=payer_id).update(is_payer=True)
    organization_discover_administrators(
        management=management, gateway=gateway, actor=actor, result=result
    )
    result.calls = gateway.counter.total
    return result


def organization_discover_administrators(
    *,
    management: AwsAccount,
    gateway: AwsGateway,
    actor: AbstractBaseUser | None,
    result: DiscoveryResult,
) -> None:
    """Find each source's delegated administrator and store it (accounts.delegated)."""
    result.administrators = administrators_discover(management=management, gateway=gateway)
    administrators_apply(found=result.administrators, actor=actor)


def _check_one(
    gateway: AwsGateway, account: AwsAccount, source: SourceDeclaration, region: str
) -> dict[str, str]:
    """The source's declared probe (its one cheap read) in one region."""
    probe = source.probe
    row = {"source": source.name, "region": region, "outcome": CheckOutcome.OK, "error": ""}
    if source.payer_only and not account.is_payer:
        return {**row, "outcome": CheckOutcome.SKIPPED, "error": "read from the payer account only"}
    try:
        answer = gateway.for_account(account, probe.service, region).call(
            probe.operation, **probe.params(account.account_id)
        )
        if reason := probe.not_enabled(answer):
            raise ServiceNotEnabled(reason)
    except ServiceNotEnabled as exc:
        return {**row, "outcome": CheckOutcome.NOT_ENABLED, "error": str(exc)}
    except AccessDenied as exc:
        return {**row, "outcome": CheckOutcome.ACCESS_DENIED, "error": str(exc)}
    except AwsError as exc:
        return {**row, "outcome": CheckOutcome.FAILED, "error": str(exc)}
    return row


def account_check(
    *,
    account: AwsAccount,
    actor: AbstractBaseUser | None = None,
    test_without_external_id: bool = False,
    enable_on_success: bool = False,
    gateway: AwsGateway | None = None,
) -> ConnectionCheck:
    """Assume the role, ask who we are, make one cheap read per enabled source and region, and store
    the result. Only when asked, also try the role without the ExternalId (it should refuse)."""
    gateway = gateway or AwsGateway(session_name="watchpost-check")
    check = ConnectionCheck(account=account, checked_by=actor if actor and actor.pk else None)
    first_region = account.regions[0]
    hub_principal_learn(gateway=gateway, learned_by="check")
    try:
        identity = gateway.for_account(account, "sts", first_region).call("get_caller_identity")
        check.caller_arn = identity["Arn"]
    except AwsError as exc:
        check.outcome = (
            CheckOutcome.ACCESS_DENIED if isinstance(exc, AccessDenied) else CheckOutcome.FAILED
        )
        check.error = str(exc)
        return _check_save(check, account, actor, enable_on_success)
    rows = []
    for source in (d for d in source_declarations() if d.name in account.sources):
        regions = account.regions if source.regional else [GLOBAL_REGION]
        rows.extend(_check_one(gateway, account, source, region) for region in regions)
    check.results = rows
    outcomes = {r["outcome"] for r in rows}
    failing = outcomes & {CheckOutcome.ACCESS_DENIED, CheckOutcome.FAILED}
    check.outcome = CheckOutcome.PARTIAL if failing else CheckOutcome.OK
    if test_without_external_id:
        check.external_id_enforced = _refuses_without_external_id(account)
    return _check_save(check, account, actor, enable_on_success)


def _refuses_without_external_id(account: AwsAccount) -> bool:
    """True when the role refuses to be assumed without the ExternalId (confused-deputy guard)."""
    try:
        AwsGateway(session_name="watchpost-check-no-external-id").client(
            account_id=account.account_id,
            role_arn=account.role_arn,
            external_id=None,
            service="sts",
            region=account.regions[0],
        ).call("get_caller_identity")
    except AccessDenied:
        return True
    return False


def _check_save(
    check: ConnectionCheck, account: AwsAccount, actor: AbstractBaseUser | None, enable: bool
) -> ConnectionCheck:
    with transaction.atomic():
        check.save()
        fields = {"last_check_at": check.checked_at, "last_check_outcome": check.outcome}
        if enable and check.outcome == CheckOutcome.OK and not account.enabled:
            fields["enabled"] = True
        AwsAccount.objects.filter(pk=account.pk).update(**fields)
        for name, value in fields.items():
            setattr(account, name, value)
        audit_record(
            actor=actor,
            action="account.checked",
            target=account,
            changes={"outcome": check.outcome, "enabled": account.enabled},
        )
    return check


def organization_find_management(*, gateway: AwsGateway | None = None) -> AwsAccount | None:
    """The management (payer) account among ours: the flagged one, or the one DescribeOrganization
    names when asked from any enabled account (any member may call it), then marked payer."""
    flagged = AwsAccount.objects.filter(is_payer=True, retired_at__isnull=True).first()
    if flagged is not None:
        return flagged
    lookup = payer_lookup(gateway=gateway or AwsGateway(session_name="watchpost-discover"))
    if lookup.account is not None:
        account_set_payer(actor=None, account=lookup.account, is_payer=True)
    return lookup.account

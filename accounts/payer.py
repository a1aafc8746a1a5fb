"""Which account is the payer (the organisation's management account, the one Cost Explorer is read
from), found as discovery finds it when nobody said.

Any member account may call Organizations DescribeOrganization, whose MasterAccountId is the
management account (https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html).
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.aws import GLOBAL_REGION, AwsError, AwsGateway
from accounts.models import AwsAccount
from accounts.services import account_set_payer

MARK_HINT = "or mark one as payer on its page (or PATCH accounts/{id}/ with is_payer)"


@dataclass(frozen=True)
class PayerLookup:
    """What DescribeOrganization said: the management account's id (or "") and, when it is one of
    ours, that account; `error` is the first failure when no account could answer."""

    master_id: str = ""
    account: AwsAccount | None = None
    error: str = ""


def payer_lookup(*, gateway: AwsGateway) -> PayerLookup:
    """Ask DescribeOrganization from each enabled account in turn until one answers."""
    first_error = ""
    for account in AwsAccount.objects.filter(enabled=True, retired_at__isnull=True):
        try:
            org = gateway.for_account(account, "organizations", GLOBAL_REGION).call(
                "describe_organization"
            )
        except AwsError as exc:
            first_error = first_error or f"{account.account_id}: {exc}"
            continue
        master = str(org["Organization"]["MasterAccountId"])
        known = AwsAccount.objects.filter(account_id=master, retired_at__isnull=True).first()
        return PayerLookup(master_id=master, account=known)
    return PayerLookup(error=first_error or "no enabled account to ask")


def payer_for_collection(*, gateway: AwsGateway) -> tuple[AwsAccount | None, str]:
    """The payer to read costs from, and what a skipped costs line of another account says.

    The flagged payer if there is one; else the management account DescribeOrganization names,
    marked payer (audited, by the system) when it is one of ours and enabled. When there is none,
    the message says what to do about it.
    """
    flagged = AwsAccount.objects.filter(is_payer=True, retired_at__isnull=True).first()
    if flagged is not None:
        note = f"read from the payer account {flagged.account_id} only"
        if not flagged.enabled:
            note += f" (disabled: enable {flagged.account_id} on its page)"
        return flagged, note
    lookup = payer_lookup(gateway=gateway)
    found = f"the management account {lookup.master_id} (found by DescribeOrganization)"
    if lookup.account is not None and lookup.account.enabled:
        account_set_payer(actor=None, account=lookup.account, is_payer=True)
        return lookup.account, f"read from the payer account {lookup.master_id} only"
    if lookup.account is not None:
        return None, f"no payer account: {found} is disabled; enable it, {MARK_HINT}"
    if lookup.master_id:
        return None, f"no payer account: add {found} with add_account, {MARK_HINT}"
    return None, (
        f"no payer account: DescribeOrganization answered from no enabled account "
        f"({lookup.error}); {MARK_HINT}"
    )

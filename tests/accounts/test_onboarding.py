"""Onboarding that deploys as shown: Watchpost's identity from STS, stored in the database; partition
and path kept; `role_template` and its downloads; cfn-lint finds nothing in any template."""

from __future__ import annotations

import json
import re
from io import StringIO
from typing import Any

import pytest
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AuditEvent, AwsAccount
from tests.factories import AwsAccountFactory

HUB = "999999999999"
SESSION = f"arn:aws:sts::{HUB}:assumed-role/WatchpostHub/i-0123456789abcdef0"
GOV_ROLE = "arn:aws-us-gov:iam::111111111111:role/security/Watchpost"


def role_template(*args: str) -> str:
    out = StringIO()
    call_command("role_template", *args, stdout=out)
    return out.getvalue()


def cfn_lint(template: str, regions: list[str]) -> list[str]:
    """cfn-lint's findings (errors, warnings and informational) on a template."""
    from cfnlint.api import ManualArgs, lint

    matches = lint(template, config=ManualArgs(regions=regions, include_checks=["I"]))
    return [f"{m.rule.id} {m.message}" for m in matches]


def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3 finds no credentials at all (and does not ask an instance metadata service)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")


def arns_in(value: Any) -> list[str]:
    return re.findall(r"arn:[^\"'\s,\]]+", json.dumps(value))


@pytest.fixture
def org(db, emulator, aws_world):
    """An organisation whose management account 111111111111 was added by hand."""
    aws_world.organization(management_account_id="111111111111")
    for n in range(2, 5):
        aws_world.add_account(f"00000000000{n}", name=f"member {n}")
    management = AwsAccountFactory(
        account_id="111111111111",
        role_arn="arn:aws:iam::111111111111:role/WatchpostReadOnly",
        regions=["us-east-1"],
    )
    for account_id in ("111111111111", "000000000002", "000000000003", "000000000004"):
        aws_world.add_role(account_id, "WatchpostReadOnly", external_id=management.external_id)
    return management


# --- the hub principal ------------------------------------------------------------------------


def test_an_assumed_role_session_is_trusted_as_its_role_at_any_path(org, aws_world, client, alice):
    from accounts.organizations import organization_discover

    aws_world.hub_arn = SESSION
    organization_discover(management=org)
    cache.clear()  # never a per-process cache: the database holds it
    client.force_login(alice)
    response = client.get("/accounts/000000000002/")
    trust = json.loads(response.context["trust_policy"])["Statement"][0]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{HUB}:root"}
    assert trust["Condition"]["ArnLike"] == {
        "aws:PrincipalArn": [
            f"arn:aws:iam::{HUB}:role/WatchpostHub",
            f"arn:aws:iam::{HUB}:role/*/WatchpostHub",
        ]
    }
    assert trust["Condition"]["StringEquals"]["sts:ExternalId"] == org.external_id
    assert f"arn:aws:iam::{HUB}:role/WatchpostHub" in response.content.decode()


def test_an_iam_user_is_trusted_by_its_own_arn_learned_by_collect(org, aws_world, client, alice):
    aws_world.hub_arn = f"arn:aws:iam::{HUB}:user/ops/watchpost"
    call_command("collect", "--source", "budgets", stdout=StringIO())
    client.force_login(alice)
    response = client.get("/accounts/111111111111/")
    trust = json.loads(response.context["trust_policy"])["Statement"][0]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{HUB}:user/ops/watchpost"}
    assert "ArnLike" not in trust["Condition"]


def test_what_was_learned_is_kept_when_sts_fails_later(org, aws_world, emulator):
    from accounts.organizations import account_check

    aws_world.hub_arn = SESSION
    account_check(account=org)
    emulator.inject("sts", "GetCallerIdentity", "AccessDenied", times=None)
    account_check(account=org)
    template = yaml.safe_load(role_template("111111111111"))
    trust = template["Resources"]["WatchpostRole"]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"]["AWS"] == {
        "Fn::Sub": f"arn:${{AWS::Partition}}:iam::{HUB}:root"
    }


def test_an_admin_refreshes_the_identity_audited_and_others_cannot(
    org, aws_world, client, alice, bob, charlie
):
    aws_world.hub_arn = SESSION
    for person in (bob, charlie):
        client.force_login(person)
        assert client.post("/accounts/hub-principal/refresh/").status_code == 403
    client.force_login(alice)
    response = client.post(
        "/accounts/hub-principal/refresh/", {"account_id": "111111111111"}, follow=True
    )
    assert "role/WatchpostHub" in response.content.decode()
    event = AuditEvent.objects.get(action="hub_principal.learned")
    assert event.actor_name == "alice" and event.changes["caller_arn"]["to"] == SESSION
    hostile = client.post("/accounts/hub-principal/refresh/", {"account_id": "../../admin"})
    assert hostile.status_code == 302 and hostile["Location"] == "/accounts/"


def test_without_credentials_the_page_says_what_to_do_and_no_placeholder(
    db, client, alice, account_a, monkeypatch
):
    no_credentials(monkeypatch)
    client.force_login(alice)
    page = client.get(f"/accounts/{account_a.account_id}/").content.decode()
    assert "does not know yet which AWS identity" in page
    assert "WATCHPOST_HUB_PRINCIPAL_ARN" in page
    assert "hub-account-id" not in page and 'id="trust-policy"' not in page
    download = client.get(f"/accounts/{account_a.account_id}/role-template.yaml")
    assert download.status_code == 409 and b"does not know yet" in download.content


def test_the_setting_names_the_principal_and_a_bad_one_fails_the_checks(settings, db):
    from django.core.management.base import SystemCheckError

    from accounts.onboarding import hub_trust

    settings.WATCHPOST_HUB_PRINCIPAL_ARN = f"arn:aws:iam::{HUB}:role/platform/WatchpostHub"
    assert hub_trust().principal == f"arn:aws:iam::{HUB}:role/platform/WatchpostHub"
    settings.WATCHPOST_HUB_PRINCIPAL_ARN = "arn:aws:iam::<hub-account-id>:root"
    with pytest.raises(SystemCheckError, match="WATCHPOST_HUB_PRINCIPAL_ARN"):
        call_command("check")


# --- partition and path -----------------------------------------------------------------------


@pytest.fixture
def gov(db, settings) -> AwsAccount:
    settings.WATCHPOST_HUB_PRINCIPAL_ARN = (
        "arn:aws-us-gov:sts::999999999999:assumed-role/WatchpostHub/watchpost"
    )
    return AwsAccountFactory(account_id="111111111111", role_arn=GOV_ROLE, is_payer=True)


def test_a_govcloud_role_with_a_path_keeps_both(gov, client, alice):
    template = yaml.safe_load(role_template("111111111111"))
    role = template["Resources"]["WatchpostRole"]["Properties"]
    assert (role["RoleName"], role["Path"]) == ("Watchpost", "/security/")
    assert not any(arn.startswith("arn:aws:") for arn in arns_in(template))
    assert all("${AWS::Partition}" in arn for arn in arns_in(template))
    client.force_login(alice)
    response = client.get("/accounts/111111111111/")
    trust = json.loads(response.context["trust_policy"])
    assert arns_in(trust) and all(a.startswith("arn:aws-us-gov:") for a in arns_in(trust))
    assert not response.context["partition_mismatch"]


# --- role_template ------------------------------------------------------------------------------


def test_role_template_prints_yaml_with_the_principal_learned_from_sts(org, aws_world):
    aws_world.hub_arn = SESSION
    text = role_template("111111111111")
    template = yaml.safe_load(text)
    role = template["Resources"]["WatchpostRole"]
    assert role["Type"] == "AWS::IAM::Role"
    statement = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == org.external_id
    assert "hub-account-id" not in text and "<" not in text


def test_role_template_of_an_unknown_account_exits_1_naming_it(db):
    with pytest.raises(CommandError, match="555555555555"):
        role_template("555555555555")
    with pytest.raises(CommandError, match="not-an-id"):
        role_template("not-an-id")


def test_role_template_exits_1_saying_what_to_do_without_credentials(db, account_a, monkeypatch):
    no_credentials(monkeypatch)
    with pytest.raises(CommandError, match="WATCHPOST_HUB_PRINCIPAL_ARN"):
        role_template(account_a.account_id)


def test_the_stackset_variant_bakes_in_nothing_of_one_member(org, aws_world):
    from accounts.organizations import organization_discover

    organization_discover(management=org)
    member = AwsAccount.objects.get(account_id="000000000003")
    text = role_template("000000000003", "--stackset")
    assert "000000000003" not in text and "111111111111" not in text
    template = yaml.safe_load(text)
    assert template["Parameters"]["ExternalId"]["Default"] == member.external_id
    role = template["Resources"]["WatchpostRole"]["Properties"]
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == {"Ref": "ExternalId"}
    assert [p["PolicyName"] for p in role["Policies"]] == ["WatchpostReadOnly"]
    assert role_template("000000000002", "--stackset") == text  # the same for every member


def test_the_payers_template_adds_the_feedback_policy_by_its_parameter(org):
    org.is_payer = True
    org.save()
    from accounts.onboarding import hub_trust_of
    from accounts.onboarding import role_template as build

    template = build(org, hub_trust_of(SESSION))
    assert template["Parameters"]["GrantAnomalyFeedback"]["Default"] == "true"
    conditional = template["Resources"]["WatchpostRole"]["Properties"]["Policies"][1]["Fn::If"]
    assert conditional[0] == "FeedbackGranted"
    actions = conditional[1]["PolicyDocument"]["Statement"][0]["Action"]
    assert actions == ["ce:ProvideAnomalyFeedback"]


# --- downloads on the account page, scoped like role_arn and external_id ----------------------


def test_admins_download_both_templates(gov, client, alice):
    client.force_login(alice)
    page = client.get("/accounts/111111111111/").content.decode()
    assert 'href="/accounts/111111111111/role-template.yaml"' in page
    assert 'href="/accounts/111111111111/role-template.yaml?stackset=1"' in page
    one = client.get("/accounts/111111111111/role-template.yaml")
    assert one.status_code == 200
    assert 'filename="watchpost-role-111111111111.yaml"' in one["Content-Disposition"]
    assert yaml.safe_load(one.content)["Resources"]["WatchpostRole"]["Properties"]["Path"] == (
        "/security/"
    )
    stackset = client.get("/accounts/111111111111/role-template.yaml", {"stackset": "1"})
    assert "ExternalId" in yaml.safe_load(stackset.content)["Parameters"]


def test_only_admins_who_see_the_account_download_it(gov, client, bob, charlie, account_b):
    from accounts.choices import Role
    from accounts.services import person_set_access
    from tests.factories import UserFactory

    erin = UserFactory(username="erin")
    person_set_access(
        actor=None, user=erin, role=Role.ADMIN, all_accounts=False, accounts=[account_b]
    )
    for person, expected in ((bob, 403), (charlie, 403), (erin, 404)):
        client.force_login(person)
        response = client.get("/accounts/111111111111/role-template.yaml")
        assert response.status_code == expected, person
    client.force_login(bob)
    assert "role-template.yaml" not in client.get("/accounts/222222222222/").content.decode()


# --- cfn-lint, the outside judge ------------------------------------------------------------------


def test_cfn_lint_passes_on_the_template_of_a_discovered_account_with_no_setting(org, settings):
    from accounts.organizations import organization_discover

    assert not settings.WATCHPOST_HUB_PRINCIPAL_ARN
    organization_discover(management=org)
    assert AwsAccount.objects.get(account_id="000000000004").enabled is False
    for variant in ((), ("--stackset",)):
        assert cfn_lint(role_template("000000000004", *variant), ["us-east-1"]) == []


@pytest.mark.parametrize(
    ("hub", "role_arn", "regions"),
    [
        (SESSION, "arn:aws:iam::111111111111:role/WatchpostReadOnly", ["us-east-1", "eu-west-1"]),
        (
            "arn:aws-us-gov:sts::999999999999:assumed-role/Hub/s",
            GOV_ROLE,
            ["us-gov-west-1"],
        ),
        (
            "arn:aws-cn:iam::999999999999:user/a/b/watchpost",
            "arn:aws-cn:iam::111111111111:role/a/b/Watchpost",
            ["cn-north-1"],
        ),
    ],
)
def test_cfn_lint_passes_on_every_partition_path_and_variant(db, hub, role_arn, regions):
    from accounts.onboarding import hub_trust_of, role_template_yaml

    account = AwsAccountFactory(account_id="111111111111", role_arn=role_arn, is_payer=True)
    for stackset in (False, True):
        text = role_template_yaml(account, hub_trust_of(hub), stackset=stackset)
        assert cfn_lint(text, regions) == [], text


def test_cfn_lint_does_reject_a_placeholder_principal(db, account_a):
    """The judge can fail: today's placeholder would not pass it."""
    from accounts.onboarding import hub_trust_of, role_template_yaml

    text = role_template_yaml(account_a, hub_trust_of(SESSION)).replace(
        "Fn::Sub: arn:${AWS::Partition}:iam::999999999999:root",
        "arn:aws:iam::<hub-account-id>:root",
    )
    assert any(finding.startswith("E") for finding in cfn_lint(text, ["us-east-1"]))

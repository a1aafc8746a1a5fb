"""User tiers from CloudTrail: collection, window, evidence, the LookupEvents rate limit, the
`principals/` API and the Users pages, scoped (alice all, bob 222222222222, charlie nothing)."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.aws import AwsGateway
from accounts.models import AwsAccount
from accounts.ratelimit import CallRate, LocalSlidingWindow
from accounts.services import account_upsert
from principals.collectors.cloudtrail import events_since
from principals.models import Principal, PrincipalActivity, PrincipalEvent
from tests.conftest import bearer_client, emulate_member

DEMO = ("111111111111", "222222222222", "333333333333", "444444444444")
LIST = "/api/v1/principals/"


def collect(*args: str) -> dict[tuple[str, str], list[str]]:
    out = StringIO()
    call_command("collect", "--source", "cloudtrail", *args, stdout=out)
    return {tuple(line.split()[:2]): line.split()[3:] for line in out.getvalue().splitlines()}


def user(account: str, name: str) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": f"AIDA{name.upper()}",
        "arn": f"arn:aws:iam::{account}:user/{name}",
        "accountId": account,
        "userName": name,
    }


def tiers(account: str) -> dict[str, str | None]:
    return dict(Principal.objects.filter(account__account_id=account).values_list("name", "tier"))


@pytest.fixture
def trail(db, emulator, aws_world, account_a, account_b):
    """account_a and account_b in the emulator (us-east-1 and eu-west-1), no events yet."""
    for account in (account_a, account_b):
        emulate_member(aws_world, account)
    return aws_world


def add(world, account: str, name: str, source: str, who: str, *, ago=timedelta(hours=1), **kw):
    state = world.cloudtrail(account, kw.pop("region", "us-east-1"))
    return state.add_event(
        EventName=name,
        EventSource=f"{source}.amazonaws.com",
        EventTime=world.clock() - ago,
        user_identity=user(account, who),
        **kw,
    )


# --- the demo organisation ------------------------------------------------------------------------


def demo_accounts() -> None:
    for account_id in DEMO:
        account_upsert(
            actor=None,
            account_id=account_id,
            role_arn=f"arn:aws:iam::{account_id}:role/WatchpostReadOnly",
            external_id="watchpost-demo-external-id",
            regions=["us-east-1", "eu-west-1"],
        )


@pytest.fixture
def demo_world_emulated(db, monkeypatch):
    """The demo organisation served by the emulator, its accounts added."""
    from botocore.retries.standard import ExponentialBackoff

    from aws_emulator import Emulator, demo_world

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    world = demo_world(hub_account_id="999999999999", seed=20240514)
    with Emulator(world) as emu:
        demo_accounts()
        yield world, emu


def test_after_collect_the_demo_principals_have_the_tiers_the_rules_give(demo_world_emulated):
    lines = collect()
    assert {v[0] for v in lines.values()} == {"ok"}
    for account in DEMO:
        assert tiers(account) == {
            "root": "platinum",  # root activity (a console sign-in)
            "alice": "platinum",  # CreateAccessKey, AttachUserPolicy
            "DeployRole": "gold",  # RunInstances, PutObject through role sessions
            "bob": "silver",  # GetObject, GetSecretValue
            "carol": "bronze",  # DescribeInstances, ListBuckets
            "dave": "bronze",
            "mallory": "bronze",  # only failed DeleteTrail and CreateUser
            "ec2.amazonaws.com": None,  # AWS services: no tier
            "s3.amazonaws.com": None,
        }
    alice = Principal.objects.get(account__account_id="222222222222", name="alice")
    assert alice.evidence["rule"] == "high_risk"
    assert {e["event_name"] for e in alice.evidence["events"]} == {
        "CreateAccessKey",
        "AttachUserPolicy",
    }
    role = Principal.objects.get(account__account_id="222222222222", name="DeployRole")
    assert role.identity == "arn:aws:iam::222222222222:role/DeployRole"
    assert role.identity_type == "assumed_role"
    assert [s["name"] for s in role.sessions] == ["ci-pipeline"]
    assert {e["event_name"] for e in role.evidence["events"]} == {"RunInstances", "PutObject"}
    bob = Principal.objects.get(account__account_id="222222222222", name="bob")
    assert {e["event_name"] for e in bob.evidence["events"]} == {"GetObject", "GetSecretValue"}
    service = Principal.objects.get(account__account_id="222222222222", name="ec2.amazonaws.com")
    assert (service.identity_type, service.evidence["events"]) == ("aws_service", [])


def test_failed_high_risk_calls_are_counted_and_shown_but_never_raise_a_tier(demo_world_emulated):
    collect()
    mallory = Principal.objects.get(account__account_id="222222222222", name="mallory")
    assert mallory.tier == "bronze"
    assert mallory.evidence["failed"]["high_risk"] == 14  # 7 DeleteTrail + 7 CreateUser
    assert mallory.evidence["successful"]["high_risk"] == 0
    failed = PrincipalEvent.objects.filter(principal=mallory, failed=True)
    assert {e.event_name for e in failed} == {"DeleteTrail", "CreateUser"}
    assert all(e.error_code == "AccessDenied" for e in failed)
    assert failed.count() <= 5 * 2  # evidence, not every event: the latest 5 per class/outcome


def test_a_rerun_counts_nothing_twice_and_a_full_pass_neither(demo_world_emulated):
    world, _ = demo_world_emulated
    collect()
    events = len(world.cloudtrail("222222222222", "us-east-1").events)
    counted = _counted("222222222222", "us-east-1")
    assert counted == events
    stamps = dict(Principal.objects.values_list("pk", "updated_at"))
    lines = collect()
    assert lines[("222222222222", "us-east-1")][1:3] == ["new=0", "updated=0"]
    assert _counted("222222222222", "us-east-1") == events
    assert dict(Principal.objects.values_list("pk", "updated_at")) == stamps  # wrote nothing
    collect("--full")
    assert _counted("222222222222", "us-east-1") == events


def _counted(account: str, region: str) -> int:
    columns = ["high_risk", "write", "sensitive_read", "read"]
    columns += [f"failed_{c}" for c in columns]
    rows = PrincipalActivity.objects.filter(principal__account__account_id=account, region=region)
    return sum(sum(getattr(r, c) for c in columns) for r in rows)


# --- the window -----------------------------------------------------------------------------------


def test_an_event_older_than_the_window_changes_nothing(trail):
    add(trail, "222222222222", "DescribeInstances", "ec2", "carol", read_only=True)
    add(trail, "222222222222", "CreateUser", "iam", "carol", ago=timedelta(days=60, minutes=5))
    add(trail, "222222222222", "CreateUser", "iam", "ghost", ago=timedelta(days=61))
    collect()
    assert tiers("222222222222") == {"carol": "bronze"}
    carol = Principal.objects.get(name="carol")
    assert carol.evidence["successful"]["high_risk"] == 0


def test_promotion_is_immediate_and_a_tier_drops_only_when_the_window_no_longer_holds_it(
    trail, monkeypatch
):
    from django.utils import timezone

    add(trail, "222222222222", "CreateAccessKey", "iam", "erin", ago=timedelta(days=59))
    add(trail, "222222222222", "DescribeInstances", "ec2", "erin", read_only=True)
    collect()
    assert tiers("222222222222") == {"erin": "platinum"}
    later = timezone.now() + timedelta(hours=12)  # the high-risk call is 59.5 days old
    monkeypatch.setattr("principals.services.now", lambda: later)
    collect()
    assert tiers("222222222222") == {"erin": "platinum"}
    later = timezone.now() + timedelta(days=2)  # now 61 days old: out of the window
    monkeypatch.setattr("principals.services.now", lambda: later)
    collect()
    erin = Principal.objects.get(name="erin")
    assert (erin.tier, erin.tier_rule) == ("bronze", "other")
    assert not PrincipalEvent.objects.filter(principal=erin, event_class="high_risk").exists()
    add(trail, "222222222222", "RunInstances", "ec2", "erin", ago=timedelta(minutes=1))
    collect()  # the next pass promotes at once
    assert tiers("222222222222") == {"erin": "gold"}


def test_1000_successful_reads_make_silver_and_failed_reads_do_not_count(trail):
    state = trail.cloudtrail("222222222222", "us-east-1")
    for i in range(999):
        state.add_event(
            EventName="DescribeInstances",
            EventTime=trail.clock() - timedelta(minutes=i + 1),
            user_identity=user("222222222222", "reader"),
        )
    for i in range(5):
        state.add_event(
            EventName="DescribeInstances",
            EventTime=trail.clock() - timedelta(seconds=i + 1),
            user_identity=user("222222222222", "reader"),
            error_code="AccessDenied",
        )
    collect()
    assert tiers("222222222222") == {"reader": "bronze"}
    add(trail, "222222222222", "DescribeVolumes", "ec2", "reader", ago=timedelta(0))
    collect()
    reader = Principal.objects.get(name="reader")
    assert (reader.tier, reader.tier_rule) == ("silver", "read_volume")
    assert reader.evidence["successful"]["read"] == 1000
    assert reader.evidence["failed"]["read"] == 5


# --- the rate limit -------------------------------------------------------------------------------


def _lookup_times(emu, account: str, region: str) -> list:
    return sorted(
        c.at
        for c in emu.calls
        if c.operation == "LookupEvents" and (c.account_id, c.region) == (account, region)
    )


def _never_three_in_a_second(times: list) -> bool:
    return all(times[i + 2] - times[i] >= timedelta(seconds=1) for i in range(len(times) - 2))


def test_never_a_third_lookup_events_call_inside_one_second_per_account_and_region(
    trail, emulator, account_a
):
    state = trail.cloudtrail("222222222222", "us-east-1")
    for i in range(140):  # 3 pages
        state.add_event(
            EventTime=trail.clock() - timedelta(minutes=i + 1),
            user_identity=user("222222222222", "carol"),
        )
    start = trail.clock() - timedelta(days=1)

    def read_all() -> None:  # two callers at once, each with its own gateway and client
        client = AwsGateway().for_account(account_a, "cloudtrail", "us-east-1")
        assert len(list(events_since(client, start=start))) == 140

    threads = [threading.Thread(target=read_all) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    collect("--account", "222222222222")
    times = _lookup_times(emulator, "222222222222", "us-east-1")
    assert len(times) >= 7
    assert _never_three_in_a_second(times)
    assert not [c for c in emulator.calls if c.error_code]  # AWS never had to throttle us
    assert {
        c.params.get("MaxResults") for c in emulator.calls if c.operation == "LookupEvents"
    } == {50}


def test_the_local_limiter_is_a_sliding_window_shared_per_key():
    now = [0.0]
    taken: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = LocalSlidingWindow(clock=lambda: now[0], sleep=sleep)
    rate = CallRate(calls=2, seconds=1.0)
    for _ in range(7):
        limiter.acquire("a", rate)
        taken.append(now[0])
        now[0] += 0.05
    limiter.acquire("b", rate)  # another account or region waits for nobody
    assert now[0] - taken[-1] == pytest.approx(0.05)
    assert all(taken[i + 2] - taken[i] >= 1.0 - 1e-9 for i in range(len(taken) - 2))


_HAMMER = """
import sys, time
from accounts.ratelimit import CallRate, RedisSlidingWindow
limiter = RedisSlidingWindow(sys.argv[1])
for _ in range(3):
    limiter.acquire(sys.argv[2], CallRate(calls=2, seconds=1.0))
    print(repr(time.time()), flush=True)
"""


@pytest.mark.redis
def test_the_redis_limiter_holds_across_processes(redis_url):
    import subprocess
    import sys
    import uuid
    from pathlib import Path

    key = f"watchpost:test:{uuid.uuid4().hex}"
    root = Path(__file__).resolve().parents[2]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _HAMMER, redis_url, key],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    times = sorted(float(line) for w in workers for line in w.communicate(timeout=60)[0].split())
    assert len(times) == 9
    # slots are taken by Redis's clock and observed here a little later: allow that jitter
    assert all(times[i + 2] - times[i] >= 0.95 for i in range(len(times) - 2))
    assert times[-1] - times[0] >= 3.8  # 9 calls at 2 a second


# --- the API --------------------------------------------------------------------------------------


@pytest.fixture
def principals(db, account_a, account_b):
    """Principals of both accounts as the syncer stores them (no AWS needed)."""
    from django.utils import timezone

    from principals.services import principal_tiers_recompute

    made = {}
    for account, name, kind in [
        (account_a, "alice", "iam_user"),
        (account_a, "ec2.amazonaws.com", "aws_service"),
        (account_b, "zoe", "iam_user"),
    ]:
        arn = f"arn:aws:iam::{account.account_id}:user/{name}" if kind == "iam_user" else ""
        made[name] = Principal.objects.create(
            account=account,
            identity=arn or f"aws-service:{name}",
            identity_type=kind,
            arn=arn,
            name=name,
            last_seen=timezone.now(),
        )
    PrincipalEvent.objects.create(
        principal=made["alice"],
        event_id="e1",
        event_time=timezone.now() - timedelta(days=1),
        event_name="CreateAccessKey",
        event_source="iam.amazonaws.com",
        region="us-east-1",
        event_class="high_risk",
    )
    for account in (account_a, account_b):
        principal_tiers_recompute(account=account, now=timezone.now())
    return made


def test_the_api_lists_principals_with_the_contract_fields(alice, principals):
    body = bearer_client(alice).get(LIST).json()
    assert body["count"] == 3
    first = body["results"][0]
    assert first["name"] == "alice"  # highest tier first
    assert {"account_id", "arn", "name", "identity_type", "tier", "last_seen", "evidence"} <= set(
        first
    )
    assert (first["account_id"], first["tier"], first["identity_type"]) == (
        "222222222222",
        "platinum",
        "iam_user",
    )
    assert first["evidence"]["rule"] == "high_risk"
    assert first["evidence"]["events"][0]["event_name"] == "CreateAccessKey"
    service = next(r for r in body["results"] if r["identity_type"] == "aws_service")
    assert service["tier"] is None


def test_the_api_is_scoped(bob, charlie, principals):
    assert bearer_client(charlie).get(LIST).json()["count"] == 0
    names = {r["name"] for r in bearer_client(bob).get(LIST).json()["results"]}
    assert names == {"alice", "ec2.amazonaws.com"}
    other = principals["zoe"].pk
    assert bearer_client(bob).get(f"{LIST}{other}/").status_code == 404
    assert bearer_client(charlie).get(f"{LIST}{principals['alice'].pk}/").status_code == 404


def test_the_api_needs_a_token(client, principals):
    assert client.get(LIST).status_code in (401, 403)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("tier=platinum", {"alice"}),
        ("tier=none", {"ec2.amazonaws.com"}),
        ("tier=bronze,none", {"zoe", "ec2.amazonaws.com"}),
        ("identity_type=aws_service", {"ec2.amazonaws.com"}),
        ("account=333333333333", {"zoe"}),
        ("q=ZOE", {"zoe"}),
    ],
)
def test_the_api_filters(alice, principals, query, names):
    results = bearer_client(alice).get(f"{LIST}?{query}").json()["results"]
    assert {r["name"] for r in results} == names


@pytest.mark.parametrize("query", ["tier=diamond", "identity_type=robot", "account=12"])
def test_a_bad_filter_answers_400_naming_the_parameter(alice, principals, query):
    response = bearer_client(alice).get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_the_api_query_count_does_not_grow_with_rows(
    alice, principals, account_a, django_assert_num_queries
):
    client = bearer_client(alice)
    client.get(LIST)
    with django_assert_num_queries(3):  # token, access profile, page: the whole list, no count
        assert client.get(LIST).status_code == 200
    for i in range(20):
        Principal.objects.create(account=account_a, identity=f"x{i}", identity_type="iam_user")
    with django_assert_num_queries(3):
        assert client.get(LIST).json()["count"] == 23
    with django_assert_num_queries(4):  # token, access profile, count, page
        assert client.get(LIST, {"page_size": 5}).json()["count"] == 23


# --- the pages ------------------------------------------------------------------------------------


def test_the_users_page_shows_counts_by_tier_and_type_and_the_list(client, alice, principals):
    client.force_login(alice)
    page = client.get(reverse("principals:principal_list")).content.decode()
    assert 'id="tier-counts"' in page and 'data-chart="fig-types"' in page
    assert "alice" in page and "zoe" in page
    filtered = client.get(reverse("principals:principal_list") + "?tier=platinum").content.decode()
    assert "alice" in filtered and "zoe" not in filtered


def test_the_users_pages_are_scoped(client, bob, charlie, principals):
    client.force_login(charlie)
    page = client.get(reverse("principals:principal_list")).content.decode()
    assert "alice" not in page and "No principal matches." in page
    assert client.get(_detail(principals["alice"])).status_code == 404
    client.force_login(bob)
    page = client.get(reverse("principals:principal_list")).content.decode()
    assert "alice" in page and "zoe" not in page
    assert client.get(_detail(principals["zoe"])).status_code == 404


def _detail(principal: Principal) -> str:
    return reverse("principals:principal_detail", args=[principal.pk])


def test_a_bad_filter_on_the_page_shows_an_error_not_a_500(client, alice, principals):
    client.force_login(alice)
    response = client.get(reverse("principals:principal_list") + "?tier=diamond")
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_the_users_page_query_count_does_not_grow_with_rows(
    client, alice, principals, account_a, django_assert_num_queries
):
    client.force_login(alice)
    url = reverse("principals:principal_list")
    client.get(url)
    # session, user, 3 access profiles (one per scoped read), accounts, the counts by tier and
    # type (one query for the tiles and the chart), as-of, 2 perms, page count, page
    with django_assert_num_queries(12) as before:
        client.get(url)
    for i in range(20):
        Principal.objects.create(account=account_a, identity=f"x{i}", identity_type="iam_user")
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(url)


def test_the_detail_page_says_why_and_lists_the_findings_naming_the_principal(
    client, alice, principals, store, account_a
):
    store(
        account_a,
        raw={"Resource": {"AccessKeyDetails": {"UserName": "alice", "UserType": "IAMUser"}}},
        title="alice's keys used from a Tor exit node",
    )
    store(
        account_a,
        raw={"Resource": {"AccessKeyDetails": {"UserName": "bob", "UserType": "IAMUser"}}},
        title="someone else's finding",
    )
    client.force_login(alice)
    page = client.get(_detail(principals["alice"])).content.decode()
    assert "Successful high-risk call" in page and "CreateAccessKey" in page
    assert "alice&#x27;s keys used from a Tor exit node" in page
    assert "someone else" not in page


def test_macie_findings_name_an_assumed_role_by_its_role(client, alice, account_a, store):
    from django.utils import timezone

    role = Principal.objects.create(
        account=account_a,
        identity="arn:aws:iam::222222222222:role/DevOpsAdmin",
        identity_type="assumed_role",
        arn="arn:aws:iam::222222222222:role/DevOpsAdmin",
        name="DevOpsAdmin",
        last_seen=timezone.now(),
    )
    issuer = {"sessionIssuer": {"arn": role.arn}}
    store(
        account_a,
        source="macie",
        raw={
            "policyDetails": {
                "actor": {"userIdentity": {"assumedRole": {"sessionContext": issuer}}}
            }
        },
        title="bucket made public by the role",
    )
    client.force_login(alice)
    assert "bucket made public by the role" in client.get(_detail(role)).content.decode()


def test_aws_strings_are_escaped_on_the_detail_page(client, alice, principals):
    PrincipalEvent.objects.create(
        principal=principals["alice"],
        event_id="e2",
        event_time=principals["alice"].last_seen,
        event_name="DescribeInstances",
        event_source="ec2.amazonaws.com",
        region="us-east-1",
        event_class="read",
        user_agent="<script>alert(1)</script>",
    )
    client.force_login(alice)
    page = client.get(_detail(principals["alice"])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_accounts_without_cloudtrail_are_not_collected(trail, account_b):
    AwsAccount.objects.filter(pk=account_b.pk).update(sources=["guardduty"])
    lines = collect()
    assert {a for a, _ in lines} == {"222222222222"}

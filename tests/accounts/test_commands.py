"""`add_account` and `create_api_token` exactly as docs/api.md says."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from accounts.models import AuditEvent, AwsAccount
from tests.factories import UserFactory

ARN = "arn:aws:iam::222222222222:role/WatchpostReadOnly"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_add_account_creates_an_enabled_account_with_every_source_and_a_generated_external_id() -> (
    None
):
    run(
        "add_account",
        "222222222222",
        "--role-arn",
        ARN,
        "--name",
        "Prod",
        "--regions",
        "us-east-1,eu-west-1",
    )
    account = AwsAccount.objects.get()
    assert account.account_id == "222222222222"
    assert account.name == "Prod"
    assert account.enabled is True
    assert account.regions == ["us-east-1", "eu-west-1"]
    assert set(account.sources) == {
        "guardduty",
        "macie",
        "inspector",
        "cloudtrail",
        "costs",
        "budgets",
    }
    assert account.external_id.startswith("watchpost-") and len(account.external_id) > 20
    assert AuditEvent.objects.filter(action="account.created", target_id=str(account.pk)).exists()


@pytest.mark.django_db
def test_add_account_twice_updates_and_never_duplicates() -> None:
    run("add_account", "222222222222", "--role-arn", ARN)
    first = AwsAccount.objects.get()
    AwsAccount.objects.filter(pk=first.pk).update(enabled=False)
    new_arn = "arn:aws:iam::222222222222:role/security/Other"
    run("add_account", "222222222222", "--role-arn", new_arn, "--external-id", "given-external-id")
    account = AwsAccount.objects.get()
    assert account.pk == first.pk
    assert account.role_arn == new_arn
    assert account.external_id == "given-external-id"
    assert account.enabled is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    "arn",
    ["arn:aws:iam::222222222222:user/alice", "arn:aws:iam::333333333333:role/WatchpostReadOnly"],
)
def test_add_account_with_a_bad_arn_fails_naming_the_option_and_creates_nothing(arn: str) -> None:
    with pytest.raises(CommandError) as excinfo:
        run("add_account", "222222222222", "--role-arn", arn)
    assert "--role-arn" in str(excinfo.value)
    assert arn in str(excinfo.value)
    assert not AwsAccount.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_bad_arn_on_update_changes_nothing() -> None:
    run("add_account", "222222222222", "--role-arn", ARN, "--name", "Prod")
    with pytest.raises(CommandError):
        run("add_account", "222222222222", "--role-arn", "arn:aws:iam::1:role/x", "--name", "Other")
    account = AwsAccount.objects.get()
    assert (account.role_arn, account.name) == (ARN, "Prod")


@pytest.mark.django_db
def test_add_account_refuses_an_unknown_region() -> None:
    with pytest.raises(CommandError, match="--regions"):
        run("add_account", "222222222222", "--role-arn", ARN, "--regions", "us-east-1,moon-1")
    assert not AwsAccount.objects.exists()


@pytest.mark.django_db
def test_add_account_exit_status_through_the_real_command_line(tmp_path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    manage = [sys.executable, "manage.py"]
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=root)
    bad = subprocess.run(
        [*manage, "add_account", "222222222222", "--role-arn", "arn:aws:iam::3:role/x"],
        env=env,
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert bad.returncode != 0
    assert "--role-arn arn:aws:iam::3:role/x" in bad.stderr
    good = subprocess.run(
        [*manage, "add_account", "222222222222", "--role-arn", ARN],
        env=env,
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert good.returncode == 0, good.stderr


@pytest.mark.django_db
def test_create_api_token_prints_a_token_on_the_last_line_that_reads_accounts() -> None:
    UserFactory(username="tool", is_superuser=True)
    run("add_account", "222222222222", "--role-arn", ARN)
    output = run("create_api_token", "tool")
    token = output.strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 200
    assert [a["account_id"] for a in response.json()["results"]] == ["222222222222"]


@pytest.mark.django_db
def test_create_api_token_for_an_unknown_user_fails() -> None:
    with pytest.raises(CommandError, match="nobody"):
        run("create_api_token", "nobody")


@pytest.mark.django_db
def test_create_api_token_write_and_expiry() -> None:
    from accounts.models import ApiToken

    UserFactory(username="tool")
    run("create_api_token", "tool", "--write", "--expires", "30")
    token = ApiToken.objects.get()
    assert token.can_write
    assert token.expires_at is not None

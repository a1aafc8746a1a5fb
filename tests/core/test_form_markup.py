"""What screen readers are told about form fields (issue 19): every id that aria-describedby names
is on the page (help texts and errors rendered by includes/_form.html and the list's fields), and a
field is aria-invalid only when it is, with the error it points at."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from accounts.models import AwsAccount
from findings.services import finding_upsert_many
from tests.costs.conftest import PAYER, anomaly
from tests.findings.conftest import record

pytestmark = pytest.mark.django_db


def described_by(html: str) -> dict[str, list[str]]:
    """aria-describedby ids per element name, and which of them the page lacks (under "missing")."""
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    refs = {}
    for tag in re.findall(r"<(?:input|select|textarea|fieldset)\b[^>]*>", html):
        name = re.search(r'\sname="([^"]*)"', tag)
        described = re.search(r'aria-describedby="([^"]*)"', tag)
        if described:
            refs[name.group(1) if name else tag] = described.group(1).split()
    refs["missing"] = [i for values in list(refs.values()) for i in values if i not in ids]
    return refs


def invalid(html: str) -> list[str]:
    return re.findall(r'<[^>]*aria-invalid="true"[^>]*>', html)


@pytest.fixture
def logged_in(client: Client, alice: Any) -> Client:
    client.force_login(alice)
    return client


def test_help_texts_are_named_by_their_fields_on_every_form(logged_in, account_a) -> None:
    AwsAccount.objects.create(account_id=PAYER, role_arn=f"arn:aws:iam::{PAYER}:role/R")
    spike = anomaly()
    finding_upsert_many(records=[record()], default_account=account_a)
    finding = account_a.findings.first()
    expected = {
        "/accounts/tokens/": {"name", "can_write"},  # the token form
        "/accounts/add/": {"external_id"},
        f"/findings/{finding.pk}/": {"note"},  # the workflow's note
        f"/costs/anomalies/{spike.pk}/": {"reason"},  # the anomaly's feedback reason
    }
    for path, fields in expected.items():
        response = logged_in.get(path)
        assert response.status_code == 200, path
        refs = described_by(response.content.decode())
        assert refs["missing"] == [], path
        assert fields <= set(refs), (path, refs)
        assert invalid(response.content.decode()) == [], path


def test_the_sort_select_is_valid_unless_its_value_is_not(logged_in, account_a) -> None:
    finding_upsert_many(records=[record()], default_account=account_a)
    for query in ("", "?ordering=-severity", "?ordering=account", "?ordering=-last_seen"):
        html = logged_in.get(f"/findings/{query}").content.decode()
        assert invalid(html) == [], query
        select = re.search(r'<select name="ordering"[^>]*>', html).group(0)
        assert "aria-describedby" not in select, query
    response = logged_in.get("/findings/", {"ordering": '"><script>alert(1)</script>'})
    html = response.content.decode()
    assert response.status_code == 400 and "<script>alert(1)" not in html
    select = re.search(r'<select name="ordering"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in select
    assert described_by(html)["missing"] == []  # the error it points at is there
    assert re.search(r'id="id_ordering_error">.*not one of the available choices', html, re.S)


def test_a_form_sent_with_errors_points_each_field_at_its_error(logged_in) -> None:
    response = logged_in.post("/accounts/add/", {"account_id": "12", "role_arn": "<b>nope</b>"})
    html = response.content.decode()
    assert response.status_code == 200 and invalid(html)
    assert described_by(html)["missing"] == []
    assert 'id="id_account_id_error"' in html and "<b>nope</b>" not in html

"""`ou` on findings/, summary/, the findings page and the overview's heatmap by OU: the OU and
every OU under it, within the person's accounts."""

from __future__ import annotations

import pytest

from tests.conftest import bearer_client
from tests.factories import DATA_ID, PROD_ID, ROOT_ID, WORKLOADS_ID, ou_tree

LIST = "/api/v1/findings/"


@pytest.fixture
def tree(store, account_a, account_b):
    """account_a in Workloads/Prod (3 findings, 2 open), account_b in Data (1)."""
    units = ou_tree(prod=[account_a], data=[account_b])
    store(account_a, severity_score=9.5)
    store(account_a, severity_score=7.5)
    store(account_a, severity_score=5.0, aws_state="archived")
    store(account_b, severity_score=8.0)
    return units


def ids_of(response) -> list[str]:
    return sorted(r["account_id"] for r in response.json()["results"])


def test_an_ou_takes_in_every_ou_under_it(alice, tree):
    client = bearer_client(alice)
    assert ids_of(client.get(LIST, {"ou": PROD_ID})) == ["222222222222"] * 3
    assert ids_of(client.get(LIST, {"ou": WORKLOADS_ID})) == ["222222222222"] * 3
    assert ids_of(client.get(LIST, {"ou": DATA_ID})) == ["333333333333"]
    assert len(ids_of(client.get(LIST, {"ou": ROOT_ID}))) == 4
    assert len(ids_of(client.get(LIST, {"ou": f"{PROD_ID},{DATA_ID}"}))) == 4
    assert ids_of(client.get(LIST, {"ou": "ou-ab12-unknown1"})) == []
    summary = client.get("/api/v1/summary/", {"ou": WORKLOADS_ID}).json()
    assert summary["open"] == 2 and summary["account_id"] == {"222222222222": 2}


def test_an_ou_never_reaches_past_the_persons_accounts(bob, charlie, tree):
    assert ids_of(bearer_client(bob).get(LIST, {"ou": ROOT_ID})) == ["222222222222"] * 3
    assert ids_of(bearer_client(bob).get(LIST, {"ou": DATA_ID})) == []
    assert ids_of(bearer_client(charlie).get(LIST, {"ou": ROOT_ID})) == []


@pytest.mark.parametrize(
    "value", ["' OR 1=1 --", "ou-\x00", "r-AB12", "ou-ab12", "x" * 300, "ou-ab12-produnit/.."]
)
def test_a_hostile_ou_is_a_400_naming_it(alice, tree, value):
    response = bearer_client(alice).get(LIST, {"ou": value})
    assert response.status_code == 400
    assert "ou" in response.json()


def test_the_findings_page_filters_by_ou_and_offers_only_the_persons_ous(client, bob, tree):
    client.force_login(bob)
    page = client.get("/findings/", {"ou": WORKLOADS_ID})
    assert page.status_code == 200
    body = page.content.decode()
    assert f'value="{PROD_ID}"' in body and f'value="{DATA_ID}"' not in body
    assert client.get("/findings/", {"ou": "bad\x00"}).status_code == 400


def test_the_heatmap_groups_by_ou_and_each_cell_counts_its_list(client, alice, bob, tree):
    from findings.overview import finding_overview_for_user

    cells = finding_overview_for_user(user=alice, heatmap_by="ou").heatmap
    by_ou = {(c["account_id"], c["severity"]): c for c in cells}
    assert by_ou[(WORKLOADS_ID, "critical")]["count"] == 1
    assert by_ou[(ROOT_ID, "high")]["count"] == 2
    api = bearer_client(alice)
    for cell in cells:
        query = cell["url"].split("?", 1)[1]
        assert api.get(f"{LIST}?{query}").json()["count"] == cell["count"], cell
    bobs = {c["account_id"] for c in finding_overview_for_user(user=bob, heatmap_by="ou").heatmap}
    assert DATA_ID not in bobs and PROD_ID in bobs
    client.force_login(alice)
    page = client.get("/overview/", {"heatmap": "ou"})
    assert page.status_code == 200 and "by organisational unit" in page.content.decode()


def test_the_inspector_report_takes_an_ou(alice, client, tree, store, account_b):
    store(account_b, source="inspector", source_id="arn:aws:inspector2:us-east-1:333333333333:finding/x",
          type="PACKAGE_VULNERABILITY", severity_score=8.0)  # fmt: skip
    api = bearer_client(alice)
    data = api.get("/api/v1/inspector/report/", {"ou": DATA_ID}).json()
    assert api.get("/api/v1/inspector/report/", {"ou": PROD_ID}).json() != data
    assert api.get("/api/v1/inspector/report/", {"ou": "bad\x00"}).status_code == 400
    client.force_login(alice)
    page = client.get("/inspector/", {"ou": DATA_ID})
    assert (
        page.status_code == 200 and f'<option value="{DATA_ID}" selected>' in page.content.decode()
    )

"""Crafted input answers 400 or 404, never 500: cursors with impossible time-zone offsets, NUL
characters in the path, the query string or a form (core.middleware, core.keyset)."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import bearer_client

LIST = "/api/v1/findings/"


def _cursor_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


def _feed_cursor(cursor: str, moment: str) -> str:
    """The change feed's cursor ("<time>|<id>") at another time."""
    return _b64(f"{moment}|{_unb64(cursor).split('|')[1]}")


def _with_times(cursor: str, offset: str) -> str:
    """A list cursor with every time in it moved to the zone `offset` (same wall clock)."""
    direction, values, signature = json.loads(_unb64(cursor))
    values = [
        v[:19] + offset if isinstance(v, str) and len(v) >= 19 and v[10] == "T" else v
        for v in values
    ]
    return _b64(json.dumps([direction, values, signature], separators=(",", ":")))


@pytest.fixture
def three_findings(store, account_a):
    return [store(account_a) for _ in range(3)]


@pytest.mark.parametrize("offset", ["-23:59", "+20:00", "+15:59"])
def test_a_feed_cursor_with_an_odd_offset_never_answers_500(
    postgres, alice, three_findings, offset
):
    client = bearer_client(alice)
    first = client.get(LIST, {"updated_since": "2000-01-01T00:00:00Z", "page_size": 1}).json()
    for link in (first["next"], first["resume"]):
        cursor = _feed_cursor(_cursor_of(link), f"2024-05-14T10:00:00{offset}")
        response = client.get(LIST, {"updated_since": "2000-01-01T00:00:00Z", "cursor": cursor})
        assert response.status_code in (200, 400), response.content


@pytest.mark.parametrize("offset", ["-23:59", "+20:00"])
def test_a_findings_page_cursor_with_an_odd_offset_never_answers_500(
    postgres, client, alice, three_findings, settings, offset, monkeypatch
):
    import findings.views

    monkeypatch.setattr(findings.views, "PAGE_SIZE", 1)
    client.force_login(alice)
    page = client.get("/findings/", {"ordering": "-last_seen"})
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index("cursor=") + len("cursor=")
    cursor = html[start : start + 600].split('"')[0].split("&")[0]
    response = client.get(
        "/findings/", {"ordering": "-last_seen", "cursor": _with_times(cursor, offset)}
    )
    assert response.status_code in (200, 400)


def test_a_year_one_time_moved_east_is_refused_not_overflowed(postgres, alice, three_findings):
    client = bearer_client(alice)
    first = client.get(LIST, {"updated_since": "2000-01-01T00:00:00Z", "page_size": 1}).json()
    cursor = _feed_cursor(_cursor_of(first["next"]), "0001-01-01T00:00:00+20:00")
    response = client.get(LIST, {"updated_since": "2000-01-01T00:00:00Z", "cursor": cursor})
    assert response.status_code == 400 and "cursor" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounts/%00/",
        "/api/v1/findings/%00/",
        "/api/v1/cost-anomalies/1%00/",
        "/accounts/%00/",
        "/findings/%00/",
        "/webhooks/%00/",
    ],
)
def test_nul_in_a_path_is_400_or_404(postgres, client, alice, path):
    client.force_login(alice)
    response = client.get(path)
    assert response.status_code in (400, 404)
    response = bearer_client(alice).get(path)
    assert response.status_code in (400, 404)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/findings/?q=%00",
        "/api/v1/findings/?account=22222222222%00",
        "/api/v1/accounts/?name%00=x",
        "/findings/?q=a%00b",
        "/costs/anomalies/?service=%00",
        "/api/v1/webhook-deliveries/?status=%00",
    ],
)
def test_nul_in_a_query_string_is_400(postgres, client, alice, url):
    client.force_login(alice)
    assert client.get(url).status_code == 400
    response = bearer_client(alice).get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert "NUL" in response.json()["detail"]


def test_nul_in_a_form_field_is_400(postgres, client, alice):
    client.force_login(alice)
    response = client.post("/accounts/people/add/", {"username": "eve\x00", "password": "x"})
    assert response.status_code == 400


def test_an_ordinary_request_passes(postgres, client, alice):
    client.force_login(alice)
    assert client.get("/findings/", {"q": "a+b"}).status_code == 200


@pytest.fixture
def write_targets(store, account_a):
    from django.utils import timezone

    from costs.models import CostAnomaly

    finding = store(account_a)
    anomaly = CostAnomaly.objects.create(
        payer=account_a,
        anomaly_id="nul-test",
        account_id=account_a.account_id,
        derived_severity="low",
        content_hash="x",
        updated_at=timezone.now(),
    )
    return {"finding": finding.pk, "account": account_a.pk, "anomaly": anomaly.pk}


NUL_BODIES = [
    ("patch", "/api/v1/findings/{finding}/", {"note": "risk accepted\x00"}),
    ("patch", "/api/v1/findings/{finding}/", {"ticket_ref": "JIRA-1\x00"}),
    ("patch", "/api/v1/findings/{finding}/", {"assignee": "\x00"}),
    ("patch", "/api/v1/findings/{finding}/", {"note\x00": "key with a NUL"}),
    ("post", "/api/v1/webhooks/", {"url": "https://example.com/hook\x00", "events": ["x"]}),
    ("post", "/api/v1/webhooks/", {"url": "https://example.com/", "events": ["finding\x00"]}),
    ("post", "/api/v1/accounts/", {"account_id": "444444444444", "name": "a\x00"}),
    ("patch", "/api/v1/accounts/{account}/", {"name": "b\x00", "tags": {"deep": ["\x00"]}}),
    ("post", "/api/v1/cost-anomalies/{anomaly}/feedback/", {"feedback": "NO", "reason": "\x00"}),
]


@pytest.mark.parametrize(("method", "url", "body"), NUL_BODIES)
def test_nul_in_a_json_body_is_400_naming_the_field(
    postgres, alice, write_targets, method, url, body
):
    client = bearer_client(alice, can_write=True)
    send = getattr(client, method)
    response = send(url.format(**write_targets), body, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 400, response.content
    answer = response.json()
    assert "NUL" in answer["detail"]
    held = [k.replace("\x00", "") for k, v in body.items() if "\\x00" in repr((k, v))]
    assert held and all(name in answer for name in held)


def test_a_json_body_without_nul_passes(postgres, alice, write_targets):
    client = bearer_client(alice, can_write=True)
    url = f"/api/v1/findings/{write_targets['finding']}/"
    response = client.patch(url, {"note": "a \\u0000 written out"}, format="json")
    assert response.status_code != 400 or "NUL" not in response.json().get("detail", "")

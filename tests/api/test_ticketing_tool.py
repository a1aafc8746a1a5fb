"""A ticketing tool end to end, over real HTTP against a live server, as docs/api.md, A complete poller, does it:
a token from `create_api_token`, a webhook subscription, a signed webhook received on a local
receiver and verified, the change feed followed to its end and resumed, PATCH with a stale then a
fresh ETag."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tests.webhooks.conftest import Receiver


class Tool:
    """What a ticketing tool does over HTTP, with the standard library only."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base.rstrip("/") + "/api/v1/", token

    def call(self, method: str, url: str, body: Any = None, headers: dict | None = None):
        url = url if url.startswith("http") else self.base + url
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, dict(response.headers), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read())

    def poll(self, url: str) -> tuple[list[dict], str]:
        """Follow `next` to null; the changes and the `resume` link to poll later."""
        changes: list[dict] = []
        while url:
            status, _h, page = self.call("GET", url)
            assert status == 200, page
            changes += page["results"]
            resume, url = page["resume"], page["next"]
        return changes, resume


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check of docs/api.md, Webhooks: HMAC-SHA256 over "<t>.<body>", constant-time, recent."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    if abs(time.time() - int(parts["t"])) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


@pytest.fixture
def receiver(settings):
    settings.WATCHPOST_WEBHOOK_ALLOW_PRIVATE = True
    server = Receiver()
    yield server
    server.close()


def test_a_ticketing_tool_end_to_end(live_server, alice, store, account_a, receiver):
    out = StringIO()
    call_command("create_api_token", "alice", "--write", "--name", "jira", stdout=out)
    tool = Tool(live_server.url, out.getvalue().strip().splitlines()[-1])

    # Subscribe to findings events; the secret is answered once.
    sub = {"name": "jira", "url": receiver.url, "events": ["finding.created", "finding.updated"]}
    status, _h, created = tool.call("POST", "webhooks/", sub)
    assert status == 201
    secret = created["secret"]

    # The feed from the start: nothing yet; keep `resume`.
    changes, resume = tool.poll("findings/?updated_since=2000-01-01T00:00:00Z&page_size=2")
    assert changes == []

    # Collection finds three; a signed webhook announces each.
    found = [store(account_a, severity_score=8.0) for _ in range(3)]
    assert [r["headers"]["Watchpost-Event"] for r in receiver.requests] == ["finding.created"] * 3
    for request in receiver.requests:
        assert verify(secret, request["headers"]["Watchpost-Signature"], request["body"])
    assert not verify(
        "not-the-secret",
        receiver.requests[0]["headers"]["Watchpost-Signature"],
        receiver.requests[0]["body"],
    )

    # The feed resumes: the three, once, over two pages.
    changes, resume = tool.poll(resume)
    assert [c["id"] for c in changes] == [f.pk for f in found]
    assert tool.poll(resume)[0] == []

    # Write back: another tool changed the finding since we read it -> 412; read again -> 200.
    target = found[0]
    status, headers, _detail = tool.call("GET", f"findings/{target.pk}/")
    stale = headers["ETag"]
    other = Tool(live_server.url, tool.token)
    assert (
        other.call("PATCH", f"findings/{target.pk}/", {"ticket_ref": "SN-9"}, {"If-Match": stale})[
            0
        ]
        == 200
    )
    body = {"status": "acknowledged", "ticket_ref": "JIRA-1", "note": "ticket opened"}
    status, headers, error = tool.call("PATCH", f"findings/{target.pk}/", body, {"If-Match": stale})
    assert "GET it again" in error["detail"]
    assert status == 412 and headers["ETag"] != stale
    assert tool.call("PATCH", f"findings/{target.pk}/", body)[0] == 428
    status, headers, _detail = tool.call("GET", f"findings/{target.pk}/")
    status, _h, patched = tool.call(
        "PATCH", f"findings/{target.pk}/", body, {"If-Match": headers["ETag"]}
    )
    assert status == 200
    assert (patched["status"], patched["ticket_ref"]) == ("acknowledged", "JIRA-1")
    assert patched["events"][-1] == {**patched["events"][-1], "kind": "note", "actor": "alice"}

    # Both writes are in the feed (the finding once, at its latest) and were announced, signed.
    changes, resume = tool.poll(resume)
    assert [(c["id"], c["ticket_ref"]) for c in changes] == [(target.pk, "JIRA-1")]
    updates = [r for r in receiver.requests if r["headers"]["Watchpost-Event"] == "finding.updated"]
    assert len(updates) == 2
    assert all(verify(secret, r["headers"]["Watchpost-Signature"], r["body"]) for r in updates)
    assert json.loads(updates[-1]["body"])["data"]["finding"]["ticket_ref"] == "JIRA-1"

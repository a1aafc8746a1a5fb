"""A worker process killed while it delivers a webhook: the delivery is not lost; it is retried
once the dead attempt's claim expires, and every request the receiver got is validly signed."""

from __future__ import annotations

import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.faults.conftest import PROD, wait_for
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.services import Occurrence, deliveries_enqueue, subscription_create
from webhooks.signing import SIGNATURE_HEADER, signature_verify


class HoldingReceiver:
    """Holds the first request open (until `release`), answers 200 to the others."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.held = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                if len(receiver.requests) == 1:
                    receiver.held.set()
                    receiver.release.wait(60)
                try:
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender is gone

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def pool_children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def test_a_worker_killed_during_a_delivery_retries_it_signed(start_worker, prod, alice, settings):
    settings.WATCHPOST_WEBHOOK_ALLOW_PRIVATE = True
    receiver = HoldingReceiver()
    try:
        _subscription, secret = subscription_create(
            actor=alice, name="tickets", url=receiver.url, events=["finding.created"]
        )
        worker = start_worker(
            concurrency=1, WATCHPOST_WEBHOOK_ALLOW_PRIVATE="1", WATCHPOST_WEBHOOK_TIMEOUT="2"
        )
        occurrence = Occurrence(PROD, "high", "guardduty", {"title": "<b>probe</b>"})
        (delivery,) = deliveries_enqueue(event="finding.created", occurrences=[occurrence])

        wait_for(receiver.held.is_set, timeout=60, what="the receiver to get the first POST")
        (child,) = pool_children(worker.process.pid)
        os.kill(child, signal.SIGKILL)  # the pool process, in the middle of the POST
        receiver.release.set()

        def delivered() -> bool:
            delivery.refresh_from_db()
            return delivery.status == "succeeded"

        wait_for(delivered, timeout=90, what="the delivery to succeed after the kill")
    finally:
        receiver.close()
    assert len(receiver.requests) == 2  # at least once: the killed attempt may have arrived
    bodies = {r["body"] for r in receiver.requests}
    assert len(bodies) == 1  # the same event, the same bytes
    for request in receiver.requests:
        assert signature_verify(
            secret=secret, header=request["headers"][SIGNATURE_HEADER], body=request["body"]
        )
        assert request["headers"]["Watchpost-Event-Id"] == str(delivery.event_id)
    assert delivery.attempts == 2
    attempts = WebhookAttempt.objects.filter(delivery=delivery)
    assert [a.response_status for a in attempts] == [200]  # the killed one never came back
    assert WebhookDelivery.objects.count() == 1

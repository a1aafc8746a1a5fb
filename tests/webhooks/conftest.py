"""Fixtures of the webhooks tests: a local HTTP receiver on 127.0.0.1, loopback targets allowed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.findings.conftest import store  # noqa: F401 - the findings tests' fixture


class Receiver:
    """A webhook receiver in a thread: records every request; answers `statuses` in turn (the
    last one repeated), with an optional Location for redirects."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = [200]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                n = len(receiver.requests) - 1
                status = receiver.statuses[min(n, len(receiver.statuses) - 1)]
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.end_headers()
                self.wfile.write(f"answer {status}".encode())

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _allow_loopback(settings: Any) -> None:
    """The tests' receivers listen on 127.0.0.1: allow private targets (off by default)."""
    settings.WATCHPOST_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture(autouse=True)
def _commits(transactional_db: Any) -> None:
    """Real commits: deliveries are queued on commit, which a test wrapped in a transaction never
    reaches."""

"""HTTP mode: a threaded server answering boto3 clients pointed at it (AWS_ENDPOINT_URL).

Requests are identified by their SigV4 credential scope (signing name and region), so one
endpoint serves every emulated service, exactly like the in-process mode.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .controls import Controls
from .dispatch import Dispatcher
from .emulator import signer_of
from .errors import EmulatorBug
from .httpwire import parse_request
from .world import World

log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        access_key, region, signing_name, token = signer_of(self.headers)
        try:
            model, operation, params = parse_request(
                signing_name, self.command, self.path, self.headers, body
            )
            status, headers, payload = self.server.dispatcher.handle(
                model, operation, params, access_key, token, region or "us-east-1"
            )
        except EmulatorBug as bug:
            self.server.bugs.append(bug)
            status, headers = 500, {"Content-Type": "application/json"}
            payload = b'{"__type": "EmulatorBug", "message": "see aws_emulator log"}'
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    dispatcher: Dispatcher
    bugs: list[EmulatorBug]


class EmulatorServer(Controls):
    """Serve `world` over HTTP on host:port (port 0 picks a free one; see `.url`)."""

    def __init__(self, world: World, host: str = "127.0.0.1", port: int = 0) -> None:
        self.world = world
        self.dispatcher = Dispatcher(world)
        self._server = _Server((host, port), _Handler)
        self._server.dispatcher = self.dispatcher
        self._server.bugs = []
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The endpoint URL to give boto3 (`endpoint_url=` or AWS_ENDPOINT_URL)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def bugs(self) -> list[EmulatorBug]:
        """Responses the emulator refused to send because they broke the model (should be [])."""
        return self._server.bugs

    def start(self) -> EmulatorServer:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="aws-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI)."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""In-process interception of every botocore client, answering from a `World`.

Handlers are added to `botocore.handlers.BUILTIN_HANDLERS` (so every session created later gets
them, as moto does) and to boto3's existing default session. `before-parameter-build` copies the
API params into the request context; `before-send` (registered first, ahead of moto's stubber)
answers with a real `AWSResponse` holding wire bytes, which botocore parses and retries as usual.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterator
from contextlib import suppress
from io import BytesIO
from typing import Any

import boto3
from botocore import handlers
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.model import OperationModel

from .controls import Controls
from .dispatch import Dispatcher
from .world import World

_CONTEXT_KEY = "aws_emulator"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_ACTIVE_LOCK = threading.Lock()


class _RawBody(BytesIO):
    """A body botocore can `.stream()` like urllib3's response."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def signer_of(headers: Any) -> tuple[str | None, str | None, str | None, str | None]:
    """(access key, region, signing service, session token) from a SigV4-signed request."""
    auth = headers.get("Authorization")
    if isinstance(auth, bytes):
        auth = auth.decode()
    token = headers.get("X-Amz-Security-Token")
    if isinstance(token, bytes):
        token = token.decode()
    match = _CREDENTIAL.search(auth or "")
    if match is None:
        return None, None, None, token
    return match.group(1), match.group(2), match.group(3), token


class Emulator(Controls):
    """Answers every boto3/botocore call in this process from `world` while started.

    Only one emulator can be active at a time. Clients created before `start()` are not
    intercepted (botocore copies a session's handlers into each client at creation).
    """

    _active: Emulator | None = None

    def __init__(self, world: World) -> None:
        self.world = world
        self.dispatcher = Dispatcher(world)
        self._specs = [
            ("before-parameter-build", self._capture, handlers.REGISTER_LAST),
            ("before-send", self._answer, handlers.REGISTER_FIRST),
        ]
        self._sessions: list[Any] = []

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Emulator:
        """Install the handlers; from now on no botocore call leaves the process."""
        with _ACTIVE_LOCK:
            if Emulator._active is not None:
                raise RuntimeError("another aws_emulator.Emulator is already active")
            Emulator._active = self
            handlers.BUILTIN_HANDLERS.extend(self._specs)
            default = boto3.DEFAULT_SESSION
            if default is not None:
                events = default._session.get_component("event_emitter")
                events.register_last("before-parameter-build", self._capture)
                events.register_first("before-send", self._answer)
                self._sessions.append(events)
        return self

    def stop(self) -> None:
        """Remove the handlers; clients made meanwhile stop being answered (and would go out)."""
        with _ACTIVE_LOCK:
            for spec in self._specs:
                with suppress(ValueError):
                    handlers.BUILTIN_HANDLERS.remove(spec)
            for events in self._sessions:
                events.unregister("before-parameter-build", self._capture)
                events.unregister("before-send", self._answer)
            self._sessions.clear()
            if Emulator._active is self:
                Emulator._active = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- botocore event handlers -----------------------------------------------------------
    def _capture(
        self, params: dict[str, Any], model: OperationModel, context: dict[str, Any], **_: Any
    ) -> None:
        if Emulator._active is self:
            context[_CONTEXT_KEY] = (model, copy.deepcopy(params))

    def _answer(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        if Emulator._active is not self:
            return None
        captured = (request.context or {}).get(_CONTEXT_KEY)
        access_key, region, _service, token = signer_of(request.headers)
        if captured is None:
            status, headers, body = self.dispatcher.handle(
                None, None, {}, access_key, token, region or ""
            )
        else:
            model, params = captured
            status, headers, body = self.dispatcher.handle(
                model.service_model, model.name, params, access_key, token, region or "us-east-1"
            )
        return AWSResponse(request.url, status, headers, _RawBody(body))

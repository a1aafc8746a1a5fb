"""Answer one AWS call: authenticate, count, inject faults, validate, handle, validate, serialize.

Both the in-process interceptor and the HTTP server end here, so both modes behave identically.
"""

from __future__ import annotations

import copy
import functools
import itertools
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.model import OperationModel, ServiceModel

from . import services  # noqa: F401  (registers every handler)
from .errors import AwsError, EmulatorBug
from .models import EMULATED_SERVICES
from .registry import HANDLERS, RequestContext, validation_error
from .validation import check_input, check_output, error_message
from .wire import Response, serialize_error, serialize_response
from .world import World

log = logging.getLogger(__name__)

# HTTP status AWS uses for common errors whose shape carries none in the model.
_DEFAULT_STATUS = {
    "AccessDenied": 403,
    "AccessDeniedException": 403,
    "UnrecognizedClientException": 403,
    "InvalidClientTokenId": 403,
    "TooManyRequestsException": 429,
    "InternalFailure": 500,
    "InternalServerError": 500,
    "InternalServerErrorException": 500,
    "InternalServerException": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
}


@dataclass(frozen=True)
class CallRecord:
    """One answered call, successful or not."""

    service: str
    operation: str
    account_id: str | None
    region: str
    params: dict[str, Any]
    error_code: str | None
    at: datetime
    # Who signed it: the hub identity's ARN or an assumed-role session's (None: unauthenticated).
    caller_arn: str | None = None


@dataclass
class Fault:
    """An error to answer instead of the real result, `times` times (None: every time), once
    `after` matching calls have been answered normally; `delay` seconds of latency first (with an
    empty `error_code`, the call is only slowed down, then answered)."""

    service: str
    operation: str | None
    error_code: str
    account_id: str | None = None
    region: str | None = None
    times: int | None = 1
    message: str | None = None
    http_status: int | None = None
    after: int = 0
    delay: float = 0.0
    # Answer a page with no items and a fresh next token (AWS may): the caller must go on.
    empty_page: bool = False

    def matches(self, service: str, operation: str, account_id: str, region: str) -> bool:
        """Whether this fault applies to the call."""
        return (
            self.service == service
            and self.operation in (None, operation)
            and self.account_id in (None, account_id)
            and self.region in (None, region)
            and (self.times is None or self.times > 0)
        )


_EMPTY_PREFIX = "wpempty:"
_empty_serial = itertools.count(1)


@functools.lru_cache(maxsize=256)
def _paging_of(service: str, operation: str) -> tuple[str, str] | None:
    import botocore.session

    try:
        model = botocore.session.get_session().get_paginator_model(service)
        config = model.get_paginator(operation)
    except Exception:  # no paginator model for this service or operation
        return None
    input_token, output_token = config.get("input_token"), config.get("output_token")
    if not isinstance(input_token, str) or not isinstance(output_token, str):
        return None
    return input_token, output_token


def _paging(op_model: OperationModel) -> tuple[str, str] | None:
    """(input token, output token) member names of a paged operation, else None."""
    return _paging_of(op_model.service_model.service_name, op_model.name)


def _unwrap(params: dict[str, Any], input_token: str) -> tuple[dict[str, Any], str]:
    """The params with a token we handed out on an empty page turned back into AWS's own."""
    token = params.get(input_token)
    if not isinstance(token, str) or not token.startswith(_EMPTY_PREFIX):
        return params, token if isinstance(token, str) else ""
    original = token[len(_EMPTY_PREFIX) :].split(":", 1)[1]
    params = dict(params)
    if original:
        params[input_token] = original
    else:
        params.pop(input_token)
    return params, original


def _emptied(
    op_model: OperationModel, data: dict[str, Any], output_token: str, token: str
) -> dict[str, Any]:
    """`data` with every list emptied and a new token that asks for the same page again."""
    shape = op_model.output_shape
    emptied = dict(data)
    for name, member in (shape.members if shape is not None else {}).items():
        if member.type_name == "list" and name in emptied:
            emptied[name] = []
    emptied[output_token] = f"{_EMPTY_PREFIX}{next(_empty_serial)}:{token}"
    return emptied


def status_for(error: AwsError, service: ServiceModel | None) -> int:
    """The HTTP status of `error`: explicit, else the model's, else AWS's usual one, else 400."""
    if error.status is not None:
        return error.status
    if service is not None and error.code in service.shape_names:
        shape = service.shape_for(error.code)
        modelled = shape.metadata.get("error", {}).get("httpStatusCode")
        if modelled:
            return int(modelled)
    return _DEFAULT_STATUS.get(error.code, 400)


@dataclass
class Dispatcher:
    """Routes calls to handlers and keeps the call log and the fault list."""

    world: World
    calls: list[CallRecord] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def handle(
        self,
        service: ServiceModel | None,
        operation: str | None,
        params: dict[str, Any],
        access_key: str | None,
        session_token: str | None,
        region: str,
    ) -> Response:
        """Answer one call with (status, headers, body) in the service's wire protocol."""
        request_id = str(uuid.uuid4())
        name = service.service_name if service is not None else "unknown"
        account_id: str | None = None
        caller: str | None = None
        try:
            op_model = self._operation(service, operation)
            identity = self.world.identity_for(access_key, session_token)
            account_id, caller = identity.account_id, identity.arn
            hit = self._fault(name, op_model.name, account_id, region)
            paging = _paging(op_model)
            token = ""
            if paging is not None:
                params, token = _unwrap(params, paging[0])
            with self.world.lock:
                data = self._run(op_model, params, identity, region)
            if hit is not None and hit.empty_page and paging is not None:
                data = _emptied(op_model, data, paging[1], token)
            self._record(name, operation, account_id, region, params, None, caller)
            return serialize_response(op_model, data, request_id)
        except AwsError as error:
            self._record(name, operation or "?", account_id, region, params, error.code, caller)
            if service is None:
                body = f'{{"__type": "{error.code}", "message": "{error.message}"}}'
                return status_for(error, None), {"x-amzn-ErrorType": error.code}, body.encode()
            return serialize_error(service, error, status_for(error, service), request_id)

    def _operation(self, service: ServiceModel | None, operation: str | None) -> OperationModel:
        if service is None or operation is None:
            raise AwsError("UnknownOperationException", "The emulator cannot route this request")
        if (
            service.service_name not in EMULATED_SERVICES
            or (service.service_name, operation) not in HANDLERS
        ):
            raise AwsError(
                "UnknownOperationException",
                f"aws_emulator does not implement {service.service_name}:{operation}",
            )
        return service.operation_model(operation)

    def _fault(self, service: str, operation: str, account_id: str, region: str) -> Fault | None:
        hit: Fault | None = None
        with self.lock:
            for fault in self.faults:
                if fault.matches(service, operation, account_id, region):
                    if fault.after > 0:
                        fault.after -= 1
                        continue
                    if fault.times is not None:
                        fault.times -= 1
                    hit = fault
                    break
        if hit is None:
            return None
        if hit.delay:
            time.sleep(hit.delay)  # outside the locks: other calls go on meanwhile
        if hit.error_code:
            message = hit.message or f"Injected {hit.error_code} for {operation}"
            raise AwsError(hit.error_code, message, hit.http_status)
        return hit

    def _run(
        self, op_model: OperationModel, params: dict[str, Any], identity: Any, region: str
    ) -> dict[str, Any]:
        service = op_model.service_model.service_name
        normalized, errors = check_input(op_model.input_shape, params)
        if errors:
            member = errors[0].path.split(".")[0]
            raise validation_error(service, error_message(errors), member)
        context = RequestContext(
            world=self.world,
            service=service,
            operation=op_model.name,
            account_id=identity.account_id,
            region=region,
            identity=identity,
            now=self.world.clock(),
        )
        data = HANDLERS[(service, op_model.name)](context, normalized)
        problems = check_output(op_model.output_shape, data)
        if problems:
            text = f"{service}:{op_model.name} response breaks its model: {error_message(problems)}"
            log.error(text)
            raise EmulatorBug(text)
        return data

    def _record(
        self,
        service: str,
        operation: str | None,
        account_id: str | None,
        region: str,
        params: dict[str, Any],
        error_code: str | None,
        caller_arn: str | None = None,
    ) -> None:
        record = CallRecord(
            service=service,
            operation=operation or "?",
            account_id=account_id,
            region=region,
            params=copy.deepcopy(params),
            error_code=error_code,
            at=self.world.clock(),
            caller_arn=caller_arn,
        )
        with self.lock:
            self.calls.append(record)

    def count(
        self,
        service: str | None = None,
        operation: str | None = None,
        account_id: str | None = None,
        region: str | None = None,
    ) -> int:
        """Number of answered calls matching every given criterion (errors included)."""
        with self.lock:
            return sum(
                1
                for c in self.calls
                if service in (None, c.service)
                and operation in (None, c.operation)
                and account_id in (None, c.account_id)
                and region in (None, c.region)
            )

"""The AWS edge: the only module that calls STS or builds boto3 clients.

A client for (account, service, region) is built on credentials from `sts:AssumeRole` with the
account's ExternalId, a recognisable session name and at most 3600 s
(https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html); botocore refreshes them
before they expire, so a sync longer than a session never fails half-way. Retry mode `standard`, one
client per account, service and region, so one throttled account cannot drain another's retries.
AWS errors are translated here, once, into the few exceptions of ours the rest of Watchpost handles.
"""

from __future__ import annotations

import contextvars
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)
from botocore.utils import parse_timestamp
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache

from accounts.ratelimit import LimiterUnavailable, limit_client

# Global services (Organizations, Cost Explorer, Budgets) are answered in us-east-1.
GLOBAL_REGION = "us-east-1"

# AssumeRole: a role's maximum session is 1 hour unless its owner raised it, and role chaining caps
# it at 1 hour (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html#id_roles_use_view-role-max-session).
SESSION_SECONDS = 3600

ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "UnauthorizedOperation",
        "UnauthorizedException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "AWSOrganizationsNotInUseException",
    }
)
THROTTLED_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "LimitExceededException",
        "SlowDown",
    }
)
NOT_ENABLED_CODES = frozenset({"SubscriptionRequiredException", "OptInRequired"})
# Regions an account must opt into (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html).
# Where one is not enabled, AWS refuses every request as if the token were invalid: in these
# regions that answer means "not enabled", not "access denied".
OPT_IN_REGIONS = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-south-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-west-1",
        "eu-central-2",
        "eu-south-1",
        "eu-south-2",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
    }
)
REGION_OFF_CODES = frozenset(
    {"UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure", "OptInRequired"}
)
# A region found not enabled is not asked again for this long (no error storm every cycle).
REGION_OFF_SECONDS = 6 * 60 * 60
EXPIRED_TOKEN_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
# Macie answers GetMacieSession with AccessDeniedException "Macie is not enabled" when it is off;
# any other AccessDenied is a permission problem (https://docs.aws.amazon.com/macie/latest/APIReference/macie-session.html).
NOT_ENABLED_MESSAGES = ("macie is not enabled", "is not subscribed", "not enabled for this account")


class AwsError(Exception):
    """An AWS call failed; `code` is AWS's error code (or our name for a client-side failure)."""

    def __init__(self, message: str, *, code: str = "", operation: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.operation = operation


class AccessDenied(AwsError):
    """The role cannot be assumed, or it lacks a permission."""


class Throttled(AwsError):
    """AWS kept throttling after every retry."""


class ServiceNotEnabled(AwsError):
    """The service is not enabled in that account and region: never "no findings"."""


class AwsUnavailable(AwsError):
    """AWS (or the emulator) could not be reached."""


def translate(exc: Exception) -> AwsError:
    """Our exception for a botocore error."""
    if isinstance(exc, AwsError):
        return exc
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", "")) or code
        operation = exc.operation_name
        text = f"{operation}: {code}: {message}"
        if any(m in message.lower() for m in NOT_ENABLED_MESSAGES) or code in NOT_ENABLED_CODES:
            return ServiceNotEnabled(text, code=code, operation=operation)
        if code in ACCESS_DENIED_CODES:
            return AccessDenied(text, code=code, operation=operation)
        if code in THROTTLED_CODES:
            return Throttled(text, code=code, operation=operation)
        return AwsError(text, code=code, operation=operation)
    if isinstance(exc, NoCredentialsError):
        return AccessDenied("No AWS credentials for the hub identity.", code="NoCredentials")
    if isinstance(exc, EndpointConnectionError):
        return AwsUnavailable(str(exc), code="EndpointConnectionError")
    if isinstance(exc, BotoCoreError):
        return AwsError(str(exc), code=type(exc).__name__)
    raise TypeError(f"not an AWS error: {exc!r}")


@contextmanager
def aws_errors() -> Iterator[None]:
    """Run a block of AWS calls, raising our exceptions instead of botocore's."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc) from exc


@dataclass
class CallCounter:
    """Counts the AWS API calls made (each page is a call; retries of one call are not)."""

    counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Called after each call is counted (a run's heartbeat, accounts.runs).
    listener: Callable[[], None] | None = None

    def record(self, service: str, operation: str) -> None:
        with self._lock:
            self.counts[f"{service}:{operation}"] += 1
        if self.listener is not None:
            self.listener()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def of(self, service: str) -> int:
        """Calls made to one service (e.g. "ce", whose every request costs USD 0.01)."""
        return sum(n for key, n in self.counts.items() if key.split(":", 1)[0] == service)


_current_counter: contextvars.ContextVar[CallCounter | None] = contextvars.ContextVar(
    "watchpost_call_counter", default=None
)


@contextmanager
def counting_calls() -> Iterator[CallCounter]:
    """Count, apart, the AWS calls made inside the block (one collection of one target)."""
    counter = CallCounter()
    token = _current_counter.set(counter)
    try:
        yield counter
    finally:
        _current_counter.reset(token)


def region_off_key(account_id: str, region: str) -> str:
    return f"watchpost:region-off:{account_id}:{region}"


class AwsClient:
    """A boto3 client whose calls raise our exceptions, with a pager that follows AWS's tokens."""

    def __init__(self, client: Any, service: str, account_id: str = "") -> None:
        self._client = client
        self.service = service
        self.account_id = account_id

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise self._translate(exc) from exc
        except LimiterUnavailable as exc:
            raise AwsError(str(exc), code="LimiterUnavailable") from exc

    def _translate(self, exc: Exception) -> AwsError:
        error = translate(exc)
        region = self._client.meta.region_name
        if self.account_id and region in OPT_IN_REGIONS and error.code in REGION_OFF_CODES:
            cache.set(region_off_key(self.account_id, region), str(error), REGION_OFF_SECONDS)
            return ServiceNotEnabled(
                f"{region} is an opt-in region not enabled in this account ({error})",
                code=error.code,
                operation=error.operation,
            )
        return error

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """One API call, by its Python name (e.g. "list_detectors")."""
        with self._errors():
            return getattr(self._client, operation)(**params)

    def pages(self, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of a paged operation, through botocore's paginator (which follows the tokens
        AWS gives, short pages included, and stops on an absent or empty token). Empty pages
        that still carry a token are followed, at most MAX_EMPTY_PAGES in a row."""
        paginator = self._client.get_paginator(operation)
        empty = 0
        with self._errors():
            iterator = paginator.paginate(**params)
            for page in iterator:
                if any(key.search(page) for key in iterator.result_keys):
                    empty = 0
                else:
                    empty += 1
                    if empty > MAX_EMPTY_PAGES:
                        raise AwsError(
                            f"{operation}: AWS answered {empty} empty pages in a row, each with "
                            "a next token; stopped (the next run starts again)",
                            code="TooManyEmptyPages",
                            operation=operation,
                        )
                yield page

    def can_paginate(self, operation: str) -> bool:
        return bool(self._client.can_paginate(operation))

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        def method(**params: Any) -> dict[str, Any]:
            return self.call(name, **params)

        return method


# AWS may answer a page with no items and a token to go on; so many in a row means a loop.
MAX_EMPTY_PAGES = 50


def _stop_at_time_limit(caught_exception: Exception | None = None, **_: Any) -> None:
    """A task's soft time limit raised inside a request: botocore wraps it as a connection error
    and would retry it; raise it instead, so the run stops and records why (accounts.collection)."""
    error = getattr(caught_exception, "kwargs", {}).get("error")
    if isinstance(error, SoftTimeLimitExceeded):
        raise error


def _refresh_when_expired(credentials: Any) -> Callable[..., int | None]:
    """A `needs-retry` handler: AWS said the session expired (a clock ahead of ours, a session cut
    short): assume the role again and retry that request at once, so a pagination goes on from
    the page it was at. Once per request; a second refusal is AWS's answer."""

    def handler(
        response: Any = None, attempts: int = 1, caught_exception: Any = None, **_: Any
    ) -> int | None:
        if response is None or attempts > 1 or not hasattr(credentials, "_protected_refresh"):
            return None
        code = (response[1] or {}).get("Error", {}).get("Code", "")
        if code not in EXPIRED_TOKEN_CODES:
            return None
        with credentials._refresh_lock:  # botocore's own refresh, forced
            credentials._protected_refresh(is_mandatory=True)
        return 0

    return handler


def client_config() -> Config:
    """Retry mode `standard` with WATCHPOST_AWS_MAX_ATTEMPTS attempts in all, and timeouts."""
    return Config(
        retries={"mode": "standard", "total_max_attempts": settings.WATCHPOST_AWS_MAX_ATTEMPTS},
        connect_timeout=10,
        read_timeout=60,
        user_agent_appid="watchpost",
    )


_loader_lock = threading.Lock()
_shared_loader: Any = None


_ISO_8601 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def timestamp_parse(value: Any) -> datetime:
    """botocore's timestamp parser, but ISO 8601 text (what AWS's JSON APIs send) is read by
    datetime.fromisoformat: the same moment and offset, without dateutil's generic parser (a
    tenth of a collect's time went there). Anything else goes to botocore's own."""
    if isinstance(value, str) and _ISO_8601.match(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return parse_timestamp(value)


def _botocore_session() -> botocore.session.Session:
    """A botocore session sharing the process's one model loader: parsing the service models again
    for every session costs tens of milliseconds a client, which adds up over hundreds of accounts.
    Its response parsers read timestamps with timestamp_parse."""
    global _shared_loader
    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=timestamp_parse
    )
    with _loader_lock:
        if _shared_loader is None:
            _shared_loader = core.get_component("data_loader")
        else:
            core.register_component("data_loader", _shared_loader)
    return core


def _boto3_session(core: botocore.session.Session) -> boto3.Session:
    """A boto3 session on `core`; boto3 appends its data path to the shared loader every time, so
    drop the repeats (the list would otherwise grow with every session of a long-lived worker)."""
    session = boto3.Session(botocore_session=core)
    paths = session._loader.search_paths
    paths[:] = list(dict.fromkeys(paths))
    return session


class AwsGateway:
    """Builds and caches clients for member accounts, counting every call made through them.

    One gateway serves one collection run or check; clients are cached per (account, service,
    region), assumed-role sessions per account. Raises AccessDenied when a role cannot be assumed.
    """

    def __init__(self, *, session_name: str = "watchpost", counter: CallCounter | None = None):
        self.session_name = session_name
        self.counter = counter or CallCounter()
        self._hub = _boto3_session(_botocore_session())
        self._sessions: dict[tuple[str, str | None], boto3.Session] = {}
        self._clients: dict[tuple[str, str, str, bool], AwsClient] = {}
        self._lock = threading.Lock()
        self._refused: dict[tuple[str, str | None], AwsError] = {}

    def client(
        self,
        *,
        account_id: str,
        role_arn: str,
        external_id: str | None,
        service: str,
        region: str,
        counted: bool = True,
    ) -> AwsClient:
        """A client in `account_id` for `service` in `region`, through the member role."""
        key = (account_id, service, region, counted)
        off = cache.get(region_off_key(account_id, region)) if region in OPT_IN_REGIONS else None
        if off is not None:
            raise ServiceNotEnabled(
                f"{region} is an opt-in region not enabled in this account "
                f"(found earlier, asked again within {REGION_OFF_SECONDS // 3600} h: {off})",
                code="RegionNotEnabled",
            )
        with self._lock:
            if key not in self._clients:
                session = self._session(role_arn, external_id, region)
                raw = session.client(service, region_name=region, config=client_config())
                limit_client(raw, account_id=account_id, region=region)  # LookupEvents: 2/s
                raw.meta.events.register_first("needs-retry", _stop_at_time_limit)
                raw.meta.events.register_first(
                    "needs-retry", _refresh_when_expired(session.get_credentials())
                )
                if counted:
                    raw.meta.events.register("before-call", self._count(service))
                self._clients[key] = AwsClient(raw, service, account_id)
            return self._clients[key]

    def for_account(self, account: Any, service: str, region: str) -> AwsClient:
        """A counted client for a member account (an accounts.models.AwsAccount)."""
        return self.client(
            account_id=account.account_id,
            role_arn=account.role_arn,
            external_id=account.external_id,
            service=service,
            region=region,
        )

    @property
    def hub_region(self) -> str:
        """The hub's own region (AWS_DEFAULT_REGION...), which also says its partition's STS
        endpoint (GovCloud and China have their own); us-east-1 when none is configured."""
        return self._hub.region_name or GLOBAL_REGION

    def hub_client(self, service: str, region: str) -> AwsClient:
        """A client as the hub identity itself (STS GetCallerIdentity, onboarding checks)."""
        raw = self._hub.client(service, region_name=region, config=client_config())
        raw.meta.events.register("before-call", self._count(service))
        return AwsClient(raw, service)

    def _count(self, service: str) -> Callable[..., None]:
        def handler(model: Any, **_: Any) -> None:
            self.counter.record(service, model.name)
            current = _current_counter.get()
            if current is not None:
                current.record(service, model.name)

        return handler

    def _session(self, role_arn: str, external_id: str | None, region: str) -> boto3.Session:
        key = (role_arn, external_id)
        if key in self._refused:  # the role refused once in this run: don't ask STS again
            raise self._refused[key]
        if key not in self._sessions:
            try:
                self._sessions[key] = self._assume(role_arn, external_id, region)
            except AccessDenied as exc:
                self._refused[key] = exc
                raise
        return self._sessions[key]

    def _assume(self, role_arn: str, external_id: str | None, region: str) -> boto3.Session:
        sts = self._hub.client("sts", region_name=region, config=client_config())
        sts.meta.events.register("before-call", self._count("sts"))

        def fetch() -> dict[str, str]:
            params: dict[str, Any] = {
                "RoleArn": role_arn,
                "RoleSessionName": self.session_name[:64],
                "DurationSeconds": SESSION_SECONDS,
            }
            if external_id is not None:
                params["ExternalId"] = external_id
            with aws_errors():
                creds = sts.assume_role(**params)["Credentials"]
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": creds["Expiration"].isoformat(),
            }

        credentials = RefreshableCredentials.create_from_metadata(
            metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
        )
        core = _botocore_session()
        # Refreshable credentials on a session: how boto3 users plug in an assumed role.
        core._credentials = credentials
        return _boto3_session(core)

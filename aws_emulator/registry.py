"""The table of emulated operations and the context each handler receives.

Service modules register handlers with `@operation("guardduty", "ListFindings")`; the dispatcher
looks them up by botocore service and operation name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import AwsError
from .world import Identity, World


@dataclass(frozen=True)
class RequestContext:
    """What a handler knows about a call: the world, the signer, the region, the time."""

    world: World
    service: str
    operation: str
    account_id: str
    region: str
    identity: Identity
    now: datetime

    @property
    def short_pages(self) -> bool:
        """The world's short-pages switch."""
        return self.world.short_pages


Handler = Callable[[RequestContext, dict[str, Any]], dict[str, Any]]
HANDLERS: dict[tuple[str, str], Handler] = {}

# The error each service answers for a request that breaks its model's constraints, from the
# errors each model lists for its operations (STS, CE and CloudTrail use unmodelled generic codes).
VALIDATION_ERRORS: dict[str, tuple[str, int]] = {
    "sts": ("ValidationError", 400),
    "organizations": ("InvalidInputException", 400),
    "guardduty": ("BadRequestException", 400),
    "macie2": ("ValidationException", 400),
    "inspector2": ("ValidationException", 400),
    "cloudtrail": ("InvalidParameterException", 400),
    "ce": ("ValidationException", 400),
    "budgets": ("InvalidParameterException", 400),
}

# Member-specific error codes named by the model (CloudTrail LookupEvents lists these).
MEMBER_ERRORS: dict[tuple[str, str], str] = {
    ("cloudtrail", "MaxResults"): "InvalidMaxResultsException",
    ("cloudtrail", "LookupAttributes"): "InvalidLookupAttributesException",
    ("cloudtrail", "StartTime"): "InvalidTimeRangeException",
    ("cloudtrail", "EndTime"): "InvalidTimeRangeException",
    ("cloudtrail", "EventCategory"): "InvalidEventCategoryException",
    ("cloudtrail", "NextToken"): "InvalidNextTokenException",
}

# The code each service answers for a NextToken it did not issue for this query.
INVALID_TOKEN_ERRORS: dict[str, str] = {
    "organizations": "InvalidInputException",
    "guardduty": "BadRequestException",
    "macie2": "ValidationException",
    "inspector2": "ValidationException",
    "cloudtrail": "InvalidNextTokenException",
    "ce": "InvalidNextTokenException",
    "budgets": "InvalidNextTokenException",
}


def operation(service: str, name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `service`'s operation `name`."""

    def register(func: Handler) -> Handler:
        HANDLERS[(service, name)] = func
        return func

    return register


def validation_error(service: str, message: str, member: str | None = None) -> AwsError:
    """The error `service` answers for an invalid request (member-specific where modelled)."""
    code, status = VALIDATION_ERRORS[service]
    code = MEMBER_ERRORS.get((service, member or ""), code)
    fields = {"Reason": "INVALID_INPUT"} if code == "InvalidInputException" else {}
    return AwsError(code, message, status, fields=fields)


def invalid_token(service: str) -> AwsError:
    """The error `service` answers for a NextToken it did not issue for this query."""
    code = INVALID_TOKEN_ERRORS[service]
    fields = {"Reason": "INVALID_NEXT_TOKEN"} if code == "InvalidInputException" else {}
    return AwsError(code, "The specified pagination token is not valid.", 400, fields=fields)

"""STS: AssumeRole with ExternalId and session limits, and GetCallerIdentity.

https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import AwsError
from ..registry import RequestContext, operation

_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})")
# Role chaining (assuming a role with assumed-role credentials) caps the session at one hour:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining
_CHAINED_MAX = 3600
# DurationSeconds defaults to 3600 (AssumeRole API reference).
_DEFAULT_DURATION = 3600


def _denied(context: RequestContext, role_arn: str) -> AwsError:
    return AwsError(
        "AccessDenied",
        f"User: {context.identity.arn} is not authorized to perform: sts:AssumeRole on "
        f"resource: {role_arn}",
        403,
    )


@operation("sts", "AssumeRole")
def assume_role(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Issue credentials if the role exists and its trust condition on ExternalId holds."""
    role_arn = params["RoleArn"]
    match = _ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise AwsError("ValidationError", f"{role_arn} is invalid", 400)
    role = context.world.roles.get((match.group(1), match.group(2)))
    if role is None:
        raise _denied(context, role_arn)
    external_id = params.get("ExternalId")
    if external_id is None and not role.allow_without_external_id:
        raise _denied(context, role_arn)
    if external_id is not None and role.external_id is not None and external_id != role.external_id:
        raise _denied(context, role_arn)
    duration = params.get("DurationSeconds", _DEFAULT_DURATION)
    limit = _CHAINED_MAX if context.identity.assumed else role.max_session_duration
    if duration > limit:
        raise AwsError(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            400,
        )
    credential = context.world.issue_credentials(role, params["RoleSessionName"], duration)
    return {
        "Credentials": {
            "AccessKeyId": credential.access_key_id,
            "SecretAccessKey": credential.secret_access_key,
            "SessionToken": credential.session_token,
            "Expiration": credential.expiration,
        },
        "AssumedRoleUser": {
            "AssumedRoleId": f"{role.role_id}:{credential.session_name}",
            "Arn": f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/"
            f"{credential.session_name}",
        },
        "PackedPolicySize": 0,
    }


@operation("sts", "GetCallerIdentity")
def get_caller_identity(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Answer who signed the request."""
    identity = context.identity
    return {"UserId": identity.user_id, "Account": identity.account_id, "Arn": identity.arn}

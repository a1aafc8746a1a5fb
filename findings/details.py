"""The parts of a finding's payload an analyst reads that have no column of their own: who acted
(the principal and its access key), through which API and client, on which resource.

GuardDuty's finding body (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_Finding.html):
`Resource.AccessKeyDetails` names the principal, `Service.Action.AwsApiCallAction` the call; Macie's
(`policyDetails.actor.userIdentity`) names who changed a policy. Values are returned as AWS gave
them (the template escapes them).
"""

from __future__ import annotations

from typing import Any

__all__ = ["finding_actor_facts"]

# (label, path in the payload), GuardDuty then Macie; the first few that exist are shown.
_FACTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("User name", ("Resource", "AccessKeyDetails", "UserName")),
    ("User type", ("Resource", "AccessKeyDetails", "UserType")),
    ("Principal id", ("Resource", "AccessKeyDetails", "PrincipalId")),
    ("Access key", ("Resource", "AccessKeyDetails", "AccessKeyId")),
    ("API called", ("Service", "Action", "AwsApiCallAction", "Api")),
    ("Service called", ("Service", "Action", "AwsApiCallAction", "ServiceName")),
    ("Caller type", ("Service", "Action", "AwsApiCallAction", "CallerType")),
    ("User agent", ("Service", "Action", "AwsApiCallAction", "UserAgent")),
    ("Connection", ("Service", "Action", "NetworkConnectionAction", "ConnectionDirection")),
    ("Protocol", ("Service", "Action", "NetworkConnectionAction", "Protocol")),
    ("City", ("Service", "Action", "AwsApiCallAction", "RemoteIpDetails", "City", "CityName")),
    ("Instance type", ("Resource", "InstanceDetails", "InstanceType")),
    ("Image", ("Resource", "InstanceDetails", "ImageId")),
    ("Identity type", ("policyDetails", "actor", "userIdentity", "type")),
    ("Actor IP", ("policyDetails", "actor", "ipAddressDetails", "ipAddressV4")),
)


def _at(payload: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(payload, dict):
            return None
        payload = payload.get(name)
    return payload


def finding_actor_facts(raw: Any) -> list[tuple[str, str]]:
    """(label, value) of who acted and how, from the payload; only what is present and a scalar."""
    facts = []
    for label, path in _FACTS:
        value = _at(raw, path)
        if value not in (None, "") and isinstance(value, str | int | float | bool):
            facts.append((label, str(value)))
    return facts

"""Access to botocore's service models, the emulator's authority for names, types and limits.

One private botocore session is used so no event handler (ours or moto's) runs while loading.
"""

from __future__ import annotations

import functools

import botocore.session
from botocore.model import OperationModel, ServiceModel

# The services the emulator answers; every other service answers UnknownOperationException.
EMULATED_SERVICES = (
    "sts",
    "organizations",
    "guardduty",
    "macie2",
    "inspector2",
    "cloudtrail",
    "ce",
    "budgets",
)


@functools.lru_cache(maxsize=1)
def _session() -> botocore.session.Session:
    return botocore.session.Session()


@functools.lru_cache(maxsize=64)
def service_model(name: str) -> ServiceModel:
    """Return botocore's model for service `name` (e.g. "guardduty")."""
    return _session().get_service_model(name)


def operation_model(service: str, operation: str) -> OperationModel:
    """Return botocore's model for `operation` of `service`."""
    return service_model(service).operation_model(operation)


@functools.lru_cache(maxsize=1)
def signing_names() -> dict[str, str]:
    """Map each emulated service's SigV4 signing name to its botocore service name."""
    return {service_model(name).signing_name: name for name in EMULATED_SERVICES}

"""A finding as an OCSF Detection Finding (class_uid 2004, category Findings), schema 1.3.0.

https://schema.ocsf.io/1.3.0/classes/detection_finding. Times are OCSF timestamps (milliseconds
since the epoch, UTC). The finding's originating AWS service is `metadata.product` (vendor AWS), as
AWS Security Hub maps them; our workflow, which OCSF has no field for, is under `unmapped.watchpost`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from findings.choices import AwsState, FindingSource, FindingStatus, Severity
from findings.models import Finding

__all__ = ["OCSF_VERSION", "finding_ocsf"]

OCSF_VERSION = "1.3.0"
CLASS_UID, CATEGORY_UID = 2004, 2
ACTIVITY_CREATE, ACTIVITY_UPDATE, ACTIVITY_CLOSE = 1, 2, 3
_ACTIVITY_NAMES = {1: "Create", 2: "Update", 3: "Close"}
# OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical.
SEVERITY_ID: dict[str, int] = {
    Severity.INFORMATIONAL: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}
# OCSF finding status_id: 1 New, 2 In Progress, 3 Suppressed, 4 Resolved, 99 Other.
STATUS_ID: dict[str, tuple[int, str]] = {
    FindingStatus.OPEN: (1, "New"),
    FindingStatus.ACKNOWLEDGED: (2, "In Progress"),
    FindingStatus.SUPPRESSED: (3, "Suppressed"),
    FindingStatus.RESOLVED: (4, "Resolved"),
    FindingStatus.FALSE_POSITIVE: (99, "False Positive"),
}
_PRODUCTS = {
    FindingSource.GUARDDUTY: "GuardDuty",
    FindingSource.MACIE: "Macie",
    FindingSource.INSPECTOR: "Inspector",
}


def _ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def _activity(finding: Finding) -> int:
    """Close once neither AWS nor we consider it open; Create until it first changes; else Update."""
    if not finding.is_open:
        return ACTIVITY_CLOSE
    return ACTIVITY_CREATE if finding.updated_at <= finding.created_at else ACTIVITY_UPDATE


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != ""}


def finding_ocsf(finding: Finding) -> dict[str, Any]:
    """The OCSF Detection Finding of `finding` (its account and assignee already loaded)."""
    activity = _activity(finding)
    status_id, status = STATUS_ID.get(finding.status, (99, finding.status))
    account_id = finding.account.account_id
    return {
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": activity,
        "activity_name": _ACTIVITY_NAMES[activity],
        "type_uid": CLASS_UID * 100 + activity,
        "type_name": f"Detection Finding: {_ACTIVITY_NAMES[activity]}",
        "time": _ms(finding.updated_at),
        "severity_id": SEVERITY_ID.get(finding.severity, 0),
        "severity": Severity(finding.severity).label if finding.severity in Severity.values else "",
        "status_id": status_id,
        "status": status,
        "status_detail": f"AWS: {finding.aws_state}",
        "message": finding.title,
        "finding_info": _drop_none(
            {
                "uid": finding.source_id,
                "title": finding.title,
                "desc": finding.description,
                "types": [finding.type],
                "first_seen_time": _ms(finding.first_seen),
                "last_seen_time": _ms(finding.last_seen),
                "created_time": _ms(finding.aws_created_at),
                "modified_time": _ms(finding.aws_updated_at),
                "src_url": finding.console_url,
                "product_uid": finding.source,
            }
        ),
        "cloud": {
            "provider": "AWS",
            "region": finding.region,
            "account": {"uid": account_id, "type": "AWS Account", "type_id": 10},
        },
        "resources": [
            _drop_none(
                {
                    "type": finding.resource_type,
                    "uid": finding.resource_id,
                    "region": finding.region,
                    "cloud_partition": _partition(finding.region),
                    "owner": {"account": {"uid": account_id, "type_id": 10}},
                }
            )
        ]
        if finding.resource_id or finding.resource_type
        else [],
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": _PRODUCTS.get(finding.source, finding.source),
                "vendor_name": "AWS",
            },
            "uid": str(finding.pk),
            "logged_time": _ms(finding.created_at),
            "modified_time": _ms(finding.updated_at),
            "profiles": ["cloud"],
        },
        "unmapped": {
            "watchpost": _drop_none(
                {
                    "id": finding.pk,
                    "status": finding.status,
                    "aws_state": finding.aws_state,
                    "is_open": finding.is_open,
                    "assignee": finding.assignee.get_username() if finding.assignee else None,
                    "ticket_ref": finding.ticket_ref,
                    "category": finding.category,
                    "severity_score": finding.severity_score,
                    "native_severity": finding.native_severity,
                    "gone": finding.aws_state == AwsState.GONE or None,
                }
            )
        },
    }


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"

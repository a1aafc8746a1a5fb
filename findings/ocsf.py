"""A finding as an OCSF Detection Finding (class_uid 2004, category Findings), schema 1.3.0.

https://schema.ocsf.io/1.3.0/classes/detection_finding. Times are OCSF timestamps (milliseconds
since the epoch, UTC). The finding's originating AWS service is `metadata.product` (vendor AWS), as
AWS Security Hub maps them; our workflow itself is kept under `unmapped.watchpost`. Every record
parses with Prowler's OCSF models (py-ocsf-models, checked in the suite).

Status and activity, from our workflow `status` first, then AWS's `aws_state`:

| status                       | aws_state                 | status_id (status) | activity_id   |
|------------------------------|---------------------------|--------------------|---------------|
| open                         | active                    | 1 New              | 1 Create / 2 Update |
| acknowledged                 | active                    | 2 In Progress      | 2 Update      |
| resolved                     | any                       | 4 Resolved         | 3 Close       |
| suppressed, false_positive, accepted | any               | 3 Suppressed       | 3 Close       |
| open, acknowledged           | archived, suppressed      | 3 Suppressed       | 3 Close       |
| open, acknowledged           | closed, gone              | 4 Resolved         | 3 Close       |

So activity Close always pairs with a closed status (Suppressed or Resolved), and a record is
closed exactly when the finding is not open (aws_state active and status open or acknowledged).
AWS archives a GuardDuty or Macie finding when someone (or a suppression rule) dismisses it:
Suppressed; Inspector closes a finding once it is remediated, and a finding AWS stopped returning is
over: Resolved. OCSF's "false positive" is a kind of Suppressed ("reviewed, determined to be benign
or a false positive"), and so is an accepted risk; `status_detail` keeps both of our words.
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
# OCSF 1.3 finding status_id: 1 New, 2 In Progress, 3 Suppressed, 4 Resolved.
STATUS_NEW, STATUS_IN_PROGRESS, STATUS_SUPPRESSED, STATUS_RESOLVED = 1, 2, 3, 4
STATUS_NAMES = {1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved"}
# Our workflow's closing statuses, then AWS's, as OCSF statuses (the table above).
CLOSED_BY_STATUS: dict[str, int] = {
    FindingStatus.RESOLVED: STATUS_RESOLVED,
    FindingStatus.SUPPRESSED: STATUS_SUPPRESSED,
    FindingStatus.FALSE_POSITIVE: STATUS_SUPPRESSED,
    FindingStatus.ACCEPTED: STATUS_SUPPRESSED,  # an accepted risk: reviewed, left as it is
}
CLOSED_BY_AWS_STATE: dict[str, int] = {
    AwsState.ARCHIVED: STATUS_SUPPRESSED,
    AwsState.SUPPRESSED: STATUS_SUPPRESSED,
    AwsState.CLOSED: STATUS_RESOLVED,
    AwsState.GONE: STATUS_RESOLVED,
}
# OCSF account type_id 10: AWS Account.
AWS_ACCOUNT_TYPE_ID = 10
# OCSF user type_id 99: Other (the owner of a resource is the AWS account itself).
OWNER_TYPE_ID = 99
_PRODUCTS = {
    FindingSource.GUARDDUTY: "GuardDuty",
    FindingSource.MACIE: "Macie",
    FindingSource.INSPECTOR: "Inspector",
}


def _ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def ocsf_status_activity(*, status: str, aws_state: str, changed: bool) -> tuple[int, int]:
    """(status_id, activity_id) of a finding, as the module's table says: Close exactly when the
    status is a closed one; Create while New and unchanged since stored, else Update."""
    status_id = CLOSED_BY_STATUS.get(status)
    if status_id is None:
        status_id = CLOSED_BY_AWS_STATE.get(aws_state)
    if status_id is None:
        status_id = STATUS_IN_PROGRESS if status == FindingStatus.ACKNOWLEDGED else STATUS_NEW
    if status_id in (STATUS_SUPPRESSED, STATUS_RESOLVED):
        return status_id, ACTIVITY_CLOSE
    created = status_id == STATUS_NEW and not changed
    return status_id, ACTIVITY_CREATE if created else ACTIVITY_UPDATE


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != ""}


def finding_ocsf(finding: Finding) -> dict[str, Any]:
    """The OCSF Detection Finding of `finding` (its account and assignee already loaded)."""
    status_id, activity = ocsf_status_activity(
        status=finding.status,
        aws_state=finding.aws_state,
        changed=finding.updated_at > finding.created_at,
    )
    account = _account(finding)
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
        "status": STATUS_NAMES[status_id],
        "status_detail": f"Watchpost: {finding.status}; AWS: {finding.aws_state}",
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
        "cloud": {"provider": "AWS", "region": finding.region, "account": account},
        "resources": [
            _drop_none(
                {
                    "type": finding.resource_type,
                    "uid": finding.resource_id,
                    "region": finding.region,
                    "cloud_partition": _partition(finding.region),
                    "owner": {
                        "uid": account["uid"],
                        "name": account["name"],
                        "type": "AWS Account",
                        "type_id": OWNER_TYPE_ID,
                        "account": account,
                    },
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


def _account(finding: Finding) -> dict[str, Any]:
    """OCSF's account object of the finding's member account: its id always, its name (the id when
    it has none, since consumers require a name)."""
    member = finding.account
    return {
        "uid": member.account_id,
        "name": member.name or member.account_id,
        "type": "AWS Account",
        "type_id": AWS_ACCOUNT_TYPE_ID,
    }


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"

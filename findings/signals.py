"""Signals the findings app sends, for apps that react to changes (webhooks) without being imported.

`finding_changed` is sent once per kind after the transaction that wrote the findings commits, with
`kind` one of FindingChange's values and `finding_ids` the findings concerned. Findings never import
a listener; listeners import this module.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from django.db import models, transaction
from django.dispatch import Signal

__all__ = ["FindingChange", "finding_change_of_aws", "finding_changed", "finding_changes_announce"]

finding_changed = Signal()  # kwargs: kind (str), finding_ids (list[int])


class FindingChange(models.TextChoices):
    """What happened to a finding, as listeners (webhooks) name it: one per finding and write."""

    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    REOPENED = "reopened", "Reopened"
    RESOLVED = "resolved", "Resolved"


def finding_changes_announce(changes: Mapping[int, str]) -> None:
    """Send `finding_changed` for {finding id: kind} once the current transaction commits.

    Nothing is sent if it rolls back; outside a transaction it is sent at once.
    """
    if not changes:
        return
    by_kind: dict[str, list[int]] = defaultdict(list)
    for pk, kind in changes.items():
        by_kind[kind].append(pk)

    def send() -> None:
        from findings.models import Finding

        for kind, pks in by_kind.items():
            finding_changed.send(sender=Finding, kind=kind, finding_ids=sorted(pks))

    # robust: a listener that fails is logged, never fails the write that announced it.
    transaction.on_commit(send, robust=True)


def finding_change_of_aws(changes: Mapping[str, list]) -> str:
    """The kind of a collect's change from its [before, after] fields: AWS no longer says active
    (archived, closed, gone) is `resolved`, active again is `reopened`, anything else `updated`."""
    state = changes.get("aws_state")
    if state is None:
        return FindingChange.UPDATED
    if state[0] == "active":
        return FindingChange.RESOLVED
    return FindingChange.REOPENED if state[1] == "active" else FindingChange.UPDATED

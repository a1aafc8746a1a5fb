"""Celery tasks of the accounts app: collection fan-out, one target, organisation discovery.

Tasks take ids and strings, call one service, and are safe to run twice: a collection re-run finds
nothing new, and the per-target lock keeps two runs of one target from overlapping.
"""

from __future__ import annotations

from celery import shared_task

from accounts.aws import AwsGateway
from accounts.collection import (
    Target,
    account_refresh_last_check,
    collection_run_target,
    collection_start,
    collection_targets,
    payer_resolve,
)
from accounts.models import AwsAccount
from accounts.onboarding import hub_principal_learn
from accounts.organizations import (
    account_check,
    organization_discover,
    organization_find_management,
)
from accounts.ous import organization_ou_sync
from accounts.runs import runs_sweep


@shared_task(name="accounts.collect_target", acks_late=True)
def collect_target_task(
    account_pk: int,
    region: str,
    source: str,
    full: bool = False,
    payer_note: str = "",
    via_admin: bool = False,
) -> str:
    """Collect one (account, region, source); returns the outcome ("gone" if the account is)."""
    account = AwsAccount.objects.filter(
        pk=account_pk, enabled=True, retired_at__isnull=True
    ).first()
    if account is None:
        return "gone"
    gateway = AwsGateway(session_name="watchpost-collect")
    target = Target(account, region, source, via_admin=via_admin)
    run = collection_run_target(target=target, gateway=gateway, full=full, payer_note=payer_note)
    account_refresh_last_check(account=account)
    return run.outcome


@shared_task(name="accounts.collect_source")
def collect_source_task(source: str) -> int:
    """Queue one collection per enabled account and region of `source`; returns how many. For the
    payer-only source (costs) the payer is found first if nobody is flagged. Runs left without an
    outcome by a process that died are recorded `interrupted` first, then the start hooks run
    (accounts.collection.collection_start)."""
    runs_sweep()
    collection_start()
    accounts = list(AwsAccount.objects.filter(enabled=True, retired_at__isnull=True))
    targets = collection_targets(accounts=accounts, sources=[source])
    gateway = AwsGateway(session_name="watchpost-collect")
    if targets:
        hub_principal_learn(gateway=gateway, learned_by="collect")
    note = payer_resolve(targets=targets, gateway=gateway, accounts=accounts)
    for target in targets:
        collect_target_task.delay(
            target.account.pk,
            target.region,
            target.source,
            payer_note=note,
            via_admin=target.via_admin,
        )
    return len(targets)


@shared_task(name="accounts.sweep_runs")
def sweep_runs_task() -> int:
    """Record `interrupted` every run whose process died or passed its time limit, releasing its
    lock (accounts.runs); returns how many."""
    return len(runs_sweep())


@shared_task(name="accounts.discover_organization")
def discover_organization_task() -> int:
    """Discover the organisation's accounts and check the new ones; returns how many were added."""
    management = organization_find_management()
    if management is None:
        return 0
    result = organization_discover(management=management)
    for account in result.added:
        account_check(account=account, enable_on_success=True)
    organization_ou_sync(management=management)
    return len(result.added)

"""Reports cached until their data changes: the Inspector report and the Macie page.

Both are SQL aggregates over every open finding of a source (hundreds of thousands in a large
organisation), and their data changes when a collection runs (hourly for Inspector) or someone
triages: in between, every view would count the same rows again. The cache key holds the person's
scope, the filters and the data's version (the source's latest `updated_at`, latest collection run
and latest coverage row), so any change of the data, of the person's accounts or of the filters
gives a new key: a view never shows stale numbers, only numbers computed a moment ago.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.cache import cache
from django.db.models import Max

from accounts.models import CollectionRun
from accounts.selectors import account_scope_for_user
from findings.models import Finding, InspectorCoverage
from findings.selectors import User

__all__ = ["report_cached"]

T = TypeVar("T")
TIMEOUT = 3600


def _version(source: str) -> list[str]:
    """What changes when the source's data does (three index lookups)."""
    changed = Finding.objects.filter(source=source).aggregate(at=Max("updated_at"))["at"]
    run = CollectionRun.objects.filter(source=source).aggregate(last=Max("id"))["last"]
    coverage = (
        InspectorCoverage.objects.aggregate(last=Max("id"))["last"] if source == "inspector" else 0
    )
    return [changed.isoformat() if changed else "", str(run or 0), str(coverage or 0)]


def report_cached(
    *, name: str, source: str, user: User, filters: Mapping[str, Any], compute: Callable[[], T]
) -> T:
    """`compute()`, or what it answered for the same person's scope, filters and data version."""
    getlist = getattr(filters, "getlist", None)
    query = {k: (getlist(k) if getlist else filters[k]) for k in sorted(filters)}
    parts = [name, account_scope_for_user(user=user), query, _version(source)]
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
    key = f"watchpost:report:{name}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value

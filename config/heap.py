"""The server process's long-lived heap, frozen out of the garbage collector's way.

A Watchpost process holds about 180,000 long-lived objects once its URLs, views, Plotly and
templates are loaded. CPython's full (generation 2) collection walks all of them: about 90 ms on
the development machines, and it falls on whichever request happens to cross the threshold,
every dozen requests or so. `gc.freeze()` moves every object alive at that moment into a
permanent generation the collector never walks (the Python documentation's advice for servers;
it also keeps forked workers' pages shared). Collections then see only what requests make.

The first requests make long-lived objects too: what is imported or compiled on first use (DRF's
and drf-spectacular's machinery, the API lists' compiled encoders and queries, template loaders,
URL reversal caches): about 25,000 more after a few hundred requests, and a full collection of
them took 4 to 14 ms of a request, once every hundred or so requests (measured at 1,000,000
findings). `freeze_after_requests()` collects and freezes again after the 100th, 1,000th and
10,000th request a process serves, between two requests: the same advice, applied once the
worker has warmed up. Only what is alive then is frozen (a collection runs first); what a later
request makes is collected as before. The request being finished is alive then too: its objects,
three requests' worth a worker, are never freed if they hold reference cycles (a bounded cost).

config.wsgi calls both once the application is loaded (each gunicorn worker loads it); so does
bench/reads.py, whose in-process figures stand for a server worker.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import Any

from django.core.signals import request_finished

__all__ = ["AFTER_REQUESTS", "freeze_after_requests", "freeze_startup_heap"]

AFTER_REQUESTS: tuple[int, ...] = (100, 1_000, 10_000)


def freeze_startup_heap() -> int:
    """Load what the first request would (every URL's view, and with them Plotly), collect what
    start-up left as garbage, then freeze the rest; returns how many objects are frozen."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module (and Plotly)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class _FreezeAfterRequests:
    """The request_finished receiver: counts requests, freezes the heap at each threshold, and
    disconnects itself after the last."""

    def __init__(self, after: Sequence[int]) -> None:
        self.pending = sorted(after)
        self.served = 0

    def __call__(self, **kwargs: Any) -> None:
        self.served += 1
        if self.served < self.pending[0]:
            return
        self.pending.pop(0)
        if not self.pending:
            request_finished.disconnect(self)
        gc.collect()
        gc.freeze()


def freeze_after_requests(after: Sequence[int] = AFTER_REQUESTS) -> _FreezeAfterRequests:
    """Collect and freeze the heap again once this process has served each of `after` requests
    (counted by Django's request_finished); returns the receiver (held strongly by the signal
    until its last threshold)."""
    receiver = _FreezeAfterRequests(after)
    if receiver.pending:  # no thresholds: nothing to count
        request_finished.connect(receiver, weak=False)
    return receiver

"""The server process's start-up heap, frozen out of the garbage collector's way.

A Watchpost process holds about 180,000 long-lived objects once its URLs, views, Plotly and
templates are loaded. CPython's full (generation 2) collection walks all of them: about 90 ms on
the development machines, and it falls on whichever request happens to cross the threshold,
every dozen requests or so. `gc.freeze()` moves every object alive at that moment into a
permanent generation the collector never walks (the Python documentation's advice for servers;
it also keeps forked workers' pages shared). Collections then see only what requests make.

It then raises the youngest generation's threshold from CPython's 700 to YOUNG_THRESHOLD. A page
of 500 findings keeps some 1,500 containers alive while it is read and encoded (its rows and
their dicts, of 50 values each); at 700 a request went through two young collections and, one
request in five, a middle one that walked them all again: about 1.4 ms of a 15 ms request, three
microseconds a finding. At 10,000 a collection comes every few such requests and the middle ones
almost never (about 0.7 ms a request on average, measured on the development machine); what a
request leaves as garbage is still collected, a little later.

config.wsgi calls `freeze_startup_heap()` once the application is loaded (each gunicorn worker
loads it); so does bench/reads.py, whose in-process figures stand for a server worker.
"""

from __future__ import annotations

import gc

__all__ = ["YOUNG_THRESHOLD", "freeze_startup_heap"]

YOUNG_THRESHOLD = 10_000


def freeze_startup_heap() -> int:
    """Load what the first request would (every URL's view, and with them Plotly), collect what
    start-up left as garbage, then freeze the rest and raise the young generation's threshold
    to YOUNG_THRESHOLD (never lower it); returns how many objects are frozen."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module (and Plotly)
    gc.collect()
    gc.freeze()
    young, *older = gc.get_threshold()
    if young and young < YOUNG_THRESHOLD:  # 0: collection disabled by the operator, kept so
        gc.set_threshold(YOUNG_THRESHOLD, *older)
    return gc.get_freeze_count()

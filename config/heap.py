"""The server process's start-up heap, frozen out of the garbage collector's way.

A Watchpost process holds about 180,000 long-lived objects once its URLs, views, Plotly and
templates are loaded. CPython's full (generation 2) collection walks all of them: about 90 ms on
the development machines, and it falls on whichever request happens to cross the threshold,
every dozen requests or so. `gc.freeze()` moves every object alive at that moment into a
permanent generation the collector never walks (the Python documentation's advice for servers;
it also keeps forked workers' pages shared). Collections then see only what requests make.

config.wsgi calls `freeze_startup_heap()` once the application is loaded (each gunicorn worker
loads it); so does bench/reads.py, whose in-process figures stand for a server worker.
"""

from __future__ import annotations

import gc

__all__ = ["freeze_startup_heap"]


def freeze_startup_heap() -> int:
    """Load what the first request would (every URL's view, and with them Plotly), collect what
    start-up left as garbage, then freeze the rest; returns how many objects are frozen."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module (and Plotly)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()

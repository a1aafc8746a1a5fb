"""The Celery app and its one beat schedule.

With REDIS_URL set, tasks go to Redis and run on workers (`celery -A config worker`, `celery -A config
beat`); without it they run in-process (CELERY_TASK_ALWAYS_EAGER), so the demo needs no broker.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from accounts.schedule import ORGANIZATION_DISCOVERY_MINUTES

app = Celery("watchpost")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _schedule_sources(sender: Celery, **kwargs: object) -> None:
    """One entry per declared source (accounts.source_registry): a fan-out task that queues one
    collection per target. The declarations are read from the installed apps, so only once the
    settings are loaded (https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html#beat-entries)."""
    from accounts.schedule import source_interval_minutes

    for source, minutes in source_interval_minutes().items():
        sender.conf.beat_schedule[f"collect-{source}"] = {
            "task": "accounts.collect_source",
            "schedule": minutes * 60.0,
            "args": (source,),
            # A fan-out older than its interval is superseded by the next one.
            "options": {"expires": minutes * 60.0},
        }


app.conf.beat_schedule = {
    "discover-organization": {
        "task": "accounts.discover_organization",
        "schedule": ORGANIZATION_DISCOVERY_MINUTES * 60.0,
    },
    # Runs whose worker died are recorded `interrupted` and their locks released (accounts.runs).
    "sweep-runs": {"task": "accounts.sweep_runs", "schedule": 5 * 60.0},
}
# Each sync snapshots its account's open counts; this covers the days without a sync.
# Deliveries whose task was lost (broker down when they were made) are queued again.
app.conf.beat_schedule["webhooks-deliver-pending"] = {
    "task": "webhooks.deliver_pending",
    "schedule": 5 * 60.0,
}
app.conf.beat_schedule["findings-snapshot-history"] = {
    "task": "findings.snapshot_history",
    "schedule": crontab(hour=23, minute=50),
}
# The managers' weekly digest, Monday morning (UTC); each person's is sent once a week at most.
app.conf.beat_schedule["reports-weekly-digest"] = {
    "task": "reports.send_weekly_digests",
    "schedule": crontab(day_of_week=1, hour=7, minute=0),
}
# Risk acceptances past their expiry reopen their findings (also at the start of every collect).
app.conf.beat_schedule["findings-expire-risk-acceptances"] = {
    "task": "findings.expire_risk_acceptances",
    "schedule": crontab(minute=5),
}

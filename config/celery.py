"""The Celery app and its one beat schedule.

With REDIS_URL set, tasks go to Redis and run on workers (`celery -A config worker`, `celery -A config
beat`); without it they run in-process (CELERY_TASK_ALWAYS_EAGER), so the demo needs no broker.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("watchpost")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html#beat-entries
app.conf.beat_schedule = {}

"""WSGI entry point (gunicorn config.wsgi).

Refuses to start when a start-up check fails (config.checks: e.g. DJANGO_DEBUG off and
`collectstatic` never run), so the error shows in the server's log at boot, not as a 500 per page.
"""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.checks import startup_errors  # noqa: E402  (needs the apps loaded above)

if errors := startup_errors():
    raise ImproperlyConfigured(
        "Watchpost refuses to start: " + " ".join(f"{e.msg} {e.hint} ({e.id})" for e in errors)
    )

from config.heap import freeze_after_requests, freeze_startup_heap  # noqa: E402

freeze_startup_heap()  # no 90 ms full collection of the start-up heap in a request (config.heap)
freeze_after_requests()  # nor of what the first requests leave behind

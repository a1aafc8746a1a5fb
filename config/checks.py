"""System checks of Watchpost's own: what must hold before the app serves a page.

Registered by config.apps.WatchpostConfig. `manage.py check --deploy` runs them; config.wsgi runs
them again at start-up (gunicorn, runserver) and refuses to start on an error, so a release that
forgot `collectstatic` fails at once with a message instead of answering 500 on every page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.files.storage import storages


# deploy=True: collectstatic and migrate run the ordinary checks, and must work before the
# manifest exists (https://docs.djangoproject.com/en/5.2/topics/checks/#writing-your-own-checks).
@register(Tags.staticfiles, deploy=True)
def static_manifest_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """With DEBUG off and a manifest storage (WhiteNoise's CompressedManifestStaticFilesStorage),
    the manifest written by `collectstatic` must exist: without it every `{% static %}` raises."""
    if settings.DEBUG:
        return []
    backend = storages["staticfiles"]
    if not isinstance(backend, ManifestFilesMixin):
        return []
    if backend.manifest_storage.exists(backend.manifest_name):
        return []
    path = backend.manifest_storage.path(backend.manifest_name)
    return [
        Error(
            f"The static files manifest {path} is missing, and DJANGO_DEBUG is off: every page "
            "would answer 500.",
            hint="Run `python manage.py collectstatic --noinput` on each release, before starting "
            "the app (STATIC_ROOT is where it writes).",
            id="watchpost.E001",
        )
    ]


def startup_errors() -> list[CheckMessage]:
    """Errors of Watchpost's start-up checks (what config.wsgi refuses to start with)."""
    return [m for m in static_manifest_check() if m.is_serious()]


@register()
def hub_principal_setting_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """WATCHPOST_HUB_PRINCIPAL_ARN, when set, must be an identity a trust policy can name."""
    from accounts.onboarding import hub_trust_of

    value = settings.WATCHPOST_HUB_PRINCIPAL_ARN
    if not value:
        return []
    try:
        hub_trust_of(value)
    except ValueError as exc:
        return [
            Error(
                f"WATCHPOST_HUB_PRINCIPAL_ARN: {exc}.",
                hint="Give the ARN of the IAM user or role Watchpost's credentials run as "
                "(arn:aws:iam::123456789012:role/Name), or unset it to learn it from STS.",
                id="watchpost.E002",
            )
        ]
    return []

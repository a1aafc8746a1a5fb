"""Settings come from the environment only; production refuses to start without a secret key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "k" * 20 + "Zq8!vN3#pL0@xR7$wT2^yU5&mB9*cD4(eF6)gH1-jK",
    "DJANGO_ALLOWED_HOSTS": "watchpost.example.com",
    "DJANGO_SECURE_SSL_REDIRECT": "1",
    "DJANGO_SECURE_HSTS_PRELOAD": "1",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    ours = ("DJANGO_", "DATABASE_URL", "REDIS_URL")
    base = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    base["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_a_secret_key_and_debug_off_the_app_refuses_to_start() -> None:
    result = manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_on_starts_without_a_secret_key() -> None:
    result = manage("check", DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_check_deploy_has_no_warning_with_production_settings() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secure_ssl_redirect_is_off_unless_set() -> None:
    code = "from django.conf import settings; print(settings.SECURE_SSL_REDIRECT)"
    env = {**PRODUCTION_ENV, "DJANGO_SECURE_SSL_REDIRECT": ""}
    env.pop("DJANGO_SECURE_SSL_REDIRECT")
    result = manage("shell", "-c", code, **env)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_database_url_selects_the_database() -> None:
    code = "from django.conf import settings; d=settings.DATABASES['default']; print(d['ENGINE'], d['NAME'])"
    result = manage(
        "shell", "-c", code, DATABASE_URL="postgres://u:p@db.example:5432/wp", **PRODUCTION_ENV
    )
    assert result.stdout.strip().splitlines()[-1] == "django.db.backends.postgresql wp", (
        result.stderr
    )
    result = manage("shell", "-c", code, DJANGO_DEBUG="1")
    assert result.stdout.strip().splitlines()[-1].startswith("django.db.backends.sqlite3"), (
        result.stderr
    )

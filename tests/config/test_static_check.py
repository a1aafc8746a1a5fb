"""Production mode without `collectstatic` fails at start-up with a clear message, never with a
500 on every page."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.config.test_settings import PRODUCTION_ENV, ROOT


def run_python(
    script: str, *, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    """`script` in a fresh Python process of the project (a server worker's start, unshared)."""
    return subprocess.run(
        [sys.executable, "-c", script],
        env=os.environ.copy() if env is None else env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture
def production_static(settings: Any, tmp_path: Path) -> Path:
    """DEBUG off, the manifest storage, and an empty STATIC_ROOT (collectstatic never ran)."""
    settings.DEBUG = False
    settings.STORAGES = MANIFEST_STORAGE
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    return settings.STATIC_ROOT


def test_check_deploy_fails_naming_collectstatic_when_the_manifest_is_missing(
    production_static: Path,
) -> None:
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--deploy")
    message = str(raised.value)
    assert "watchpost.E001" in message
    assert "collectstatic" in message
    assert str(production_static / "staticfiles.json") in message


def test_check_passes_once_the_manifest_exists(production_static: Path) -> None:
    production_static.mkdir()
    (production_static / "staticfiles.json").write_text(json.dumps({"paths": {}, "version": "1.1"}))
    call_command("check", "--deploy", "--tag", "staticfiles")


def test_debug_needs_no_manifest(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = True
    settings.STATIC_ROOT = tmp_path / "nothing-here"
    call_command("check", "--deploy", "--tag", "staticfiles")


def test_the_wsgi_application_refuses_to_start_without_the_manifest(
    production_static: Path,
) -> None:
    sys.modules.pop("config.wsgi", None)
    with pytest.raises(ImproperlyConfigured, match="collectstatic"):
        importlib.import_module("config.wsgi")


def test_gunicorns_import_of_the_wsgi_module_fails_with_the_message(tmp_path: Path) -> None:
    """What gunicorn does at boot (import config.wsgi), in a fresh process with production settings
    and a STATIC_ROOT that collectstatic never filled."""
    ours = ("DJANGO_", "DATABASE_URL", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    (tmp_path / "never_collected.py").write_text(
        f"from config.settings import *\nSTATIC_ROOT = {str(tmp_path / 'empty')!r}\n"
    )
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="never_collected")
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    result = run_python("import config.wsgi", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "collectstatic" in result.stderr


def test_the_wsgi_application_freezes_its_start_up_heap() -> None:
    """config.heap: a server worker loads every view (Plotly with them) and freezes what it holds,
    so no request pays a full collection of the start-up heap."""
    script = (
        "import gc, sys; import config.wsgi; "
        "print(gc.get_freeze_count(), 'plotly' in sys.modules, 'findings.views' in sys.modules)"
    )
    result = run_python(script)
    assert result.returncode == 0, result.stderr
    frozen, plotly, views = result.stdout.split()
    assert int(frozen) > 50_000 and plotly == views == "True"


def test_the_wsgi_application_freezes_again_once_warmed_up() -> None:
    """config.heap.freeze_after_requests: what a worker's first requests leave alive (lazy
    imports, compiled queries, caches) is frozen after its 100th and 1,000th requests, between
    requests, and not in between: full collections then walk only what requests make."""
    script = "\n".join(
        [
            "import gc, config.wsgi",
            "from django.test import Client",
            "client, seen = Client(), {}",
            "for served in range(1, 1001):",
            "    assert client.get('/').status_code == 302",  # to the login page: no database
            "    if served in (1, 99, 100, 999, 1000):",
            "        seen[served] = gc.get_freeze_count()",
            "print(*seen.values())",
        ]
    )
    result = run_python(script, timeout=300)
    assert result.returncode == 0, result.stderr
    first, before_100, at_100, before_1000, at_1000 = map(int, result.stdout.split())
    # Frozen objects can still die (the count then drops by them); only a freeze adds many.
    assert before_100 <= first and at_100 > before_100 + 1_000
    assert before_1000 <= at_100 and at_1000 > before_1000


def test_the_warm_up_freeze_stops_after_its_last_threshold() -> None:
    import gc

    from django.core.signals import request_finished

    from config.heap import freeze_after_requests

    gc.unfreeze()
    receiver = freeze_after_requests((2, 3))
    try:
        request_finished.send(sender=None)
        assert gc.get_freeze_count() == 0 and receiver.served == 1
        request_finished.send(sender=None)
        assert gc.get_freeze_count() > 1_000 and receiver.pending == [3]
        request_finished.send(sender=None)
        request_finished.send(sender=None)
        assert receiver.pending == [] and receiver.served == 3  # disconnected after the 3rd
        assert not request_finished.disconnect(receiver)
        assert not request_finished.disconnect(freeze_after_requests(()))  # none: not connected
    finally:
        request_finished.disconnect(receiver)
        gc.unfreeze()  # the test process keeps no frozen heap of its own

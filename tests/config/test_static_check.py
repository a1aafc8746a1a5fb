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
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
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
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=os.environ.copy(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    frozen, plotly, views = result.stdout.split()
    assert int(frozen) > 50_000 and plotly == views == "True"

"""Apps depend one way: findings, principals, costs and webhooks use accounts and core; accounts
never imports them; core imports no app of ours (docs/architecture.md, Layout)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"accounts", "core", "findings", "principals", "costs", "webhooks", "reports", "config"}
ALLOWED = {
    "core": set(),
    "accounts": {"core"},
    "findings": {"accounts", "core"},
    "principals": {"accounts", "core", "findings"},
    "costs": {"accounts", "core", "findings"},  # an anomaly's findings, read lazily
    "webhooks": {"accounts", "core", "findings", "costs"},
    "reports": {"accounts", "core", "findings", "costs"},  # reads both through their selectors
}


def imported_apps(app: str) -> dict[str, set[str]]:
    """Our top-level packages each module of `app` imports (migrations apart)."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in OURS and top != app:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_an_app_imports_only_the_apps_below_it(app):
    wrong = {k: v for k, v in imported_apps(app).items() if k not in ALLOWED[app]}
    assert wrong == {}

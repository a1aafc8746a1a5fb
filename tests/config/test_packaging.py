"""pyproject.toml lists every package of the product explicitly (CONTRACT.md), and no test tool."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "core", "accounts", "findings", "costs", "webhooks")


def test_every_product_package_is_listed_in_pyproject() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for app in APPS
        for init in (ROOT / app).rglob("__init__.py")
    }
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - on_disk == set(), "these listed packages do not exist"


def test_the_emulator_is_not_shipped_with_the_product() -> None:
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    assert not any(p.startswith(("aws_emulator", "tests")) for p in listed)


def test_production_code_never_imports_the_emulator() -> None:
    importing = re.compile(r"^\s*(from|import)\s+aws_emulator", re.MULTILINE)
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            assert not importing.search(path.read_text()), path

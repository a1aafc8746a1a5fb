"""pyproject.toml names the product's top-level packages (CONTRACT), setuptools finds every
subpackage, and the wheel installs into a fresh virtual environment without the emulator or tests."""

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "accounts", "core", "findings", "principals", "costs", "webhooks", "reports")


def on_disk() -> set[str]:
    return {
        ".".join(init.parent.relative_to(ROOT).parts)
        for app in APPS
        for init in (ROOT / app).rglob("__init__.py")
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The product's wheel, built as pip builds it (no dependencies)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("watchpost-*.whl"))


def packages_in(wheel: Path) -> set[str]:
    names = zipfile.ZipFile(wheel).namelist()
    return {".".join(Path(n).parent.parts) for n in names if n.endswith("/__init__.py")}


def test_pyproject_names_every_top_level_package_and_no_subpackage() -> None:
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    assert sorted(find["find"]["include"]) == sorted(f"{app}*" for app in APPS)


def test_every_product_package_is_in_the_wheel(wheel: Path) -> None:
    assert packages_in(wheel) == on_disk()


def test_the_emulator_is_not_shipped_with_the_product(wheel: Path) -> None:
    assert not any(p.startswith(("aws_emulator", "tests")) for p in packages_in(wheel))


def test_the_wheel_installs_into_a_fresh_virtual_environment(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    missing = [p for p in on_disk() if not (Path(purelib, *p.split("."), "__init__.py")).is_file()]
    assert missing == []
    assert not Path(purelib, "aws_emulator").exists() and not Path(purelib, "tests").exists()


def test_production_code_never_imports_the_emulator() -> None:
    importing = re.compile(r"^\s*(from|import)\s+aws_emulator", re.MULTILINE)
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            assert not importing.search(path.read_text()), path

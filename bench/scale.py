"""Bench at scale: every figure of the performance targets with its same-run baseline, one table.

Run on PostgreSQL (SQLite's planner and writer tell nothing about production), in a database of
its own: the bench empties the findings tables it uses.

    createdb -h 127.0.0.1 -U postgres watchpost_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/watchpost_bench DJANGO_SECRET_KEY=x \\
        .venv/bin/python bench/scale.py [--n 1000000] [--sections ingest,reads]

Each section is a module of bench/ with `run(n) -> list[dict]`, each dict one row: what, measured,
baseline, ratio, target, ok. The table is printed in markdown with the date, the machine and N.
Exit status 1 when a target is missed (the table says which), 0 otherwise.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The bench talks to the app through Django's test client and a local gunicorn.
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

SECTIONS = ("ingest", "reads")


def setup() -> None:
    """Django, on PostgreSQL only, migrated."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/scale.py runs on PostgreSQL only: set DATABASE_URL (see its docstring).")
    call_command("migrate", verbosity=0)


def machine() -> str:
    """CPU model and cores, from /proc/cpuinfo where there is one."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def load() -> str:
    """The 1-minute load average (how busy the machine was), where the system tells it."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def table(rows: list[dict[str, Any]], n: int, notes: list[str], load_start: str = "?") -> str:
    """The markdown table of every row, headed by date, machine, load and N."""
    from django.db import connection

    lines = [
        f"Bench at N = {n:,} findings, {datetime.date.today().isoformat()}, {machine()}, "
        f"PostgreSQL {connection.pg_version // 10000}, Python {platform.python_version()}, "
        f"load average {load_start} at start, {load()} at end",
        "",
        "| What | Measured | Same-run baseline | Ratio | Target | Met |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = "" if row.get("ratio") is None else f"{row['ratio']:.2f}x"
        met = "yes" if row["ok"] else "**no**"
        lines.append(
            f"| {row['what']} | {row['measured']} | {row.get('baseline', '')} | {ratio} "
            f"| {row['target']} | {met} |"
        )
    lines += [f"\n{note}" for note in notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="findings (and events) to make")
    parser.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated")
    args = parser.parse_args(argv)
    setup()
    load_start = load()
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for name in [s.strip() for s in args.sections.split(",") if s.strip()]:
        if name not in SECTIONS:
            parser.error(f"--sections: unknown section {name!r} (known: {', '.join(SECTIONS)})")
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{name}":
                raise
            notes.append(f"Section {name} skipped: bench/{name}.py is not in this checkout.")
            continue
        print(f"running section {name} at N = {args.n:,} ...", file=sys.stderr, flush=True)
        rows += module.run(args.n)
    print(table(rows, args.n, notes, load_start))
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Load the JSON templates in aws_emulator/data and move their timestamps to the world's now."""

from __future__ import annotations

import copy
import functools
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROLE_NAME = "WatchpostReadOnly"
EXTERNAL_ID = "watchpost-demo-external-id"
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# The instant the templates treat as "now" (sample data was written on this day).
ANCHOR = datetime(2024, 5, 14, 12, 0, tzinfo=UTC)
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d{1,6})?Z$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@functools.lru_cache(maxsize=16)
def _raw(name: str) -> str:
    return (DATA_DIR / name).read_text(encoding="utf-8")


def load(name: str) -> Any:
    """A fresh copy of data file `name` (e.g. "guardduty_get_findings.json")."""
    return json.loads(_raw(name))


def shift(value: Any, delta: timedelta) -> Any:
    """Move every ISO timestamp (and YYYY-MM-DD date) in `value` by `delta`, keeping formats."""
    if isinstance(value, dict):
        return {k: shift(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [shift(v, delta) for v in value]
    if isinstance(value, str):
        match = _ISO.match(value)
        if match:
            moment = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}+00:00") + delta
            fraction = match.group(3) or ""
            return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"
        if _DAY.match(value):
            return (datetime.fromisoformat(value) + delta).date().isoformat()
    return value


def relative(name: str, now: datetime, key: str) -> list[dict[str, Any]]:
    """The list under `key` of data file `name`, with ANCHOR moved to `now` (whole seconds)."""
    delta = now.replace(microsecond=0) - ANCHOR
    return copy.deepcopy(shift(load(name)[key], delta))

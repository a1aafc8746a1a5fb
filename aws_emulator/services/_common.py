"""Small helpers shared by the service modules: time formats, ids, field paths, sorting."""

from __future__ import annotations

import copy
import fnmatch
import hashlib
from datetime import datetime
from typing import Any

from ..validation import to_datetime


def iso_ms(moment: datetime) -> str:
    """Format like GuardDuty's string timestamps: 2024-05-14T09:12:45.128Z."""
    moment = to_datetime(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch_ms(value: Any) -> int:
    """Milliseconds since the epoch of a datetime, ISO string or number of seconds."""
    return int(to_datetime(value).timestamp() * 1000)


def hex_id(*parts: Any, length: int = 32) -> str:
    """A deterministic lowercase hex id (GuardDuty, Macie and Inspector ids are 32 hex chars)."""
    raw = "|".join(str(p) for p in parts).encode()
    return hashlib.sha256(raw).hexdigest()[:length]


def clone(value: Any) -> Any:
    """Deep copy, so callers never share mutable state with the world."""
    return copy.deepcopy(value)


def values_at(item: Any, path: list[str], capitalized: bool) -> list[Any]:
    """Every value found along a dotted field path (lists fan out), in the item's key style."""
    if not path:
        return [item]
    if isinstance(item, list):
        return [v for element in item for v in values_at(element, path, capitalized)]
    if not isinstance(item, dict):
        return []
    key = path[0][:1].upper() + path[0][1:] if capitalized else path[0]
    if key not in item:
        return []
    return values_at(item[key], path[1:], capitalized)


def as_text(value: Any) -> str:
    """How AWS compares a value with a criterion string (booleans are "true"/"false")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compare_number(value: Any, field: str) -> float:
    """A value as a number for range criteria: timestamps become epoch milliseconds."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime) or field.endswith(("At", "Seen", "Date", "Time")):
        return float(epoch_ms(value))
    return float(value)


def wildcard(value: Any, patterns: list[str]) -> bool:
    """Whether a value matches any of GuardDuty's `Matches` wildcard patterns."""
    return any(fnmatch.fnmatchcase(as_text(value), p) for p in patterns)


def sort_key(value: Any) -> tuple[int, Any]:
    """Sort key that puts missing values first and compares timestamps as instants."""
    if value is None:
        return (0, "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (1, float(value))
    if isinstance(value, datetime):
        return (2, value.timestamp())
    return (3, str(value))

"""Validate requests and responses against botocore's shapes, as AWS's front end does.

botocore's client-side validator checks types, required members and minimums only; AWS also rejects
values above `max`, unknown enum values and pattern mismatches, so we check those here. Responses
are held to the same rules (plus required members and no unknown keys) before they are serialized.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any, NamedTuple

from botocore.model import Shape
from botocore.utils import parse_timestamp

# Java regex constructs in the models that Python's `re` spells differently.
_PATTERN_FIXES = (
    (r"\p{L}", "a-zA-Z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\u4e00-\u9fff"),
    (r"\p{Z}", " \u00a0\u2000-\u200a\u2028\u2029\u3000"),
    (r"\p{N}", "0-9"),
    (r"\u10000", "\U00010000"),
    (r"\u10FFFF", "\U0010ffff"),
)


@functools.lru_cache(maxsize=2048)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    """Compile a model pattern for full-string matching, or None if Python cannot express it."""
    for java, python in _PATTERN_FIXES:
        pattern = pattern.replace(java, python)
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None


_ISO_8601 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def to_datetime(value: Any) -> datetime:
    """Convert a timestamp as boto3 accepts it (datetime, ISO string, epoch number) to aware UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and _ISO_8601.match(value):
        try:  # ISO 8601 text, most of what handlers give: without dateutil's generic parser
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = parse_timestamp(value)
    elif isinstance(value, int | float | str) and not isinstance(value, bool):
        parsed = parse_timestamp(value)
    else:
        raise TypeError(f"not a timestamp: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=parse_timestamp(0).tzinfo)


class Violation(NamedTuple):
    """One broken constraint: where (wire path) and what."""

    path: str
    text: str

    def __str__(self) -> str:
        return self.text


class _Checker:
    """Walk a value along a shape, collecting AWS-style constraint messages."""

    def __init__(self, output: bool) -> None:
        self.output = output
        self.errors: list[Violation] = []

    def fail(self, path: str, value: Any, constraint: str) -> None:
        shown = str(value) if not isinstance(value, dict | list) else type(value).__name__
        text = f"Value '{shown[:200]}' at '{path}' failed to satisfy constraint: {constraint}"
        self.errors.append(Violation(path, text))

    def check(self, shape: Shape, value: Any, path: str) -> Any:
        if shape.metadata.get("document"):
            return value
        method = getattr(self, f"_check_{shape.type_name}", None)
        if method is None:
            return value
        return method(shape, value, path)

    def _check_structure(self, shape: Shape, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            self.fail(path, value, "Member must be a structure")
            return value
        result: dict[str, Any] = {}
        for name in shape.required_members:
            if value.get(name) is None:
                self.fail(_join(path, _wire(shape, name)), None, "Member must not be null")
        for name, member_value in value.items():
            member = shape.members.get(name)
            if member is None:
                self.fail(_join(path, name), name, "Member is not part of the model")
                continue
            if member_value is None and self.output:
                continue
            result[name] = self.check(member, member_value, _join(path, _wire(shape, name)))
        return result

    def _check_list(self, shape: Shape, value: Any, path: str) -> Any:
        if not isinstance(value, list | tuple):
            self.fail(path, value, "Member must be a list")
            return value
        self._length(shape, value, path, "length")
        return [self.check(shape.member, item, f"{path}.{i + 1}") for i, item in enumerate(value)]

    def _check_map(self, shape: Shape, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            self.fail(path, value, "Member must be a map")
            return value
        self._length(shape, value, path, "length")
        return {
            self.check(shape.key, key, f"{path}.key"): self.check(
                shape.value, item, f"{path}.{key}"
            )
            for key, item in value.items()
        }

    def _check_string(self, shape: Shape, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            self.fail(path, value, "Member must be a string")
            return value
        self._length(shape, value, path, "length")
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            self.fail(path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        pattern = shape.metadata.get("pattern")
        compiled = _compiled(pattern) if pattern else None
        if compiled is not None and compiled.fullmatch(value) is None:
            self.fail(path, value, f"Member must satisfy regular expression pattern: {pattern}")
        return value

    def _check_integer(self, shape: Shape, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, value, "Member must be an integer")
            return value
        self._range(shape, value, path)
        return value

    _check_long = _check_integer

    def _check_double(self, shape: Shape, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, value, "Member must be a number")
            return value
        self._range(shape, value, path)
        return value

    _check_float = _check_double

    def _check_boolean(self, shape: Shape, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            self.fail(path, value, "Member must be a boolean")
        return value

    def _check_timestamp(self, shape: Shape, value: Any, path: str) -> Any:
        try:
            return value if self.output else to_datetime(value)
        except (TypeError, ValueError):
            self.fail(path, value, "Member must be a timestamp")
            return value

    def _check_blob(self, shape: Shape, value: Any, path: str) -> Any:
        if not isinstance(value, bytes | bytearray | str):
            self.fail(path, value, "Member must be a blob")
        return value

    def _length(self, shape: Shape, value: Any, path: str, what: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and len(value) < low:
            self.fail(path, value, f"Member must have {what} greater than or equal to {low}")
        if high is not None and len(value) > high:
            self.fail(path, value, f"Member must have {what} less than or equal to {high}")

    def _range(self, shape: Shape, value: float, path: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and value < low:
            self.fail(path, value, f"Member must have value greater than or equal to {low}")
        if high is not None and value > high:
            self.fail(path, value, f"Member must have value less than or equal to {high}")


def _wire(shape: Shape, name: str) -> str:
    """The member's name on the wire (AWS names it so in its messages)."""
    return shape.members[name].serialization.get("name", name)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def check_input(
    shape: Shape | None, params: dict[str, Any]
) -> tuple[dict[str, Any], list[Violation]]:
    """Validate request params; return them normalized (timestamps as datetimes) and the errors."""
    if shape is None:
        return {}, [] if not params else [Violation("", "The request takes no parameters")]
    checker = _Checker(output=False)
    normalized = checker.check(shape, params, "")
    return normalized, checker.errors


def check_output(shape: Shape | None, data: dict[str, Any]) -> list[Violation]:
    """Validate a response in boto3's parsed shape; return the constraint violations."""
    if shape is None:
        return [] if not data else [Violation("", "The operation has no output")]
    if valid_output(shape)(data):
        return []
    checker = _Checker(output=True)
    checker.check(shape, data, "")
    return checker.errors


def error_message(errors: list[Violation]) -> str:
    """Format violations the way AWS's JSON services do ("2 validation errors detected: ...")."""
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} detected: " + "; ".join(map(str, errors))


# -- compiled output check ---------------------------------------------------------------------
# A response is checked on every call, and a GetFindings page holds thousands of values: walking
# the shapes generically (a method lookup and a path string per value) cost more than answering.
# So each output shape gets a compiled predicate, kept on the Shape object (it lives as long as its
# model), that says whether the value holds to every rule _Checker(output=True) applies. Only when
# it says no does the slow checker run, to name each violation as AWS would. The predicate is a
# filter in front of the checker, never a second set of rules: both read the same metadata.
Predicate = Any  # Callable[[Any], bool]
_ATTR = "_aws_emulator_valid_output"


def valid_output(shape: Shape) -> Predicate:
    """The compiled predicate of `shape` for responses (see above)."""
    found = shape.__dict__.get(_ATTR)
    if found is None:
        found = _compile(shape, {})
        setattr(shape, _ATTR, found)
    return found


def _compile(shape: Shape, building: dict[str, list[Predicate]]) -> Predicate:
    if shape.name in building:  # a recursive shape: refer to the one being built
        cell = building[shape.name]
        return lambda value: cell[0](value)
    cell: list[Predicate] = []
    building[shape.name] = cell
    try:
        predicate = _build(shape, building)
    finally:
        del building[shape.name]
    cell.append(predicate)
    return predicate


def _bounds(shape: Shape) -> tuple[Any, Any]:
    return shape.metadata.get("min"), shape.metadata.get("max")


def _build(shape: Shape, building: dict[str, list[Predicate]]) -> Predicate:
    if shape.metadata.get("document"):
        return lambda value: True
    kind = shape.type_name
    low, high = _bounds(shape)
    if kind == "structure":
        members = {name: _compile(m, building) for name, m in shape.members.items()}
        required = tuple(shape.required_members)

        def structure(value: Any) -> bool:
            if not isinstance(value, dict):
                return False
            for name in required:
                if value.get(name) is None:
                    return False
            for name, item in value.items():
                check = members.get(name)
                if check is None:
                    return False
                if item is not None and not check(item):
                    return False
            return True

        return structure
    if kind == "list":
        item_check = _compile(shape.member, building)

        def list_(value: Any) -> bool:
            if not isinstance(value, list | tuple) or not _sized(value, low, high):
                return False
            return all(item_check(item) for item in value)

        return list_
    if kind == "map":
        key_check, value_check = _compile(shape.key, building), _compile(shape.value, building)

        def map_(value: Any) -> bool:
            if not isinstance(value, dict) or not _sized(value, low, high):
                return False
            return all(key_check(k) and value_check(v) for k, v in value.items())

        return map_
    if kind == "string":
        enum = frozenset(shape.metadata.get("enum") or ())
        pattern = shape.metadata.get("pattern")
        compiled = _compiled(pattern) if pattern else None

        def string(value: Any) -> bool:
            if not isinstance(value, str) or not _sized(value, low, high):
                return False
            if enum and value not in enum:
                return False
            return compiled is None or compiled.fullmatch(value) is not None

        return string
    if kind in ("integer", "long"):
        return lambda value: (
            isinstance(value, int) and not isinstance(value, bool) and _within(value, low, high)
        )
    if kind in ("double", "float"):
        return lambda value: (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and _within(value, low, high)
        )
    if kind == "boolean":
        return lambda value: isinstance(value, bool)
    if kind == "blob":
        return lambda value: isinstance(value, bytes | bytearray | str)
    return lambda value: True  # timestamps in responses, and kinds the checker does not check


def _sized(value: Any, low: Any, high: Any) -> bool:
    return (low is None or len(value) >= low) and (high is None or len(value) <= high)


def _within(value: Any, low: Any, high: Any) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)

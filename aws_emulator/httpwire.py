"""Parse raw HTTP requests (HTTP mode) back into (service, operation, params).

The in-process mode reads params captured from boto3; the server only has the wire, so this
undoes botocore's serializers for the protocols of the emulated services: json (X-Amz-Target),
rest-json (routed by method and requestUri) and query (form-encoded, STS).
"""

from __future__ import annotations

import base64
import functools
import json
import re
from typing import Any
from urllib.parse import parse_qs, unquote

from botocore.model import OperationModel, ServiceModel, Shape

from .models import service_model, signing_names
from .validation import to_datetime


@functools.lru_cache(maxsize=16)
def _routes(service: str) -> list[tuple[str, re.Pattern[str], OperationModel]]:
    model = service_model(service)
    routes = []
    for name in model.operation_names:
        op = model.operation_model(name)
        path = op.http["requestUri"].split("?")[0]
        pattern = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", path)
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        routes.append((op.http["method"], re.compile(pattern.rstrip("/") + "/?"), op))
    return routes


def _scalar(shape: Shape, text: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        return int(text)
    if kind in ("double", "float"):
        return float(text)
    if kind == "boolean":
        return text.lower() == "true"
    if kind == "timestamp":
        return to_datetime(text)
    return text


def from_json(shape: Shape, value: Any) -> Any:
    """Turn JSON wire data into boto3-shaped params (member names, datetimes, bytes)."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if key in value and not member.serialization.get("location"):
                out[name] = from_json(member, value[key])
        return out
    if kind == "list" and isinstance(value, list):
        return [from_json(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: from_json(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        return to_datetime(value)
    if kind == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    return value


def from_query(shape: Shape, form: dict[str, str], prefix: str = "") -> Any:
    """Turn query-protocol form fields (Name, Name.member.N, Name.entry.N.key) into params."""
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            key = prefix + member.serialization.get("name", name)
            if any(f == key or f.startswith(key + ".") for f in form):
                out[name] = from_query(member, form, key)
        return out
    if kind == "list":
        items, index = [], 1
        base = prefix if shape.serialization.get("flattened") else prefix + ".member"
        while any(f == f"{base}.{index}" or f.startswith(f"{base}.{index}.") for f in form):
            items.append(from_query(shape.member, form, f"{base}.{index}"))
            index += 1
        return items
    if kind == "map":
        out_map, index = {}, 1
        while f"{prefix}.entry.{index}.key" in form:
            key = form[f"{prefix}.entry.{index}.key"]
            out_map[key] = from_query(shape.value, form, f"{prefix}.entry.{index}.value")
            index += 1
        return out_map
    return _scalar(shape, form[prefix])


def _rest_json(
    model: ServiceModel,
    method: str,
    path: str,
    query: dict[str, list[str]],
    body: bytes,
    headers: Any,
) -> tuple[str | None, dict[str, Any]]:
    for verb, pattern, op in _routes(model.service_name):
        match = pattern.fullmatch(path)
        if verb != method or match is None:
            continue
        shape = op.input_shape
        if shape is None:
            return op.name, {}
        params = from_json(shape, json.loads(body or b"{}"))
        for name, member in shape.members.items():
            where, key = (
                member.serialization.get("location"),
                member.serialization.get("name", name),
            )
            if where == "uri":
                params[name] = _scalar(member, unquote(match.group(key)))
            elif where == "querystring" and key in query:
                values = query[key]
                params[name] = (
                    [_scalar(member.member, v) for v in values]
                    if member.type_name == "list"
                    else _scalar(member, values[0])
                )
            elif where == "header" and headers.get(key) is not None:
                params[name] = _scalar(member, headers.get(key))
        return op.name, params
    return None, {}


def parse_request(
    signing_name: str | None, method: str, raw_path: str, headers: Any, body: bytes
) -> tuple[ServiceModel | None, str | None, dict[str, Any]]:
    """Identify the service (by SigV4 signing name), operation and params of a raw request."""
    name = signing_names().get(signing_name or "")
    if name is None:
        return None, None, {}
    model = service_model(name)
    path, _, query_string = raw_path.partition("?")
    query = parse_qs(query_string, keep_blank_values=True)
    protocol = model.resolved_protocol
    if protocol == "json":
        target = headers.get("X-Amz-Target") or ""
        operation = target.rsplit(".", 1)[-1] or None
        if operation not in model.operation_names:
            return model, operation, {}
        shape = model.operation_model(operation).input_shape
        return model, operation, from_json(shape, json.loads(body or b"{}")) if shape else {}
    if protocol == "query":
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        form.update({k: v[0] for k, v in query.items()})
        operation = form.pop("Action", None)
        form.pop("Version", None)
        if operation not in model.operation_names:
            return model, operation, {}
        shape = model.operation_model(operation).input_shape
        return model, operation, from_query(shape, form) if shape else {}
    operation, params = _rest_json(model, method, path, query, body, headers)
    return model, operation, params

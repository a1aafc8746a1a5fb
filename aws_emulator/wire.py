"""Serialize responses and errors to each protocol's wire format, as AWS sends them.

botocore's own parser then reads our bytes exactly as it reads AWS's, so a shape mistake surfaces
as it would in production. Protocols: json and rest-json (JSON body, timestamps as epoch seconds
unless the shape says otherwise), query (STS: XML), plus error bodies for rest-xml, ec2 and
smithy-rpc-v2-cbor so an unknown service still gets an explicit error.
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any
from xml.sax.saxutils import escape

from botocore.model import OperationModel, ServiceModel, Shape

from .errors import AwsError
from .validation import to_datetime

Response = tuple[int, dict[str, str], bytes]

_JSON_CONTENT = {"json": "application/x-amz-json-1.1", "rest-json": "application/json"}


def _timestamp(shape: Shape, value: Any, default_format: str) -> Any:
    fmt = shape.serialization.get("timestampFormat", default_format)
    moment = to_datetime(value)
    if fmt == "unixtimestamp":
        return round(moment.timestamp(), 3)
    if fmt == "rfc822":
        return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _json_value(shape: Shape, value: Any, ts_format: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member_value in value.items():
            member = shape.members[name]
            if member_value is None or member.serialization.get("location"):
                continue
            key = member.serialization.get("name", name)
            out[key] = _json_value(member, member_value, ts_format)
        return out
    if kind == "list":
        return [_json_value(shape.member, item, ts_format) for item in value]
    if kind == "map":
        return {key: _json_value(shape.value, item, ts_format) for key, item in value.items()}
    if kind == "timestamp":
        return _timestamp(shape, value, ts_format)
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode()
    return value


_JSON_ATTR = "_aws_emulator_json_writer"
Writer = Any  # Callable[[Any], Any]


def json_writer(shape: Shape, ts_format: str) -> Writer:
    """_json_value of `shape` compiled once (kept on the Shape, like validation.valid_output):
    the member names, wire names and kinds are looked up when compiling, not for every value."""
    cache = shape.__dict__.setdefault(_JSON_ATTR, {})
    found = cache.get(ts_format)
    if found is None:
        found = cache[ts_format] = _json_compile(shape, ts_format, {})
    return found


def _json_compile(shape: Shape, ts_format: str, building: dict[str, list[Writer]]) -> Writer:
    if shape.name in building:  # recursive shape
        cell = building[shape.name]
        return lambda value: value if cell[0] is None else cell[0](value)
    cell: list[Writer] = []
    building[shape.name] = cell
    try:
        writer = _json_build(shape, ts_format, building)
    finally:
        del building[shape.name]
    cell.append(writer)
    return writer


def _json_build(shape: Shape, ts_format: str, building: dict[str, list[Writer]]) -> Writer:
    """A writer, or None where the value goes out as it is (scalars: most of a response)."""
    kind = shape.type_name
    if kind == "structure":
        members = {
            name: (
                member.serialization.get("name", name),
                _json_compile(member, ts_format, building),
                bool(member.serialization.get("location")),
            )
            for name, member in shape.members.items()
        }

        def structure(value: Any) -> Any:
            out: dict[str, Any] = {}
            for name, item in value.items():
                key, write, located = members[name]
                if item is not None and not located:
                    out[key] = item if write is None else write(item)
            return out

        return structure
    if kind == "list":
        write_item = _json_compile(shape.member, ts_format, building)
        if write_item is None:
            return list
        return lambda value: [write_item(item) for item in value]
    if kind == "map":
        write_value = _json_compile(shape.value, ts_format, building)
        if write_value is None:
            return dict
        return lambda value: {key: write_value(item) for key, item in value.items()}
    if kind in ("timestamp", "blob"):
        return lambda value: _json_value(shape, value, ts_format)
    return None


def _xml_value(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "structure":
        parts = []
        for name, member_value in value.items():
            if member_value is None:
                continue
            member = shape.members[name]
            tag = member.serialization.get("name", name)
            parts.append(f"<{tag}>{_xml_value(member, member_value)}</{tag}>")
        return "".join(parts)
    if kind == "list":
        tag = shape.member.serialization.get("name", "member")
        return "".join(f"<{tag}>{_xml_value(shape.member, item)}</{tag}>" for item in value)
    if kind == "map":
        return "".join(
            f"<entry><key>{escape(str(k))}</key><value>{_xml_value(shape.value, v)}</value></entry>"
            for k, v in value.items()
        )
    if kind == "timestamp":
        return _timestamp(shape, value, "iso8601")
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode()
    return escape(str(value))


def serialize_response(
    operation: OperationModel, data: dict[str, Any], request_id: str
) -> Response:
    """Encode a successful response (boto3 parsed shape) in the operation's protocol."""
    protocol = operation.service_model.resolved_protocol
    shape = operation.output_shape
    headers = {"x-amzn-RequestId": request_id}
    status = int(operation.http.get("responseCode", 200))
    if protocol in _JSON_CONTENT:
        headers["Content-Type"] = _JSON_CONTENT[protocol]
        body: Any = {}
        if shape is not None:
            writer = json_writer(shape, "unixtimestamp")
            body = data if writer is None else writer(data)
            for name, member in shape.members.items():
                if member.serialization.get("location") == "header" and name in data:
                    headers[member.serialization["name"]] = str(data[name])
        return status, headers, json.dumps(body).encode()
    if protocol == "query":
        name = operation.name
        xmlns = f"https://{operation.service_model.endpoint_prefix}.amazonaws.com/doc/"
        xmlns += f"{operation.service_model.api_version}/"
        inner = _xml_value(shape, data) if shape is not None else ""
        wrapper = shape.serialization.get("resultWrapper", f"{name}Result") if shape else None
        result = f"<{wrapper}>{inner}</{wrapper}>" if wrapper else ""
        body_text = (
            f'<{name}Response xmlns="{xmlns}">{result}'
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            f"</{name}Response>"
        )
        headers["Content-Type"] = "text/xml"
        return status, headers, body_text.encode()
    raise AwsError("InternalFailure", f"protocol {protocol} is not emulated", 500)


def serialize_error(
    service: ServiceModel, error: AwsError, status: int, request_id: str
) -> Response:
    """Encode an error the way the service's protocol carries it (code, message, extra fields)."""
    protocol = service.resolved_protocol
    headers = {"x-amzn-RequestId": request_id}
    if protocol in _JSON_CONTENT:
        headers["Content-Type"] = _JSON_CONTENT[protocol]
        headers["x-amzn-ErrorType"] = error.code
        body: dict[str, Any] = {"__type": error.code, "message": error.message}
        body.update(error.fields)
        return status, headers, json.dumps(body).encode()
    if protocol == "smithy-rpc-v2-cbor":
        headers["Content-Type"] = "application/cbor"
        headers["smithy-protocol"] = "rpc-v2-cbor"
        return status, headers, _cbor_map({"__type": error.code, "message": error.message})
    fault = "Sender" if error.sender_fault else "Receiver"
    code, message = escape(error.code), escape(error.message)
    if protocol == "ec2":
        text = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            f"</Errors><RequestID>{request_id}</RequestID></Response>"
        )
    elif protocol == "rest-xml":
        text = (
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
    else:
        text = (
            f"<ErrorResponse><Error><Type>{fault}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    headers["Content-Type"] = "text/xml"
    return status, headers, text.encode()


def _cbor_text(text: str) -> bytes:
    raw = text.encode()
    size = len(raw)
    if size < 24:
        return bytes([0x60 + size]) + raw
    if size < 256:
        return bytes([0x78, size]) + raw
    return bytes([0x79]) + struct.pack(">H", min(size, 65535)) + raw[:65535]


def _cbor_map(values: dict[str, str]) -> bytes:
    """Encode a small map of text to text in CBOR (RFC 8949), enough for an error body."""
    out = bytes([0xA0 + len(values)])
    for key, value in values.items():
        out += _cbor_text(key) + _cbor_text(value)
    return out

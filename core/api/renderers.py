"""The API's JSON renderer: DRF's output, written by orjson."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


class ORJSONRenderer(JSONRenderer):
    """DRF's JSONRenderer, with orjson writing the bytes: the same JSON (compact, UTF-8), several
    times faster on a page of 500 rows.

    Types JSON has no word for (times, decimals, UUIDs, lazy text) go through DRF's own encoder, so
    they read exactly as before (times in ISO 8601 with `Z`, microseconds cut to milliseconds as DRF
    does). A NaN, which strict JSON refuses, becomes null. An `indent` asked for in the Accept
    header (the browsable API asks for one) falls back to DRF's renderer.
    """

    _fallback = JSONEncoder()

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        return orjson.dumps(data, default=self._fallback.default, option=_OPTIONS)

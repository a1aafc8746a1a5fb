"""The OpenAPI document's own means: the AutoSchema that declares the errors every operation
answers (drf-spectacular), shared by every app's API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """An error the API answers: DRF's `detail`, a sentence a person can act on."""

    detail = serializers.CharField()


# The errors every operation may answer, by status code, besides what its view declares itself.
_ERRORS = {
    "400": OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="A bad value: the parameter or field named, with what was wrong "
        '(`{"<name>": ["<message>"]}`, or `{"detail": "..."}`).',
    ),
    "401": OpenApiResponse(ErrorSerializer, description="No token, or an unknown or expired one."),
    "403": OpenApiResponse(
        ErrorSerializer, description="The token or its owner lacks the right (e.g. a read token)."
    ),
    "404": OpenApiResponse(
        ErrorSerializer,
        description="No such object among the accounts the caller sees (or no such page).",
    ),
    "429": OpenApiResponse(
        ErrorSerializer, description="Over the token's rate limit: retry after `Retry-After` s."
    ),
}
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    response=[429],
    description="Seconds to wait before the next request.",
)


class WatchpostAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, declaring the errors each operation can answer (400 where it
    takes parameters or a body, 401, 403, 404 where it names an object, 429 with Retry-After),
    as JSON, so clients and schemathesis's status-code checks find every answer documented."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    _ERRORS[code], code, ["application/json"], direction
                )
        return responses

    def _error_codes(self) -> list[str]:
        codes = ["401", "403", "429"]
        query = {p["name"] for p in self._get_parameters() if p.get("in") == "query"}
        names_object = "{" in self.path
        if self.method != "GET" or not names_object or query:
            codes.insert(0, "400")
        if names_object or "page" in query:  # DRF answers a page past the last one 404
            codes.insert(-1, "404")
        return codes

    def get_override_parameters(self) -> list[Any]:
        return [*super().get_override_parameters(), RETRY_AFTER]


class SingleObjectSchema(WatchpostAutoSchema):
    """For a `list` action that answers one object computed over the filtered set (summary/): its
    filters are documented as a list's are, its body as the object it is, not an array."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return serializer is None and super()._is_list_view()

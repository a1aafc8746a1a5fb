"""findings/export/: the filtered set (the list's FilterSet and scope) as CSV, JSON or OCSF, streamed.

`?format=csv` (text/csv, the findings page's export: formulas neutralised), `?format=json` (a JSON
array of the list's rows, the default) or `?format=ocsf` (a JSON array of OCSF Detection Findings,
findings.ocsf). `Accept: text/csv` works too. Rows are read in chunks and written as they come, so
an export of the whole organisation needs neither memory nor a page loop; every row the filters
select is in it (no page size).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from findings.api.serializers import FindingSerializer
from findings.export import finding_csv_lines
from findings.models import Finding
from findings.ocsf import finding_ocsf

__all__ = ["FindingExportMixin"]

_CHUNK = 1000  # rows read per round trip while streaming
EXPORT_FORMATS = ("json", "csv", "ocsf")


class _StreamRenderer(BaseRenderer):
    """Selects the format by content negotiation; the body itself is streamed by the view, and
    errors are rendered as JSON (see FindingExportMixin.handle_exception)."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None):
        return json.dumps(data, cls=JSONEncoder).encode()


class CsvRenderer(_StreamRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"


class OcsfRenderer(_StreamRenderer):
    media_type = "application/json"
    format = "ocsf"


def _json_array(items: Iterator[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for n, item in enumerate(items):
        yield ("," if n else "") + "\n" + json.dumps(item, cls=JSONEncoder, ensure_ascii=False)
    yield "\n]\n"


def _rows(findings: QuerySet[Finding]) -> Iterator[Finding]:
    return findings.defer("raw").iterator(chunk_size=_CHUNK)


class FindingExportMixin:
    """The `export` action of FindingViewSet."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=list(EXPORT_FORMATS),
                required=False,
                description="json (default): the list's rows; csv; ocsf: OCSF Detection Findings.",
            )
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/csv"): OpenApiTypes.STR,
            400: OpenApiResponse(description="A bad filter value, the parameter named."),
        },
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        renderer_classes=[JSONRenderer, CsvRenderer, OcsfRenderer],
        pagination_class=None,
    )
    def export(self, request: Request) -> StreamingHttpResponse:
        """Every finding the filters select, streamed as JSON, CSV or OCSF."""
        findings = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        fmt = request.accepted_renderer.format
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        if fmt == "csv":
            body: Iterator[str] = finding_csv_lines(findings)
            content_type, name = "text/csv; charset=utf-8", f"findings-{stamp}.csv"
        elif fmt == "ocsf":
            body = _json_array(finding_ocsf(f) for f in _rows(findings))
            content_type, name = "application/json", f"findings-{stamp}.ocsf.json"
        else:
            body = _json_array(FindingSerializer(f).data for f in _rows(findings))
            content_type, name = "application/json", f"findings-{stamp}.json"
        response = StreamingHttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        try:
            return super().perform_content_negotiation(request, force)  # type: ignore[misc]
        except Http404 as exc:
            if getattr(self, "action", None) != "export":
                raise
            raise ValidationError({"format": [f"One of {', '.join(EXPORT_FORMATS)}."]}) from exc

    def handle_exception(self, exc: Exception) -> Response:
        if getattr(self, "action", None) == "export":
            self.request.accepted_renderer = JSONRenderer()  # type: ignore[attr-defined]
            self.request.accepted_media_type = "application/json"  # type: ignore[attr-defined]
        return super().handle_exception(exc)  # type: ignore[misc]

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
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers
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


class _OcsfFindingInfoSerializer(serializers.Serializer):
    uid = serializers.CharField(help_text="AWS's id of the finding (the ARN for Inspector).")
    title = serializers.CharField()
    desc = serializers.CharField(required=False)
    types = serializers.ListField(child=serializers.CharField(), required=False)
    first_seen_time = serializers.IntegerField(required=False)
    last_seen_time = serializers.IntegerField(required=False)
    created_time = serializers.IntegerField(required=False)
    modified_time = serializers.IntegerField(required=False)
    src_url = serializers.CharField(required=False)
    product_uid = serializers.CharField(required=False)


class _OcsfAccountSerializer(serializers.Serializer):
    uid = serializers.CharField(help_text="The 12-digit account id.")
    name = serializers.CharField(help_text="The account's name (its id when it has none).")
    type = serializers.CharField()
    type_id = serializers.IntegerField()


class _OcsfCloudSerializer(serializers.Serializer):
    provider = serializers.CharField()
    region = serializers.CharField()
    account = _OcsfAccountSerializer()


class OcsfDetectionFindingSerializer(serializers.Serializer):
    """One record of `?format=ocsf`: an OCSF 1.3 Detection Finding (findings.ocsf has the
    status/activity table); only the main attributes are spelled out here."""

    class_uid = serializers.ChoiceField(choices=[2004])
    class_name = serializers.CharField()
    category_uid = serializers.ChoiceField(choices=[2])
    category_name = serializers.CharField()
    activity_id = serializers.ChoiceField(
        choices=[1, 2, 3], help_text="1 Create, 2 Update, 3 Close."
    )
    activity_name = serializers.CharField()
    type_uid = serializers.ChoiceField(choices=[200401, 200402, 200403])
    type_name = serializers.CharField()
    time = serializers.IntegerField(help_text="Milliseconds since the epoch.")
    severity_id = serializers.ChoiceField(choices=[0, 1, 2, 3, 4, 5])
    severity = serializers.CharField()
    status_id = serializers.ChoiceField(
        choices=[1, 2, 3, 4], help_text="1 New, 2 In Progress, 3 Suppressed, 4 Resolved."
    )
    status = serializers.CharField()
    status_detail = serializers.CharField()
    message = serializers.CharField()
    finding_info = _OcsfFindingInfoSerializer()
    cloud = _OcsfCloudSerializer()
    resources = serializers.ListField(child=serializers.DictField())
    metadata = serializers.DictField()
    unmapped = serializers.DictField()


EXPORT_ROWS = PolymorphicProxySerializer(
    component_name="FindingExportRow",
    serializers=[FindingSerializer, OcsfDetectionFindingSerializer],
    resource_type_field_name=None,
    many=True,
)


class FindingExportMixin:
    """The `export` action of FindingViewSet."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=list(EXPORT_FORMATS),
                required=False,
                description="json (default): an array of the list's rows; csv: the findings "
                "page's export; ocsf: an array of OCSF Detection Findings.",
            )
        ],
        filters=True,  # the findings list's filters select what is exported
        responses={
            (200, "application/json"): OpenApiResponse(
                EXPORT_ROWS,
                description="`format=json`: the list's rows; `format=ocsf`: OCSF 1.3 Detection "
                "Findings. Every finding the filters select, streamed (no pages).",
            ),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="`format=csv` or `Accept: text/csv`."
            ),
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

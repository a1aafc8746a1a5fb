"""PATCH findings/{id}/: our workflow written back by ticketing tools, with optimistic concurrency.

Every finding has a strong ETag made of its id and `updated_at` (which the change clock moves on
every write, AWS's or ours). GET findings/{id}/ sends it; PATCH must send it back in `If-Match`:
- no If-Match: 428 Precondition Required (a tool that never read the finding cannot overwrite it);
- an ETag that is not the current one: 412 Precondition Failed, nothing written, the current ETag
  in the answer's header so the tool can read the finding again and decide;
- `If-Match: *` explicitly accepts any version.
The comparison is made after taking the change clock's lock (findings.services.clock), which every
writer of findings takes first: nobody can change the finding between the check and our write.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.api.permissions import HasModelPermission
from findings.api.serializers import FindingDetailSerializer
from findings.choices import WORKFLOW_STATUS_CHOICES
from findings.models import Finding
from findings.services.clock import finding_change_time
from findings.services.workflow import (
    NOTE_MAX_LENGTH,
    TICKET_REF_MAX_LENGTH,
    WORKFLOW_PERMISSION,
    finding_workflow_update,
)

__all__ = ["FindingWorkflowMixin", "FindingWorkflowSerializer", "finding_etag"]


def finding_etag(finding: Finding) -> str:
    """The finding's strong ETag: its id and the microsecond of its last change."""
    return f'"{finding.pk}.{int(finding.updated_at.timestamp() * 1_000_000)}"'


def _if_match(header: str, current: str) -> bool:
    """RFC 9110's If-Match with the strong comparison: `*`, or one of the listed tags exactly."""
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or current in tags


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = (
        "Send If-Match with the ETag of the finding as you last read it (GET it first)."
    )
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The finding changed since you read it: GET it again, then send the new ETag in If-Match."
    )
    default_code = "precondition_failed"

    def __init__(self, *, etag: str = "") -> None:
        super().__init__()
        self.etag = etag


class FindingWorkflowSerializer(serializers.Serializer):
    """What PATCH findings/{id}/ may change; anything else is refused naming the field."""

    status = serializers.ChoiceField(choices=WORKFLOW_STATUS_CHOICES, required=False)
    assignee = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=150,
        help_text='A username; "" or null unassigns.',
    )
    ticket_ref = serializers.CharField(
        required=False, allow_blank=True, max_length=TICKET_REF_MAX_LENGTH, trim_whitespace=False
    )
    note = serializers.CharField(required=False, max_length=NOTE_MAX_LENGTH)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            unknown = sorted(str(k)[:40] for k in data if k not in self.fields)
            if unknown:
                raise ValidationError(
                    {
                        name: ["Not writable: PATCH changes status, assignee, ticket_ref and note."]
                        for name in unknown
                    }
                )
            if not data:
                raise ValidationError(
                    {"detail": ["Send at least one of status, assignee, ticket_ref, note."]}
                )
        values = super().to_internal_value(data)
        if "assignee" in values and values["assignee"] is None:
            values["assignee"] = ""
        return values


class FindingWorkflowMixin:
    """GET findings/{id}/ with an ETag; PATCH with If-Match (see the module's docstring).

    Reads for everyone who sees the finding; PATCH needs a write token and findings.change_workflow
    (Analyst, Admin): others 403, a finding of an account the caller cannot see 404.
    """

    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, HasModelPermission]
    write_permission = WORKFLOW_PERMISSION
    http_method_names = ["get", "patch", "head", "options"]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        finding = self.get_object()  # type: ignore[attr-defined]
        response = Response(self.get_serializer(finding).data)  # type: ignore[attr-defined]
        response["ETag"] = finding_etag(finding)
        return response

    @extend_schema(
        request=FindingWorkflowSerializer,
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="The ETag of GET findings/{id}/ (or * for any version).",
            )
        ],
        responses={
            200: FindingDetailSerializer,
            400: OpenApiResponse(description="A bad value, the field named."),
            412: OpenApiResponse(description="Stale ETag: nothing written; the current in ETag."),
            428: OpenApiResponse(description="No If-Match."),
        },
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        finding = self.get_object()  # type: ignore[attr-defined]  # 404 for another account's
        header = request.headers.get("If-Match", "")
        if not header.strip():
            raise PreconditionRequired()
        serializer = FindingWorkflowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            finding_change_time()  # every writer of findings waits on this lock from here
            current = Finding.objects.only("pk", "updated_at").get(pk=finding.pk)
            if not _if_match(header, finding_etag(current)):
                raise PreconditionFailed(etag=finding_etag(current))
            finding_workflow_update(
                finding=finding, actor=request.user, **serializer.validated_data
            )
        self.action = "retrieve"  # answer with the detail (payload and history), as GET does
        return self.retrieve(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)  # type: ignore[misc]
        if isinstance(exc, PreconditionFailed) and exc.etag:
            response["ETag"] = exc.etag
        return response

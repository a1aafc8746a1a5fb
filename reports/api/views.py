"""API view of the reports app: reports/."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.api.serializers import ReportQuerySerializer, ReportSerializer
from reports.forms import ReportForm
from reports.selectors import report_for_user


class ReportView(APIView):
    """The manager's report of `account` or `ou` (or every account the caller sees) for
    `period` week (7 days) or month (30 days) to now; a value the caller does not see is a 400."""

    @extend_schema(parameters=[ReportQuerySerializer], responses={200: ReportSerializer})
    def get(self, request: Request) -> Response:
        form = ReportForm(request.query_params, user=request.user)
        if not form.is_valid():
            errors: dict[str, list[str]] = {
                ("non_field_errors" if k == "__all__" else k): [str(e) for e in v]
                for k, v in form.errors.items()
            }
            raise ValidationError(errors)
        data = form.cleaned_data
        report = report_for_user(
            user=request.user,
            period=data["period"],
            account=data.get("account") or None,
            ou=data.get("ou") or None,
        )
        return Response(ReportSerializer(report).data)

"""Reports over the API: the report types one may request, requesting a run (201, or 200 with
a recent run reused), polling it and downloading its outputs. The same services and rules as
the pages (reports/services.py, accounts/permissions.py "Reports"); an API key with the "read"
scope requests what a partner of its organization may: its contribution report."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKey
from exchange.api_errors import BadRequest, problem
from exchange.api_support import (
    ID_PATTERN,
    PAGE_SIZE_PARAMETER,
    CreatedCursorPagination,
    requester,
)
from exchange.errors import ApplicationError
from reports import selectors, services
from reports.api.serializers import (
    ReportRunRequestSerializer,
    ReportRunSerializer,
    ReportTypeSerializer,
)
from reports.forms import parameters_from_data
from reports.models import ReportRun
from reports.report import ReportType

DOWNLOAD_TYPES = {
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class NewestFirstPagination(CreatedCursorPagination):
    ordering = ("-created_at", "-id")


class _NoFormatOverride(DefaultContentNegotiation):
    """`?format=` chooses the file to download here, not DRF's renderer."""

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        renderer = renderers[0]
        return renderer, renderer.media_type


@extend_schema_view(
    list=extend_schema(summary="The report types you may request, with their parameters"),
    retrieve=extend_schema(summary="One report type"),
)
class ReportTypeViewSet(viewsets.ViewSet):
    lookup_field = "slug"
    lookup_value_regex = r"[a-z0-9-]{1,60}"
    serializer_class = ReportTypeSerializer
    pagination_class = None

    def _types(self) -> list[ReportType]:
        who = requester(self.request)
        return selectors.report_types_for(user=who.user, key=who.key)

    def list(self, request: Request) -> Response:
        return Response(ReportTypeSerializer(self._types(), many=True).data)

    def retrieve(self, request: Request, slug: str) -> Response:
        found = next((item for item in self._types() if item.slug == slug), None)
        if found is None:
            raise exceptions.NotFound(_("No report type with this name that you may request."))
        return Response(ReportTypeSerializer(found).data)


@extend_schema_view(
    list=extend_schema(
        summary="The report runs you may see, newest first", parameters=[PAGE_SIZE_PARAMETER]
    ),
    retrieve=extend_schema(summary="A report run: its status and progress"),
    create=extend_schema(
        summary="Request a report (201), or get the same request's recent run (200)",
        request=ReportRunRequestSerializer,
        responses={
            201: OpenApiResponse(ReportRunSerializer, description="A new run, queued."),
            200: OpenApiResponse(
                ReportRunSerializer,
                description="The same report requested recently (REPORT_REUSE_MINUTES).",
            ),
        },
    ),
)
class ReportRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[ReportRun],
):
    # Requesting a report reads data: a key's "read" scope is enough.
    write_scope = ApiKey.Scope.READ
    serializer_class = ReportRunSerializer
    pagination_class = NewestFirstPagination
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[ReportRun]:
        """The runs the requester may see: the one place run views are scoped."""
        if getattr(self, "swagger_fake_view", False):
            return ReportRun.objects.none()
        who = requester(self.request)
        return selectors.runs_visible_to(user=who.user, key=who.key).defer("report")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        who = requester(request)
        data = ReportRunRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slug = data.validated_data["type"]
        report_type = selectors.report_type_get(slug)
        if report_type is None or not selectors.may_request(
            user=who.user, key=who.key, report_type=report_type
        ):
            raise BadRequest(
                _("There is no report type “%(slug)s” that you may request.") % {"slug": slug},
                code="unknown_report_type",
                field="type",
            )
        parameters = parameters_from_data(
            report_type=report_type,
            data=data.validated_data.get("parameters"),
            user=who.user,
            key=who.key,
        )
        try:
            run, reused = services.report_run_request(
                type_slug=slug, parameters=parameters, user=who.user, key=who.key
            )
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc), code="forbidden") from exc
        response = Response(
            ReportRunSerializer(run).data,
            status=status.HTTP_200_OK if reused else status.HTTP_201_CREATED,
        )
        response["Location"] = reverse("api:report-run-detail", kwargs={"pk": run.pk})
        return response

    def get_content_negotiator(self) -> DefaultContentNegotiation:
        if getattr(self, "action", None) == "download":
            return _NoFormatOverride()
        return super().get_content_negotiator()  # type: ignore[return-value]

    @extend_schema(
        summary="Download a finished run: CSV (zip of the tables), XLSX, PDF or JSON",
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["csv", "xlsx", "pdf", "json"],
                required=True,
                description="csv: a zip with one CSV file per table.",
            )
        ],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, DOWNLOAD_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="The report: figures, tables and charts."
            ),
            409: OpenApiResponse(description="The run is not finished, or it failed."),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        run = self.get_object()
        output_format = request.query_params.get("format", "")
        if output_format not in (*DOWNLOAD_TYPES, "json"):
            raise BadRequest(
                _("“format” must be one of csv, xlsx, pdf and json."),
                code="invalid_format",
                field="format",
            )
        if run.status != ReportRun.Status.SUCCEEDED:
            return problem(
                409,
                code="run_failed" if run.status == ReportRun.Status.FAILED else "not_ready",
                detail=run.error
                if run.status == ReportRun.Status.FAILED
                else _(
                    "The report is not ready yet: poll the run until its status is “succeeded”."
                ),
            )
        if output_format == "json":
            return Response({"run": ReportRunSerializer(run).data, "report": run.report})
        stored = run.output_file(output_format)
        if stored is None:
            raise ApplicationError(_("This format was not stored for this run."))
        response = FileResponse(
            stored.open("rb"),
            as_attachment=True,
            filename=str(stored.name).rsplit("/", 1)[-1],
            content_type=DOWNLOAD_TYPES[output_format],
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

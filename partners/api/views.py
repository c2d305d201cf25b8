"""Partner sources and their sync runs, read-only: programme staff see all of them, a partner
(its members, or its API keys with "read") the sources its organization owns."""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from accounts.permissions import partner_sources_visible_to, partner_sources_visible_to_key
from exchange.api_errors import BadRequest
from exchange.api_support import (
    ID_PATTERN,
    PAGE_SIZE_PARAMETER,
    UPDATED_SINCE_PARAMETER,
    ConditionalGetMixin,
    CreatedCursorPagination,
    parse_since,
    requester,
)
from partners.api.serializers import (
    PartnerSourceSerializer,
    SyncRunDetailSerializer,
    SyncRunSerializer,
)
from partners.models import PartnerSource, SyncRun


def _visible_sources(view: Any) -> QuerySet[PartnerSource]:
    who = requester(view.request)
    if who.key is not None:
        return partner_sources_visible_to_key(who.key)
    return partner_sources_visible_to(who.user)


@extend_schema_view(
    list=extend_schema(
        summary="Partner sources you may see",
        parameters=[UPDATED_SINCE_PARAMETER, PAGE_SIZE_PARAMETER],
    ),
    retrieve=extend_schema(summary="One partner source (never its credentials)"),
)
class PartnerSourceViewSet(
    ConditionalGetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[PartnerSource],
):
    serializer_class = PartnerSourceSerializer
    pagination_class = CreatedCursorPagination
    lookup_value_regex = ID_PATTERN

    def get_queryset(self) -> QuerySet[PartnerSource]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return PartnerSource.objects.none()
        sources = _visible_sources(self)
        if self.action == "list" and (since := parse_since(self.request)) is not None:
            sources = sources.filter(updated_at__gte=since)
        return sources


RUN_STATUS_PARAMETER = OpenApiParameter("status", OpenApiTypes.STR, enum=SyncRun.Status.values)


@extend_schema_view(
    list=extend_schema(
        summary="Sync runs of the partner sources you may see, oldest first",
        description=(
            "`updated_since` keeps the runs created, still beating or finished at or after "
            "that moment, so that a client polling with it sees every change of status."
        ),
        parameters=[
            OpenApiParameter("source", OpenApiTypes.INT, description="A partner source's id."),
            RUN_STATUS_PARAMETER,
            UPDATED_SINCE_PARAMETER,
            PAGE_SIZE_PARAMETER,
        ],
    ),
    retrieve=extend_schema(summary="One sync run, with the records it skipped"),
)
class SyncRunViewSet(
    ConditionalGetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[SyncRun],
):
    pagination_class = CreatedCursorPagination
    lookup_value_regex = ID_PATTERN

    def get_serializer_class(self) -> type[SyncRunSerializer]:
        return SyncRunDetailSerializer if self.action == "retrieve" else SyncRunSerializer

    def get_queryset(self) -> QuerySet[SyncRun]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return SyncRun.objects.none()
        runs = SyncRun.objects.filter(source__in=_visible_sources(self)).select_related("source")
        if self.action != "list":
            return runs
        params = self.request.query_params
        if source := params.get("source"):
            if not source.isdigit() or len(source) > 18:
                raise BadRequest(
                    _("A source is given by its id."), code="invalid_filter", field="source"
                )
            runs = runs.filter(source_id=int(source))
        if status := params.get("status"):
            if status not in SyncRun.Status.values:
                raise BadRequest(_("Unknown status."), code="invalid_filter", field="status")
            runs = runs.filter(status=status)
        if (since := parse_since(self.request)) is not None:
            runs = runs.filter(
                Q(created_at__gte=since) | Q(heartbeat_at__gte=since) | Q(finished_at__gte=since)
            )
        return runs

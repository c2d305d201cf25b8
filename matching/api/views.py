"""Needs: list and read what the browser shows; officers (and keys acting for one, see
accounts/permissions.py "API keys") register, change and submit drafts through the same
services as the HTML views."""

import uuid
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import needs_visible_to, needs_visible_to_key
from exchange.api_errors import BadRequest
from exchange.api_support import (
    ID_PATTERN,
    PAGE_SIZE_PARAMETER,
    UPDATED_SINCE_PARAMETER,
    ConditionalGetMixin,
    parse_since,
    requester,
    require,
)
from matching import services
from matching.api.serializers import (
    NeedCreateSerializer,
    NeedOutputSerializer,
    NeedUpdateSerializer,
)
from matching.models import Need

IDEMPOTENCY_NAMESPACE = uuid.UUID("0f7d3f9e-51e7-4f3b-8d0c-1c4e9b2a7d55")


def _update_arguments(values: dict[str, Any]) -> dict[str, Any]:
    """`need_update`'s keyword arguments from validated input (a given null `needed_by`
    empties it; a missing one leaves it)."""
    arguments = {name: value for name, value in values.items() if name != "needed_by"}
    if "needed_by" in values:
        arguments["needed_by"] = values["needed_by"]
    return arguments


@extend_schema_view(
    list=extend_schema(
        summary="Needs you may see (public needs; your office's as an officer)",
        parameters=[
            UPDATED_SINCE_PARAMETER,
            OpenApiParameter("status", OpenApiTypes.STR, enum=Need.Status.values),
            OpenApiParameter("country", OpenApiTypes.STR, description="ISO alpha-3 code."),
            PAGE_SIZE_PARAMETER,
        ],
    ),
    retrieve=extend_schema(summary="One need"),
    create=extend_schema(
        summary="Register a need (a draft, or submitted with `submit`)",
        request=NeedCreateSerializer,
        responses={201: NeedOutputSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.UUID,
                location=OpenApiParameter.HEADER,
                description="The same key again returns the need first created.",
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a draft need",
        request=NeedUpdateSerializer,
        responses={200: NeedOutputSerializer},
    ),
)
class NeedViewSet(
    ConditionalGetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Need],
):
    write_scope = "write-needs"
    serializer_class = NeedOutputSerializer
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Need]:
        """The needs the requester may see: the one place need views are scoped."""
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Need.objects.none()
        who = requester(self.request)
        needs = needs_visible_to_key(who.key) if who.key else needs_visible_to(who.user)
        needs = needs.select_related("regional_office").prefetch_related(
            "countries", "themes", "sdg_goals", "sdg_targets", "support_kinds"
        )
        if self.action != "list":
            return needs
        params = self.request.query_params
        if status_ := params.get("status"):
            if status_ not in Need.Status.values:
                raise BadRequest(_("Unknown status."), code="invalid_filter", field="status")
            needs = needs.filter(status=status_)
        if country := params.get("country"):
            needs = needs.filter(countries__iso3=country.upper()[:3])
        if (since := parse_since(self.request)) is not None:
            needs = needs.filter(updated_at__gte=since)
        self.note_last_modified(needs.order_by())
        return needs

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        need = self.get_object()
        self.last_modified = need.updated_at
        return Response(self.get_serializer(need).data)

    def _refetch(self, need: Need) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=need.pk)).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(request, "needs.create")
        who = requester(request)
        assert who.user is not None
        data = NeedCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        submit = values.pop("submit")
        office = values.pop("regional_office", None)
        token = None
        if (raw := request.headers.get("Idempotency-Key")) is not None:
            try:
                token = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{who.user.pk}:{uuid.UUID(raw)}")
            except ValueError:
                raise BadRequest(
                    _("“Idempotency-Key” must be a UUID."),
                    code="invalid_idempotency_key",
                    field="Idempotency-Key",
                ) from None
        need = services.need_create_draft(
            by=who.user,
            title=values.pop("title"),
            description=values.pop("description"),
            language=values.pop("language"),
            regional_office=office if who.key is None else None,
            creation_token=token,
        )
        if need.status == Need.Status.DRAFT and values:
            services.need_update(need=need, by=who.user, **_update_arguments(values))
        if submit and need.status == Need.Status.DRAFT:
            services.need_submit(need=need, by=who.user)
        response = self._refetch(need)
        response.status_code = status.HTTP_201_CREATED
        response["Location"] = reverse("api:need-detail", kwargs={"pk": need.pk})
        return response

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        need = self.get_object()
        require(request, "needs.edit", need)
        who = requester(request)
        assert who.user is not None
        data = NeedUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        submit = values.pop("submit", False)
        services.need_update(need=need, by=who.user, **_update_arguments(values))
        if submit:
            services.need_submit(need=need, by=who.user)
        return self._refetch(need)

    @extend_schema(summary="Submit a draft need for screening", request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        need = self.get_object()
        require(request, "needs.submit", need)
        who = requester(request)
        assert who.user is not None
        services.need_submit(need=need, by=who.user)
        return self._refetch(need)

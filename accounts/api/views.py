from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import api_keys
from accounts.api.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateInputSerializer,
    ApiKeyOutputSerializer,
)
from accounts.models import ApiKey, Membership, User
from accounts.permissions import organizations_of
from catalog.models import Organization
from exchange.api_support import (
    UPDATED_SINCE_PARAMETER,
    ConditionalGetMixin,
    CreatedCursorPagination,
    parse_since,
)


def _keys_for_user(user: User) -> QuerySet[ApiKey]:
    """The keys of the organizations `user` manages: all of them for staff."""
    keys = ApiKey.objects.select_related("created_by")
    if user.is_staff:
        return keys
    managed = organizations_of(user, role=Membership.Role.ADMINISTRATOR)
    return keys.filter(organization__in=managed)


@extend_schema_view(
    list=extend_schema(
        summary="API keys of the organizations you administer",
        parameters=[UPDATED_SINCE_PARAMETER],
    ),
    retrieve=extend_schema(summary="One API key (never its secret)"),
)
class ApiKeyViewSet(
    ConditionalGetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[ApiKey],
):
    """API keys, managed by a person signed in to the portal (an organization's administrator
    or programme staff); keys themselves cannot create or list keys."""

    session_only = True
    serializer_class = ApiKeyOutputSerializer
    pagination_class = CreatedCursorPagination

    def get_queryset(self) -> QuerySet[ApiKey]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return ApiKey.objects.none()
        assert isinstance(self.request.user, User)
        keys = _keys_for_user(self.request.user)
        if self.action == "list" and (since := parse_since(self.request)) is not None:
            keys = keys.filter(created_at__gte=since)
        return keys

    @extend_schema(
        summary="Create an API key",
        request=ApiKeyCreateInputSerializer,
        responses={201: ApiKeyCreatedSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        assert isinstance(user, User)
        data = ApiKeyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization = get_object_or_404(
            Organization.objects.filter(
                pk__in=Organization.objects.all()
                if user.is_staff
                else organizations_of(user, role=Membership.Role.ADMINISTRATOR)
            ),
            pk=data.validated_data["organization"],
        )
        key, secret = api_keys.api_key_create(
            organization=organization,
            by=user,
            name=data.validated_data["name"],
            scopes=data.validated_data["scopes"],
            expires_at=data.validated_data.get("expires_at"),
        )
        body = ApiKeyCreatedSerializer(key, context={"secret": secret}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Revoke an API key at once", request=None)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        assert isinstance(request.user, User)
        key = api_keys.api_key_revoke(key=self.get_object(), by=request.user)
        return Response(ApiKeyOutputSerializer(key).data)

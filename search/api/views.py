from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from exchange.api_support import (
    ID_PATTERN,
    UPDATED_SINCE_PARAMETER,
    ConditionalGetMixin,
    CreatedCursorPagination,
    parse_since,
)
from search import services
from search.api.serializers import SavedSearchCreateSerializer, SavedSearchOutputSerializer
from search.forms import SearchForm
from search.models import SavedSearch


@extend_schema_view(
    list=extend_schema(
        summary="Your saved searches (`updated_since` compares with their creation)",
        parameters=[UPDATED_SINCE_PARAMETER],
    ),
    retrieve=extend_schema(summary="One of your saved searches"),
    create=extend_schema(
        summary="Save a search",
        request=SavedSearchCreateSerializer,
        responses={201: SavedSearchOutputSerializer},
    ),
    destroy=extend_schema(summary="Delete one of your saved searches"),
)
class SavedSearchViewSet(
    ConditionalGetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[SavedSearch],
):
    """A person's own saved searches; API keys, which belong to organizations, have none."""

    session_only = True
    serializer_class = SavedSearchOutputSerializer
    pagination_class = CreatedCursorPagination
    lookup_value_regex = ID_PATTERN

    def get_queryset(self) -> QuerySet[SavedSearch]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return SavedSearch.objects.none()
        assert isinstance(self.request.user, User)
        saved = SavedSearch.objects.filter(user=self.request.user)
        if self.action == "list" and (since := parse_since(self.request)) is not None:
            saved = saved.filter(created_at__gte=since)
        return saved

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assert isinstance(request.user, User)
        data = SavedSearchCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Stored as the search page understood it, as the browser's form does.
        query_string = SearchForm(QueryDict(data.validated_data["query_string"])).state()
        saved = services.saved_search_create(
            user=request.user,
            name=data.validated_data["name"].strip(),
            query_string=query_string.query_string(),
            email_digest=data.validated_data["email_digest"],
        )
        return Response(self.get_serializer(saved).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: SavedSearch) -> None:
        services.saved_search_delete(saved_search=instance)

"""The published catalogue in DCAT-AP for harvesters (catalog/linked_data.py): Turtle, RDF/XML or
JSON-LD by content negotiation (`Accept`, or `?format=ttl|rdf|jsonld`)."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import linked_data
from catalog.api.renderers import RDF_RENDERERS, FormatsAutoSchema
from catalog.api.views import _newest as newest_change
from catalog.api.views import entries_with_relations
from catalog.models import Entry, Tombstone
from exchange.api_support import (
    ID_PATTERN,
    PAGE_SIZE_PARAMETER,
    UPDATED_SINCE_PARAMETER,
    ConditionalGetMixin,
    UpdatedCursorPagination,
    parse_since,
)

_FORMATS = (
    "Turtle (`text/turtle`, the default), RDF/XML (`application/rdf+xml`) or JSON-LD "
    "(`application/ld+json`), by `Accept` or `?format=ttl|rdf|jsonld`."
)


@extend_schema_view(
    list=extend_schema(
        operation_id="catalog_list",
        summary="The published catalogue in DCAT-AP, for harvesters",
        description=(
            "A `dcat:Catalog` with the published entries of this page as `dcat:Dataset`s, "
            "oldest change first. The page is a `hydra:PagedCollection` whose "
            "`hydra:nextPage` leads to the next one (none on the last), as CKAN's DCAT "
            "harvester expects; `updated_since` harvests what changed. " + _FORMATS
        ),
        parameters=[
            UPDATED_SINCE_PARAMETER,
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From `hydra:nextPage`."),
            PAGE_SIZE_PARAMETER,
        ],
        responses={200: OpenApiTypes.STR},
        filters=False,
    ),
    retrieve=extend_schema(
        operation_id="catalog_retrieve",
        summary="One published entry as a DCAT-AP dataset",
        description=_FORMATS,
        parameters=[
            OpenApiParameter(
                "id",
                {"type": "string", "pattern": f"^{ID_PATTERN}$"},
                location=OpenApiParameter.PATH,
                description="The entry's id.",
            )
        ],
        responses={200: OpenApiTypes.STR},
    ),
)
class CatalogViewSet(ConditionalGetMixin, viewsets.GenericViewSet[Entry]):
    public_read = True
    renderer_classes = RDF_RENDERERS
    schema = FormatsAutoSchema()
    pagination_class = UpdatedCursorPagination
    lookup_value_regex = ID_PATTERN
    lookup_url_kwarg = "id"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[Entry]:
        """Published entries only, whoever asks: the catalogue is public."""
        return Entry.objects.published()

    def _absolute(self, path: str) -> str:
        return self.request.build_absolute_uri(path)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entries = self.get_queryset()
        if (since := parse_since(request)) is not None:
            entries = entries.filter(updated_at__gte=since)
        self.last_modified = newest_change(entries.order_by(), Tombstone.Kind.ENTRY)
        paginator = self.paginator
        assert isinstance(paginator, UpdatedCursorPagination)
        rows = paginator.paginate_queryset(entries_with_relations(entries), request, view=self)
        first = request.query_params.copy()
        first.pop(paginator.cursor_query_param, None)
        base = request.build_absolute_uri(request.path)
        page = linked_data.Page(
            url=request.build_absolute_uri(),
            first=f"{base}?{first.urlencode()}" if first else base,
            next=paginator.get_next_link(),
            previous=paginator.get_previous_link(),
            size=paginator.get_page_size(request),
        )
        graph = linked_data.catalog_graph(
            rows or [], page=page, absolute=self._absolute, modified=self.last_modified
        )
        return Response(graph)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entry = entries_with_relations(self.get_queryset()).filter(pk=int(kwargs["id"])).first()
        if entry is None:
            raise Http404(_("No published entry with this id."))
        self.last_modified = entry.updated_at
        return Response(linked_data.dataset_graph(entry, absolute=self._absolute))

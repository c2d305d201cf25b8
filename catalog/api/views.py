"""Catalogue entries, organizations, the deletions feed and the reference vocabularies."""

import base64
import binascii
import json
import uuid
from typing import Any

import orjson
from django.db import connection
from django.db.models import DateTimeField, Max, Prefetch, QuerySet
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from orjson import Fragment
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import entries_visible_to, entries_visible_to_key, organizations_of
from accounts.services import organization_update
from catalog import services
from catalog.api.renderers import FormatsMixin, SchemaOrgJSONLDRenderer
from catalog.api.rows import documents_possible, entry_documents
from catalog.api.serializers import (
    CountrySerializer,
    EntryCreateSerializer,
    EntryOutputSerializer,
    EntryUpdateSerializer,
    OrganizationSerializer,
    OrganizationUpdateSerializer,
    RegionSerializer,
    SdgGoalSerializer,
    SdgTargetSerializer,
    SupportKindSerializer,
    ThemeSerializer,
    TombstoneSerializer,
    prefetched,
)
from catalog.models import (
    Country,
    Entry,
    EntryLink,
    EntryProvider,
    Organization,
    ReferenceSource,
    SdgGoal,
    SdgTarget,
    SupportKind,
    Theme,
    Tombstone,
)
from catalog.structured_data import entry_json_ld
from exchange.api_errors import BadRequest
from exchange.api_json import JSONRenderer
from exchange.api_support import (
    ID_PATTERN,
    PAGE_SIZE_PARAMETER,
    UPDATED_SINCE_PARAMETER,
    ConditionalGetMixin,
    DeletedCursorPagination,
    UpdatedCursorPagination,
    parse_since,
    requester,
    require,
)
from search import engine, store
from search.engine import FACETS, SORTS
from search.forms import SearchForm
from search.selectors import facet_labels

# Entries --------------------------------------------------------------------------------------

# Parameters that make the entries list a search of the published catalogue (the browser's).
SEARCH_PARAMETERS = frozenset({"q", "sort", "facets", "event_from", "event_to"} | set(FACETS))
# Parameters of the plain list, which is what clients mirror.
LIST_ONLY_PARAMETERS = frozenset({"status", "organization", "updated_since"})
IDEMPOTENCY_NAMESPACE = uuid.UUID("6c1bcb57-3d1e-4c52-9a43-5f1f2b1b6a10")


# The columns of related rows that the API reads: reference rows carry names in six languages
# and organizations a description, which a page of entries does not show.
_COUNTRY_COLUMNS = ("iso3", "iso2", "name_en")
_ORGANIZATION_COLUMNS = ("name", "acronym", "website", "country")


def entries_with_relations(entries: QuerySet[Entry]) -> QuerySet[Entry]:
    """What the entry serializer shows, in a constant number of queries per page, each
    relation as a list (`catalog.api.serializers.prefetched`)."""

    def each(relation: str, queryset: QuerySet[Any]) -> Prefetch:
        return Prefetch(relation, queryset=queryset, to_attr=prefetched(relation))

    return entries.select_related("venue_country").prefetch_related(
        each("countries_of_origin", Country.objects.only(*_COUNTRY_COLUMNS)),
        each("countries_applied", Country.objects.only(*_COUNTRY_COLUMNS)),
        each("themes", Theme.objects.only("code", "name")),
        each("sdg_goals", SdgGoal.objects.only("number")),
        each("sdg_targets", SdgTarget.objects.only("code", "title_en")),
        each("support_kinds", SupportKind.objects.only("code")),
        each("member_organizations", Organization.objects.only(*_ORGANIZATION_COLUMNS)),
        each("links", EntryLink.objects.all()),
        each(
            "provider_links",
            EntryProvider.objects.select_related("organization")
            .only(
                "entry_id",
                "organization_id",
                "role",
                *(f"organization__{column}" for column in _ORGANIZATION_COLUMNS),
            )
            .order_by("role", "organization__name", "pk"),
        ),
    )


def _is_search(params: QueryDict) -> bool:
    return any(name in params for name in SEARCH_PARAMETERS - {"module"})


def _search_cursor(page: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"page": page}).encode()).decode()


def _search_page_of(raw: str | None) -> int:
    if not raw:
        return 1
    try:
        page = json.loads(base64.urlsafe_b64decode(raw.encode()))["page"]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeError):
        page = None
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= 500:
        raise BadRequest(
            _("This cursor is not one this API gave out."), code="invalid_cursor", field="cursor"
        )
    return page


ENTRY_LIST_PARAMETERS = [
    UPDATED_SINCE_PARAMETER,
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next` or `previous`."),
    PAGE_SIZE_PARAMETER,
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        enum=Entry.Status.values,
        description="Only entries in this state (yours; others see published entries only).",
    ),
    OpenApiParameter("organization", OpenApiTypes.INT, description="Entries it provides."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Search words: the list becomes a search."),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=list(SORTS), description="Search order."),
    OpenApiParameter(
        "facets",
        OpenApiTypes.STR,
        description="Comma-separated facets to count (or `all`): " + ", ".join(FACETS) + ".",
    ),
    # Strings: an empty date is ignored, as in the search page's form.
    OpenApiParameter(
        "event_from", OpenApiTypes.STR, description="Events from this day (YYYY-MM-DD)."
    ),
    OpenApiParameter(
        "event_to", OpenApiTypes.STR, description="Events until this day (YYYY-MM-DD)."
    ),
    *(
        OpenApiParameter(
            facet,
            OpenApiTypes.STR,
            many=True,
            description=f"Filter by {facet} (repeat for several values)."
            + (" Makes the list a search." if facet != "module" else ""),
        )
        for facet in FACETS
    ),
]


class EntryCursorPagination(UpdatedCursorPagination):
    """The plain list's pages; a search's pages have the same shape, with a total, facet
    counts (when asked) and notices."""

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        page = super().get_paginated_response_schema(schema)
        facet_value = {
            "type": "object",
            "properties": {
                "value": {"type": "string"},
                "label": {"type": "string"},
                "count": {"type": "integer"},
                "selected": {"type": "boolean"},
            },
        }
        page["properties"].update(
            {
                "total": {"type": "integer", "description": "Searches only: hits in all."},
                "facets": {
                    "type": "object",
                    "description": "Searches with `facets` only: counts per facet value.",
                    "additionalProperties": {"type": "array", "items": facet_value},
                },
                "notices": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Searches only: what was changed in the query, in words.",
                },
            }
        )
        return page


@extend_schema_view(
    list=extend_schema(
        summary="Catalogue entries: list, filter, search",
        description=(
            "Without search parameters: the entries you may see (anonymous clients: published "
            "ones), oldest change first, for mirroring with `updated_since` and "
            "`/deletions/`. With `q`, `sort`, `facets`, event dates or a filter other than "
            "`module`: a search of the published catalogue, as on the search page, best "
            "first; `status`, `organization` and `updated_since` do not combine with it (400)."
        ),
        parameters=ENTRY_LIST_PARAMETERS,
    ),
    retrieve=extend_schema(summary="One catalogue entry"),
    create=extend_schema(
        summary="Contribute an entry (a draft, or submitted with `submit`)",
        request=EntryCreateSerializer,
        responses={201: EntryOutputSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.UUID,
                location=OpenApiParameter.HEADER,
                description="The same key again returns the entry first created.",
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change an entry of your organization",
        request=EntryUpdateSerializer,
        responses={200: EntryOutputSerializer},
    ),
)
class EntryViewSet(
    FormatsMixin,
    ConditionalGetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Entry],
):
    public_read = True
    write_scope = "write-entries"
    serializer_class = EntryOutputSerializer
    pagination_class = EntryCursorPagination
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "head", "options"]
    extra_renderers = {"retrieve": [SchemaOrgJSONLDRenderer]}

    def get_queryset(self) -> QuerySet[Entry]:
        """The entries the requester may see: the one place entry views are scoped."""
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Entry.objects.none()
        who = requester(self.request)
        if who.key is not None:
            entries = entries_visible_to_key(who.key)
        else:
            entries = entries_visible_to(who.user)
        return entries_with_relations(entries)

    def _visible(self) -> QuerySet[Entry]:
        """The entries the requester may see, without the relations the serializer reads."""
        who = requester(self.request)
        if who.key is not None:
            return entries_visible_to_key(who.key)
        return entries_visible_to(who.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = request.query_params
        if _is_search(params):
            combined = sorted(LIST_ONLY_PARAMETERS & set(params))
            if combined:
                raise BadRequest(
                    _("“%(names)s” cannot be combined with a search.")
                    % {"names": ", ".join(combined)},
                    code="not_combinable",
                    field=combined[0],
                )
            return self._search(request)
        fast = connection.vendor == "postgresql" and documents_possible()
        entries = self._visible() if fast else self.get_queryset()
        modules = params.getlist("module")
        if modules:
            unknown = [m for m in modules if m not in Entry.Module.values]
            if unknown:
                raise BadRequest(_("Unknown module."), code="invalid_filter", field="module")
            entries = entries.filter(module__in=modules)
        if status_ := params.get("status"):
            if status_ not in Entry.Status.values:
                raise BadRequest(_("Unknown status."), code="invalid_filter", field="status")
            entries = entries.filter(status=status_)
        if (organization := params.get("organization")) is not None:
            if not organization.isascii() or not organization.isdigit() or len(organization) > 18:
                raise BadRequest(
                    _("“organization” must be an id."), code="invalid_filter", field="organization"
                )
            entries = entries.filter(
                pk__in=EntryProvider.objects.filter(organization_id=int(organization)).values(
                    "entry_id"
                )
            )
        if (since := parse_since(request)) is not None:
            entries = entries.filter(updated_at__gte=since)
        if not fast:  # SQLite (`make run`) and time zones other than UTC: the serializer
            self.last_modified = _newest(entries.order_by(), Tombstone.Kind.ENTRY)
            page = self.paginate_queryset(entries)
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        # Last-Modified in the page's statement: one round trip to the database fewer.
        newest_sql, newest_params = _newest_sql(entries.order_by(), Tombstone.Kind.ENTRY)
        newest = RawSQL(newest_sql, newest_params, output_field=DateTimeField())  # noqa: S611
        documents = self.paginate_queryset(entry_documents(entries, request, newest=newest))
        assert documents is not None
        self.last_modified = (
            documents[0]["newest"]
            if documents
            else _newest(entries.order_by(), Tombstone.Kind.ENTRY)
        )
        if isinstance(request.accepted_renderer, JSONRenderer):
            # Copied into the page as PostgreSQL wrote them.
            return self.get_paginated_response([Fragment(row["document"]) for row in documents])
        return self.get_paginated_response([orjson.loads(row["document"]) for row in documents])

    def _search(self, request: Request) -> Response:
        params = request.query_params
        labels = facet_labels()
        for facet in FACETS:
            for value in params.getlist(facet):
                if value not in labels[facet]:
                    raise BadRequest(
                        _("“%(value)s” is not a known value of “%(facet)s”.")
                        % {"value": value[:60], "facet": facet},
                        code="invalid_filter",
                        field=facet,
                    )
        if (sort := params.get("sort")) is not None and sort not in SORTS:
            raise BadRequest(_("Unknown sort order."), code="invalid_sort", field="sort")
        requested: list[str] = []
        for raw in params.getlist("facets"):
            for name in filter(None, (part.strip() for part in raw.split(","))):
                if name == "all":
                    requested += FACETS
                elif name in FACETS:
                    requested.append(name)
                else:
                    raise BadRequest(
                        _("“%(name)s” is not a facet.") % {"name": name[:60]},
                        code="invalid_facet",
                        field="facets",
                    )
        form = SearchForm(params, labels=labels)
        state = form.state()
        for name in ("event_from", "event_to"):
            if name in form.errors:
                raise BadRequest(_("Write dates as 2026-12-31."), code="invalid_date", field=name)
        paginator = UpdatedCursorPagination()
        size = paginator.get_page_size(request)
        page = _search_page_of(params.get("cursor"))
        search_request = state.request(
            page_size=size, page=page, facets=tuple(dict.fromkeys(requested))
        )
        try:
            result = engine.search(search_request)
        except store.IndexUnavailable:
            raise _Unavailable() from None
        ids = [hit.entry_id for hit in result.hits]
        by_id = {e.pk: e for e in self.get_queryset().filter(pk__in=ids)}
        rows = [by_id[pk] for pk in ids if pk in by_id]
        base = request.build_absolute_uri(request.path)
        query = params.copy()

        def link(to: int) -> str:
            query["cursor"] = _search_cursor(to)
            return f"{base}?{query.urlencode()}"

        body: dict[str, Any] = {
            "next": link(result.page + 1)
            if result.page < min(result.page_count, 500) and result.page == page
            else None,
            "previous": link(result.page - 1) if 1 < result.page else None,
            "results": self.get_serializer(rows, many=True).data,
            "total": result.total,
            "notices": form.notices + result.notices,
        }
        if requested:
            body["facets"] = {
                facet: [
                    {
                        "value": value.value,
                        "label": labels[facet].get(value.value, value.value),
                        "count": value.count,
                        "selected": value.selected,
                    }
                    for value in values
                ]
                for facet, values in result.facets.items()
            }
        return Response(body)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entry = self.get_object()
        self.last_modified = entry.updated_at
        if self.wants(request, SchemaOrgJSONLDRenderer):
            return Response(entry_json_ld(entry, request))
        return Response(self.get_serializer(entry).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        who = requester(request)
        assert who.user is not None
        data = EntryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        module, organization_id = values.pop("module"), values.pop("organization", None)
        links, submit = values.pop("links", []), values.pop("submit")
        organization = self._organization_for(request, organization_id)
        require(request, "entries.create")
        key = self._creation_key(request, organization)
        entry = services.entry_create(
            module=module,
            organization=organization,
            by=who.user,
            data=values,
            links=[(link["url"], link.get("label", "")) for link in links],
            submit=submit,
            creation_key=key,
        )
        body = self.get_serializer(self.get_queryset().get(pk=entry.pk)).data
        return Response(
            body,
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api:entry-detail", kwargs={"pk": entry.pk})},
        )

    def _organization_for(self, request: Request, organization_id: int | None) -> Organization:
        who = requester(request)
        if who.key is not None:
            if organization_id not in (None, who.key.organization_id):
                raise BadRequest(
                    _("An API key contributes for its own organization only."),
                    code="wrong_organization",
                    field="organization",
                )
            return who.key.organization
        assert who.user is not None
        mine = Organization.objects.all() if who.user.is_staff else organizations_of(who.user)
        if organization_id is None:
            only = list(mine[:2])
            if len(only) != 1:
                raise BadRequest(
                    _("Say which organization leads the entry."),
                    code="organization_required",
                    field="organization",
                )
            return only[0]
        found = mine.filter(pk=organization_id).first()
        if found is None:
            raise BadRequest(
                _("You can only contribute for an organization you are a member of."),
                code="wrong_organization",
                field="organization",
            )
        return found

    def _creation_key(self, request: Request, organization: Organization) -> uuid.UUID | None:
        raw = request.headers.get("Idempotency-Key")
        if raw is None:
            return None
        try:
            given = uuid.UUID(raw)
        except ValueError:
            raise BadRequest(
                _("“Idempotency-Key” must be a UUID."),
                code="invalid_idempotency_key",
                field="Idempotency-Key",
            ) from None
        # Scoped to the requester, so that no one can reach another's entry with its key.
        who = requester(request)
        scope = f"{organization.pk}:{who.user.pk if who.user else 0}:{given}"
        return uuid.uuid5(IDEMPOTENCY_NAMESPACE, scope)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entry = self.get_object()
        require(request, "entries.edit", entry)
        who = requester(request)
        assert who.user is not None
        data = EntryUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        submit = values.pop("submit", False)
        if "links" in values:
            links = [(link["url"], link.get("label", "")) for link in values.pop("links")]
        else:
            links = [(link.url, link.label) for link in entry.links.all()]
        services.entry_update(entry=entry, by=who.user, data=values, links=links, submit=submit)
        return Response(self.get_serializer(self.get_queryset().get(pk=entry.pk)).data)

    @extend_schema(summary="Submit a draft for moderation", request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        entry = self.get_object()
        require(request, "entries.submit", entry)
        who = requester(request)
        assert who.user is not None
        services.entry_submit(entry=entry, by=who.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=entry.pk)).data)


class _Unavailable(BadRequest):
    status_code = 503

    def __init__(self) -> None:
        super().__init__(_("Search is being rebuilt; try again in a minute."), code="unavailable")
        self.wait = 60


def _newest(objects: QuerySet[Any], kind: str) -> Any:
    """The newest change among `objects` and the deletions of their kind, in one statement
    (each maximum is read from an index: entry_updated_id, tombstone_deleted_at)."""
    if connection.vendor != "postgresql":  # SQLite (`make run`) has no GREATEST
        changed_at = objects.aggregate(newest=Max("updated_at"))["newest"]
        deleted = Tombstone.objects.filter(model=kind).aggregate(newest=Max("deleted_at"))
        return max(filter(None, (changed_at, deleted["newest"])), default=None)
    with connection.cursor() as cursor:
        cursor.execute(*_newest_sql(objects, kind))
        return cursor.fetchone()[0]


def _newest_sql(objects: QuerySet[Any], kind: str) -> tuple[str, tuple[Any, ...]]:
    """`_newest` as SQL and its parameters (PostgreSQL)."""
    changed, params = objects.order_by().values("updated_at").query.sql_with_params()
    return (  # the queryset's own SQL, its values as parameters
        f"SELECT GREATEST((SELECT MAX(updated_at) FROM ({changed}) AS changed),"  # noqa: S608
        f" (SELECT MAX(deleted_at) FROM {Tombstone._meta.db_table} WHERE model = %s))",
        (*params, kind),
    )


# Organizations --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Organizations that provide solutions",
        parameters=[
            UPDATED_SINCE_PARAMETER,
            OpenApiParameter("country", OpenApiTypes.STR, description="ISO alpha-3 code."),
            OpenApiParameter("type", OpenApiTypes.STR, enum=Organization.Type.values),
            PAGE_SIZE_PARAMETER,
        ],
    ),
    retrieve=extend_schema(summary="One organization"),
    partial_update=extend_schema(
        summary="Change your organization's profile",
        description=(
            "For the organization's administrators, signed in (API keys act with a "
            "contributor's rights and cannot change a profile), and programme staff. Only "
            "staff change the country, because it decides whether the organization is Southern."
        ),
        request=OrganizationUpdateSerializer,
        responses={200: OrganizationSerializer},
    ),
)
class OrganizationViewSet(
    FormatsMixin,
    ConditionalGetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Organization],
):
    public_read = True
    serializer_class = OrganizationSerializer
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Organization]:
        organizations = Organization.objects.select_related("country")
        if self.action != "list" or getattr(self, "swagger_fake_view", False):
            return organizations
        params = self.request.query_params
        if country := params.get("country"):
            organizations = organizations.filter(country__iso3=country.upper()[:3])
        if type_ := params.get("type"):
            if type_ not in Organization.Type.values:
                raise BadRequest(_("Unknown type."), code="invalid_filter", field="type")
            organizations = organizations.filter(type=type_)
        if (since := parse_since(self.request)) is not None:
            organizations = organizations.filter(updated_at__gte=since)
        self.last_modified = _newest(organizations.order_by(), Tombstone.Kind.ORGANIZATION)
        return organizations

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organization = self.get_object()
        self.last_modified = organization.updated_at
        return Response(self.get_serializer(organization).data)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organization = self.get_object()
        require(request, "organizations.manage", organization)
        who = requester(request)
        assert who.user is not None
        data = OrganizationUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization_update(
            organization=organization, by=who.user, changes=dict(data.validated_data)
        )
        organization.refresh_from_db()
        return Response(self.get_serializer(organization).data)


# Deletions ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Entries and organizations that left the public catalogue",
        description=(
            "Deleted, or (entries) no longer published: a mirror removes its copy. Apply the "
            "deletions since your last sync first, then the changes of `/entries/?updated_since=`."
        ),
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.STR,
                description="Only deletions at or after this moment (ISO 8601 date or time).",
            ),
            OpenApiParameter("model", OpenApiTypes.STR, enum=Tombstone.Kind.values),
            PAGE_SIZE_PARAMETER,
        ],
    )
)
class DeletionViewSet(
    FormatsMixin, ConditionalGetMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Tombstone]
):
    public_read = True
    serializer_class = TombstoneSerializer
    pagination_class = DeletedCursorPagination

    def get_queryset(self) -> QuerySet[Tombstone]:
        tombstones = Tombstone.objects.all()
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return tombstones
        if model := self.request.query_params.get("model"):
            if model not in Tombstone.Kind.values:
                raise BadRequest(_("Unknown model."), code="invalid_filter", field="model")
            tombstones = tombstones.filter(model=model)
        if (since := parse_since(self.request, "since")) is not None:
            tombstones = tombstones.filter(deleted_at__gte=since)
        self.note_last_modified(tombstones, "deleted_at")
        return tombstones


# Vocabularies ---------------------------------------------------------------------------------


class VocabularyViewSet(FormatsMixin, ConditionalGetMixin, viewsets.ReadOnlyModelViewSet[Any]):
    """Reference data, loaded from published sources: small lists, not paginated. With
    `updated_since` after the last load, a list is empty."""

    public_read = True
    pagination_class = None

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        loaded = ReferenceSource.objects.aggregate(newest=Max("loaded_at"))["newest"]
        since = parse_since(request)
        self.last_modified = loaded
        if since is not None and (loaded is None or loaded < since):
            return Response([])
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.last_modified = ReferenceSource.objects.aggregate(newest=Max("loaded_at"))["newest"]
        return super().retrieve(request, *args, **kwargs)


_VOCABULARY_LIST = extend_schema(parameters=[UPDATED_SINCE_PARAMETER])


@extend_schema_view(list=_VOCABULARY_LIST)
class CountryViewSet(VocabularyViewSet):
    """Countries with their M49 regions, groupings (LDC, LLDC, SIDS) and names in the six UN
    languages."""

    serializer_class = CountrySerializer
    queryset = Country.objects.select_related("regional_office")
    lookup_field = "iso3"
    lookup_value_regex = "[A-Za-z]{3}"

    def get_object(self) -> Country:
        self.kwargs["iso3"] = self.kwargs["iso3"].upper()
        return super().get_object()  # type: ignore[no-any-return]


@extend_schema_view(
    list=_VOCABULARY_LIST,
    retrieve=extend_schema(
        parameters=[OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH)]
    ),
)
class RegionViewSet(VocabularyViewSet):
    """M49 regions, sub-regions and intermediate regions with their countries."""

    serializer_class = RegionSerializer
    lookup_field = "code"
    lookup_value_regex = "[0-9]{3}"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Country.objects.none()
        areas: dict[str, dict[str, Any]] = {}
        levels = (
            ("region", None),
            ("subregion", "region"),
            ("intermediate_region", "subregion"),
        )
        for country in Country.objects.order_by("iso3"):
            for level, parent in levels:
                code = getattr(country, f"{level}_code")
                if not code:
                    continue
                area = areas.setdefault(
                    code,
                    {
                        "code": code,
                        "name": getattr(country, f"{level}_name"),
                        "level": level,
                        "parent": getattr(country, f"{parent}_code") or None if parent else None,
                        "countries": [],
                    },
                )
                area["countries"].append(country.iso3)
        return sorted(areas.values(), key=lambda area: area["code"])

    def get_object(self) -> Any:
        for area in self.get_queryset():
            if area["code"] == self.kwargs["code"]:
                return area
        from django.http import Http404

        raise Http404


@extend_schema_view(list=_VOCABULARY_LIST)
class ThemeViewSet(VocabularyViewSet):
    serializer_class = ThemeSerializer
    queryset = Theme.objects.all()
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]{1,50}"


@extend_schema_view(list=_VOCABULARY_LIST)
class SdgGoalViewSet(VocabularyViewSet):
    """The 17 Sustainable Development Goals, named in the six UN languages."""

    serializer_class = SdgGoalSerializer
    queryset = SdgGoal.objects.prefetch_related("targets")
    lookup_field = "number"
    lookup_value_regex = "[0-9]{1,2}"


@extend_schema_view(list=_VOCABULARY_LIST)
class SdgTargetViewSet(VocabularyViewSet):
    serializer_class = SdgTargetSerializer
    queryset = SdgTarget.objects.select_related("goal")
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{1,2}\.[0-9a-z]{1,2}"


@extend_schema_view(list=_VOCABULARY_LIST)
class SupportKindViewSet(VocabularyViewSet):
    serializer_class = SupportKindSerializer
    queryset = SupportKind.objects.all()
    lookup_field = "code"
    lookup_value_regex = "[-a-z]{1,30}"

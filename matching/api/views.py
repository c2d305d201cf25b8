"""Needs: list and read what the browser shows; officers (and keys acting for one, see
accounts/permissions.py "API keys") register, change and submit drafts through the same
services as the HTML views. Matches: a need's matches, the open needs an entry could serve, and
the steps of a match's life cycle (matching/services.py), with the browser's rules; an API key
acts for the entry's side only ("matches.respond", scope `manage-matches`)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import (
    entries_visible_to,
    entries_visible_to_key,
    matches_visible_to,
    matches_visible_to_key,
    needs_visible_to,
    needs_visible_to_key,
)
from catalog.api.renderers import FormatsMixin
from catalog.models import Entry
from exchange.api_errors import PROBLEM_CONTENT_TYPE, BadRequest, problem
from exchange.api_support import (
    ID_PATTERN,
    PAGE_SIZE_PARAMETER,
    UPDATED_SINCE_PARAMETER,
    ConditionalGetMixin,
    parse_since,
    requester,
    require,
)
from exchange.errors import ApplicationError
from matching import selectors, services
from matching.api.serializers import (
    MatchCompleteSerializer,
    MatchDeclineSerializer,
    MatchSerializer,
    MatchStepSerializer,
    MatchWithdrawSerializer,
    NeedCreateSerializer,
    NeedOutputSerializer,
    NeedUpdateSerializer,
    ServableNeedSerializer,
    explain,
)
from matching.models import Match, Need

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
    FormatsMixin,
    ConditionalGetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Need],
):
    write_scope = "write-needs"
    csv_actions = frozenset({"list", "matches"})
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

    @extend_schema(
        summary="The need's matches you may see, as on its page",
        description=(
            "Suggestions best first, then the matches people followed, those under way first. "
            "Staff and the officers of the need's office see them all; the organization leading "
            "an entry (a member, or its API key) sees its entry's matches once followed. "
            "Reasons are in the request's language (`Accept-Language`)."
        ),
        responses={200: MatchSerializer(many=True)},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def matches(self, request: Request, pk: str | None = None) -> Response:
        need = self.get_object()
        who = requester(request)
        if who.key is not None:
            found = matches_visible_to_key(who.key).filter(need=need).select_related("entry")
            matches = sorted(found, key=_page_order)
        else:
            shown = selectors.need_matches(need=need, user=who.user)
            matches = [*shown.suggested, *shown.followed]
        prefetch_related_objects(matches, "entry__provider_links__organization")
        return Response(MatchSerializer(matches, many=True, context={"request": request}).data)


def _page_order(match: Match) -> tuple[int, int, float, int]:
    """The order of the need's page (matching.selectors.need_matches): suggestions best first,
    then the followed matches, those under way first."""
    if match.status == Match.Status.SUGGESTED:
        return (0, 0, -match.score, match.pk)
    position = selectors._FOLLOWED_ORDER.index(Match.Status(match.status))
    return (1, position, -match.score, match.pk)


# Reverse matching: the open needs an entry could serve ----------------------------------------

SERVABLE_LIMIT_PARAMETER = OpenApiParameter(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": 20},
    description="How many needs, 1 to 20 (default 5).",
)
MAX_SERVABLE = 20


@extend_schema_view(
    list=extend_schema(
        summary="The open needs an entry could serve, best first (reverse matching)",
        description=(
            "As on the entry's page: public for a published entry; none for an entry not "
            "published. Reasons are in the request's language (`Accept-Language`)."
        ),
        parameters=[
            OpenApiParameter(
                "entry_id",
                {"type": "string", "pattern": f"^{ID_PATTERN}$"},
                location=OpenApiParameter.PATH,
                description="The entry's id.",
            ),
            SERVABLE_LIMIT_PARAMETER,
        ],
        responses={200: ServableNeedSerializer(many=True)},
        filters=False,
    ),
)
class EntryNeedsViewSet(FormatsMixin, ConditionalGetMixin, viewsets.GenericViewSet[Entry]):
    public_read = True
    pagination_class = None
    serializer_class = ServableNeedSerializer
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[Entry]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Entry.objects.none()
        who = requester(self.request)
        return entries_visible_to_key(who.key) if who.key else entries_visible_to(who.user)

    def list(self, request: Request, entry_id: str) -> Response:
        raw = request.query_params.get("limit")
        limit = 5
        if raw is not None and raw != "":
            if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_SERVABLE:
                raise BadRequest(
                    _("“limit” must be a whole number from 1 to %(max)s.") % {"max": MAX_SERVABLE},
                    code="invalid_limit",
                    field="limit",
                )
            limit = int(raw)
        entry = self.get_queryset().filter(pk=int(entry_id)).first()
        if entry is None:
            raise NotFound(_("No entry with this id that you can see."))
        servable = selectors.needs_entry_could_serve(entry=entry, limit=limit)
        prefetch_related_objects([item.need for item in servable], "countries")
        rows = [
            {
                "need": item.need,
                "score": round(float(item.ranked.score), 6),
                "breakdown": explain(item.ranked.as_json()),
            }
            for item in servable
        ]
        return Response(ServableNeedSerializer(rows, many=True, context={"request": request}).data)


# Matches and their life cycle -----------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    to: str
    body: type[MatchStepSerializer]
    run: Callable[..., Match]


# The steps, named as on the need's page (matching/views.py MATCH_ACTIONS).
STEPS: dict[str, Step] = {
    "shortlist": Step(Match.Status.SHORTLISTED, MatchStepSerializer, services.match_shortlist),
    "contact": Step(Match.Status.CONTACTED, MatchStepSerializer, services.match_mark_contacted),
    "agree": Step(Match.Status.AGREED, MatchStepSerializer, services.match_agree),
    "start": Step(
        Match.Status.IN_IMPLEMENTATION, MatchStepSerializer, services.match_start_implementation
    ),
    "complete": Step(Match.Status.COMPLETED, MatchCompleteSerializer, services.match_complete),
    "decline": Step(Match.Status.DECLINED, MatchDeclineSerializer, services.match_decline),
    "withdraw": Step(Match.Status.WITHDRAWN, MatchWithdrawSerializer, services.match_withdraw),
}

STALE_SCHEMA = {
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {
            "type": "object",
            "properties": {
                "version": {
                    "type": "integer",
                    "description": "With code `stale_version`: the match's version now.",
                }
            },
        },
    ]
}


def _step_schema(slug: str, summary: str, description: str) -> Callable[[Any], Any]:
    return extend_schema(
        summary=summary,
        description=description
        + " Answers 409 with code `stale_version` (and the current `version`) when the match "
        "changed since you read it, `illegal_transition` when its status does not allow the "
        "step, `step_refused` when its need or entry does not (a closed need, an entry no "
        "longer published).",
        request=STEPS[slug].body,
        responses={
            200: MatchSerializer,
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                response=STALE_SCHEMA, description="Conflict"
            ),
        },
    )


_NEED_SIDE = "The need's side: programme staff and the officers of the need's office."
_EITHER_SIDE = (
    "The need's side (staff, the need's officers) or the organization leading the entry "
    "(its members; its API keys with the `manage-matches` scope)."
)


@extend_schema_view(
    retrieve=extend_schema(summary="One match, with why it was suggested"),
)
class MatchViewSet(ConditionalGetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Match]):
    """A match and the steps of its life cycle (matching/services.py), each a POST naming the
    `version` its author saw."""

    write_scope = "manage-matches"
    serializer_class = MatchSerializer
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Match]:
        """The matches the requester may see: the browser's rule (`matches_visible_to`), or
        the provider side for a key."""
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Match.objects.none()
        who = requester(self.request)
        matches = matches_visible_to_key(who.key) if who.key else matches_visible_to(who.user)
        return matches.select_related("entry").prefetch_related(
            "entry__provider_links__organization"
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        match = self.get_object()
        self.last_modified = match.updated_at
        return Response(self.get_serializer(match).data)

    def _step(self, request: Request, slug: str) -> Response:
        step = STEPS[slug]
        match = self.get_object()
        require(request, services.STEP_PERMISSION[step.to], match)
        who = requester(request)
        assert who.user is not None
        body = step.body(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            step.run(match=match, by=who.user, **body.validated_data)
        except ApplicationError as exc:
            return self._refused(exc, match, step)
        return Response(self.get_serializer(self.get_queryset().get(pk=match.pk)).data)

    def _refused(self, exc: ApplicationError, match: Match, step: Step) -> Response:
        if "version" in exc.extra:
            response = problem(409, code="stale_version", detail=exc.message)
            response.data["version"] = exc.extra["version"]
            return response
        if exc.extra.get("fields"):
            raise exc  # missing answers: a 400 with field errors (exchange/api_errors.py)
        now = Match.objects.filter(pk=match.pk).values_list("status", flat=True).first()
        if now is None:
            raise NotFound(exc.message)
        if step.to not in services.TRANSITIONS[now]:
            return problem(409, code="illegal_transition", detail=exc.message)
        return problem(409, code="step_refused", detail=exc.message)

    @_step_schema("shortlist", "Shortlist a suggestion", _NEED_SIDE)
    @action(detail=True, methods=["post"])
    def shortlist(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "shortlist")

    @_step_schema("contact", "Record that both sides are in touch", _EITHER_SIDE)
    @action(detail=True, methods=["post"])
    def contact(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "contact")

    @_step_schema("agree", "Record the agreement (an open need becomes matched)", _EITHER_SIDE)
    @action(detail=True, methods=["post"])
    def agree(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "agree")

    @_step_schema("start", "Record that implementation started", _EITHER_SIDE)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "start")

    @_step_schema("complete", "Complete the match with its outcome", _EITHER_SIDE)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "complete")

    @_step_schema("decline", "Decline the match, saying why", _NEED_SIDE)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "decline")

    @_step_schema("withdraw", "Withdraw a match under way, saying why", _EITHER_SIDE)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "withdraw")

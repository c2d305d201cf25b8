"""Webhooks of an organization and their delivery log (README, "Webhooks").

Managed by the organization's administrators (and programme staff) signed in to the portal, or
by an API key of the organization with the scope `manage-webhooks` (that scope alone is
enough; "read" is not needed). Anyone else sees no webhook of the organization: 404.
"""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKey
from exchange.api_errors import MissingScope
from exchange.api_support import (
    ID_PATTERN,
    PAGE_SIZE_PARAMETER,
    ConditionalGetMixin,
    CreatedCursorPagination,
    UpdatedCursorPagination,
    requester,
)
from webhooks import selectors, services
from webhooks.api.serializers import (
    DeliveryOutputSerializer,
    WebhookCreateInputSerializer,
    WebhookOutputSerializer,
    WebhookUpdateInputSerializer,
    WebhookWithSecretSerializer,
)
from webhooks.models import Delivery, Webhook

FOLLOWS = (
    "An organization follows: the entries it leads (`entry.changed`: created, updated, "
    "published, archived, deleted); the public needs its entries are matched with "
    "(`need.changed`); and, when the webhook has `themes` or `countries` filters, the public "
    "needs and published entries that match every filter given (e.g. all needs in Kenya about "
    "water). `match.strong`: a new strong suggestion for an entry or a need it follows. "
    "Payloads carry the event, `action`, `occurred_at` and the object's API URL with a summary "
    "(id, title, status, updated_at), only for objects the organization may see; one that "
    "stops being visible is announced with its id and `visible: false`. Each call is signed: "
    '`X-Exchange-Signature: sha256=HMAC-SHA256(secret, "<X-Exchange-Timestamp>.<body>")`; '
    "`X-Exchange-Delivery` is the event id (the same on retries). Retries with backoff; "
    "a webhook that keeps failing is disabled."
)


class WebhookAccess(permissions.BasePermission):
    """Signed-in people (their organizations are checked per object), or API keys with the
    scope `manage-webhooks`."""

    def has_permission(self, request: Request, view: Any) -> bool:
        who = requester(request)
        if who.key is not None:
            if not who.key.has_scope(ApiKey.Scope.MANAGE_WEBHOOKS):
                raise MissingScope(
                    _("This API key lacks the scope “%(scope)s”.")
                    % {"scope": ApiKey.Scope.MANAGE_WEBHOOKS}
                )
            return True
        if who.user is not None:
            return True
        raise exceptions.NotAuthenticated()


class _ScopedToManager:
    request: Request

    def managed_webhooks(self) -> QuerySet[Webhook]:
        who = requester(self.request)
        return selectors.webhooks_managed(user=who.user, key=who.key)


@extend_schema_view(
    list=extend_schema(
        summary="Webhooks of the organizations you manage",
        description=FOLLOWS,
        parameters=[PAGE_SIZE_PARAMETER],
    ),
    retrieve=extend_schema(summary="One webhook (never its secret)"),
    destroy=extend_schema(summary="Delete a webhook and its delivery log"),
)
class WebhookViewSet(
    _ScopedToManager,
    ConditionalGetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Webhook],
):
    permission_classes = [WebhookAccess]
    serializer_class = WebhookOutputSerializer
    pagination_class = CreatedCursorPagination
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Webhook]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Webhook.objects.none()
        return (
            self.managed_webhooks()
            .select_related("created_by")
            .prefetch_related("themes", "countries")
        )

    @extend_schema(
        summary="Register a webhook (the response shows its secret, once)",
        description=FOLLOWS,
        request=WebhookCreateInputSerializer,
        responses={201: WebhookWithSecretSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = WebhookCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        who = requester(request)
        organization_id = values.get("organization")
        if organization_id is None:
            if who.key is None:
                raise exceptions.ValidationError(
                    {"organization": [_("Say which organization the webhook is for.")]}
                )
            organization_id = who.key.organization_id
        organization = get_object_or_404(
            selectors.organizations_managed(user=who.user, key=who.key), pk=organization_id
        )
        assert who.user is not None
        webhook, secret = services.webhook_create(
            organization=organization,
            by=who.user,
            url=values["url"],
            event_types=values["event_types"],
            theme_codes=values.get("themes", []),
            country_codes=values.get("countries", []),
            description=values.get("description", ""),
        )
        body = WebhookWithSecretSerializer(webhook, context={"secret": secret}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a webhook (URL, events, filters, description, enabled)",
        request=WebhookUpdateInputSerializer,
        responses={200: WebhookOutputSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        webhook = self.get_object()
        data = WebhookUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        renamed = {"themes": "theme_codes", "countries": "country_codes"}
        changes = {renamed.get(name, name): value for name, value in data.validated_data.items()}
        webhook = services.webhook_update(webhook=webhook, changes=changes)
        return Response(WebhookOutputSerializer(webhook).data)

    def perform_destroy(self, instance: Webhook) -> None:
        services.webhook_delete(webhook=instance)

    @extend_schema(
        summary="Replace the signing secret (the response shows the new one, once)",
        request=None,
        responses={200: WebhookWithSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        webhook, secret = services.webhook_rotate_secret(webhook=self.get_object())
        return Response(WebhookWithSecretSerializer(webhook, context={"secret": secret}).data)

    @extend_schema(
        summary="Send a test event (`ping`) now",
        request=None,
        responses={202: DeliveryOutputSerializer},
    )
    @action(detail=True, methods=["post"])
    def ping(self, request: Request, pk: str | None = None) -> Response:
        delivery = services.webhook_ping(webhook=self.get_object())
        delivery.refresh_from_db()
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class NewestFirstPagination(UpdatedCursorPagination):
    ordering = ("-created_at", "-id")


WEBHOOK_ID = OpenApiParameter(
    "webhook_id",
    {"type": "string", "pattern": f"^{ID_PATTERN}$"},
    location=OpenApiParameter.PATH,
    description="The webhook's id.",
)


@extend_schema_view(
    list=extend_schema(
        summary="A webhook's delivery log, newest first",
        parameters=[WEBHOOK_ID, PAGE_SIZE_PARAMETER],
    ),
    retrieve=extend_schema(summary="One delivery", parameters=[WEBHOOK_ID]),
)
class DeliveryViewSet(
    _ScopedToManager,
    ConditionalGetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Delivery],
):
    permission_classes = [WebhookAccess]
    serializer_class = DeliveryOutputSerializer
    pagination_class = NewestFirstPagination
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Delivery]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Delivery.objects.none()
        webhook = get_object_or_404(self.managed_webhooks(), pk=int(self.kwargs["webhook_id"]))
        return Delivery.objects.filter(webhook=webhook)

    @extend_schema(
        summary="Send a delivery's event again (a new delivery, the same event id)",
        request=None,
        responses={202: DeliveryOutputSerializer},
        parameters=[WEBHOOK_ID],
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, webhook_id: str, pk: str | None = None) -> Response:
        again = services.delivery_redeliver(delivery=self.get_object())
        again.refresh_from_db()
        return Response(DeliveryOutputSerializer(again).data, status=status.HTTP_202_ACCEPTED)

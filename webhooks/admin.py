"""Webhooks in the admin: read-mostly. Staff can look at them and their deliveries and disable
a webhook; registering one, rotating its secret and redelivering happen on the organization's
webhooks page or through the API. The secret never appears here."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from webhooks.models import Delivery, Webhook

WEBHOOK_FIELDS = [
    "organization",
    "url",
    "description",
    "event_types",
    "themes",
    "countries",
    "is_active",
    "consecutive_failures",
    "disabled_at",
    "disabled_reason",
    "created_by",
    "created_at",
    "updated_at",
]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin[Webhook]):
    list_display = ["url", "organization", "is_active", "consecutive_failures", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "organization__name"]
    fields = tuple(WEBHOOK_FIELDS)
    readonly_fields = [name for name in WEBHOOK_FIELDS if name != "is_active"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = ["event_type", "webhook", "status", "attempts", "response_status", "created_at"]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "webhook__url"]
    list_select_related = ["webhook", "webhook__organization"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

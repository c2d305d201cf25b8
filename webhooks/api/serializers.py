from typing import Any

from rest_framework import serializers

from exchange.api_support import StrictInputSerializer
from webhooks.models import Delivery, EventType, Webhook
from webhooks.targets import MAX_URL_LENGTH


class WebhookOutputSerializer(serializers.ModelSerializer[Webhook]):
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))
    themes = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="Theme codes (filter)."
    )
    countries = serializers.SlugRelatedField(
        slug_field="iso3",
        many=True,
        read_only=True,
        help_text="ISO alpha-3 country codes (filter).",
    )
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = Webhook
        fields = [
            "id",
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
        read_only_fields = fields

    def get_created_by(self, webhook: Webhook) -> str:
        return str(webhook.created_by) if webhook.created_by else ""


class WebhookWithSecretSerializer(WebhookOutputSerializer):
    secret = serializers.SerializerMethodField(
        help_text="The signing secret: shown this once only (creation, rotation)."
    )

    class Meta(WebhookOutputSerializer.Meta):
        fields = [*WebhookOutputSerializer.Meta.fields, "secret"]
        read_only_fields = fields

    def get_secret(self, webhook: Webhook) -> str:
        return str(self.context["secret"])


def _codes(max_length: int, help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=max_length),
        max_length=50,
        required=False,
        help_text=help_text,
    )


class WebhookInputSerializer(StrictInputSerializer):
    url = serializers.CharField(
        max_length=MAX_URL_LENGTH,
        help_text="https:// URL on a public address; checked again at every delivery.",
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), min_length=1, max_length=3
    )
    themes = _codes(50, "Follow also the public needs and published entries with these themes.")
    countries = _codes(3, "… and/or with these countries (ISO alpha-3).")

    def to_representation(self, instance: Any) -> Any:  # pragma: no cover - input only
        raise NotImplementedError


class WebhookCreateInputSerializer(WebhookInputSerializer):
    organization = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text="The organization's id; an API key's own organization when left out.",
    )


class WebhookUpdateInputSerializer(WebhookInputSerializer):
    is_active = serializers.BooleanField(
        required=False, help_text="false disables it; true enables it again."
    )


class DeliveryOutputSerializer(serializers.ModelSerializer[Delivery]):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "response_status",
            "response_excerpt",
            "last_error",
            "next_attempt_at",
            "last_attempt_at",
            "created_at",
            "updated_at",
            "payload",
        ]
        read_only_fields = fields

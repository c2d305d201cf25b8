from typing import Any

from rest_framework import serializers

from accounts.models import ApiKey
from exchange.api_support import StrictInputSerializer


class ApiKeyOutputSerializer(serializers.ModelSerializer[ApiKey]):
    created_by = serializers.SerializerMethodField()
    is_active = serializers.BooleanField(read_only=True)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiKey.Scope.choices))

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "organization",
            "name",
            "prefix",
            "scopes",
            "created_by",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "is_active",
        ]
        read_only_fields = fields

    def get_created_by(self, key: ApiKey) -> str:
        return str(key.created_by)


class ApiKeyCreatedSerializer(ApiKeyOutputSerializer):
    key = serializers.SerializerMethodField(help_text="The key itself: shown this once only.")

    class Meta(ApiKeyOutputSerializer.Meta):
        fields = [*ApiKeyOutputSerializer.Meta.fields, "key"]
        read_only_fields = fields

    def get_key(self, key: ApiKey) -> str:
        return str(self.context["secret"])


class ApiKeyCreateInputSerializer(StrictInputSerializer):
    organization = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiKey.Scope.choices),
        min_length=1,
        max_length=len(ApiKey.Scope),
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_scopes(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    def to_representation(self, instance: Any) -> Any:  # pragma: no cover - input only
        raise NotImplementedError

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from partners.models import PartnerSource, SyncRecordError, SyncRun


class PartnerSourceSerializer(serializers.ModelSerializer[PartnerSource]):
    """A partner source as its owners and programme staff see it: never its credentials,
    only whether they are configured."""

    has_credentials = serializers.SerializerMethodField()

    class Meta:
        model = PartnerSource
        fields = [
            "id",
            "name",
            "organization",
            "connector",
            "endpoint",
            "schedule",
            "enabled",
            "has_credentials",
            "last_success_at",
            "consecutive_failures",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_has_credentials(self, source: PartnerSource) -> bool:
        return bool(source.credentials_env)


class SyncRecordErrorSerializer(serializers.ModelSerializer[SyncRecordError]):
    class Meta:
        model = SyncRecordError
        fields = ["external_id", "message", "created_at"]
        read_only_fields = fields


class SyncRunSerializer(serializers.ModelSerializer[SyncRun]):
    source_name = serializers.CharField(source="source.name", read_only=True)

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "source",
            "source_name",
            "status",
            "trigger",
            "created_at",
            "started_at",
            "finished_at",
            "fetched",
            "created",
            "updated",
            "unchanged",
            "archived",
            "failed",
            "error",
        ]
        read_only_fields = fields


class SyncRunDetailSerializer(SyncRunSerializer):
    record_errors = serializers.SerializerMethodField(
        help_text="The first records the run skipped, and why (at most RECORD_ERRORS_SHOWN)."
    )

    class Meta(SyncRunSerializer.Meta):
        fields = [*SyncRunSerializer.Meta.fields, "record_errors"]
        read_only_fields = fields

    RECORD_ERRORS_SHOWN = 100

    @extend_schema_field(SyncRecordErrorSerializer(many=True))
    def get_record_errors(self, run: SyncRun) -> list[dict[str, object]]:
        errors = run.record_errors.all()[: self.RECORD_ERRORS_SHOWN]
        return list(SyncRecordErrorSerializer(errors, many=True).data)

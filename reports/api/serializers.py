from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exchange.api_support import StrictInputSerializer
from reports.models import ReportRun
from reports.report import ReportType

PARAMETER_SCHEMA = {
    "period_start": "date (YYYY-MM-DD)",
    "period_end": "date (YYYY-MM-DD), included",
    "region": "UNEP regional office code (africa, asia-pacific, west-asia, ...)",
    "subregion_m49": "UN M49 sub-region code (014)",
    "country_iso3": "ISO 3166 alpha-3 code",
    "theme": "theme code (/api/v1/themes/)",
    "sdg_goal": "SDG goal number, 1 to 17",
    "module": "catalogue module (technology, expertise, ...)",
    "organization_id": "organization id (/api/v1/organizations/)",
}


class ReportParameterSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField()
    description = serializers.CharField()


class ReportTypeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    parameters = serializers.SerializerMethodField()

    @extend_schema_field(ReportParameterSerializer(many=True))
    def get_parameters(self, report_type: ReportType) -> list[dict[str, str]]:
        return ReportParameterSerializer(
            [
                {"name": name, "description": PARAMETER_SCHEMA.get(name, name)}
                for name in report_type.parameters
            ],
            many=True,
        ).data  # type: ignore[return-value]


class ReportRunRequestSerializer(StrictInputSerializer):
    type = serializers.CharField(
        max_length=60, help_text="A report type's slug (/api/v1/reports/)."
    )
    parameters = serializers.DictField(
        required=False,
        default=dict,
        help_text=(
            "The parameters the report type takes (see its `parameters`); an officer's region "
            "and a key's organization are set for them."
        ),
    )


class ReportRunSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    type = serializers.CharField(source="type_slug")
    parameters = serializers.DictField()
    downloads = serializers.SerializerMethodField()
    page = serializers.SerializerMethodField()

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "type",
            "parameters",
            "status",
            "progress",
            "progress_message",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "read_at",
            "portal_version",
            "page",
            "downloads",
        ]
        read_only_fields = fields

    def get_page(self, run: ReportRun) -> str:
        return reverse("reports:run", args=[run.pk])

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "example": {"xlsx": "/api/v1/report-runs/7/download/?format=xlsx"},
        }
    )
    def get_downloads(self, run: ReportRun) -> dict[str, str]:
        """The download URL of each format, once the run succeeded."""
        if run.status != ReportRun.Status.SUCCEEDED:
            return {}
        base = reverse("api:report-run-download", kwargs={"pk": run.pk})
        return {name: f"{base}?format={name}" for name in ("csv", "xlsx", "pdf", "json")}

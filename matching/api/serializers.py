from typing import Any

from django.urls import reverse
from rest_framework import serializers

from catalog.models import Country, RegionalOffice, SdgTarget, SupportKind, Theme
from catalog.models.entries import CONTENT_LANGUAGES
from exchange.api_support import StrictInputSerializer
from matching.models import Need


def _codes(field: str) -> serializers.SlugRelatedField:  # type: ignore[type-arg]
    return serializers.SlugRelatedField(many=True, read_only=True, slug_field=field)


class NeedOutputSerializer(serializers.ModelSerializer[Need]):
    countries = _codes("iso3")
    themes = _codes("code")
    sdg_goals = _codes("number")
    sdg_targets = _codes("code")
    support_kinds = _codes("code")
    regional_office = serializers.SlugRelatedField(read_only=True, slug_field="code")
    url = serializers.SerializerMethodField(help_text="The need's page on the portal.")

    class Meta:
        model = Need
        fields = [
            "id",
            "url",
            "status",
            "title",
            "description",
            "language",
            "countries",
            "themes",
            "sdg_goals",
            "sdg_targets",
            "support_kinds",
            "priority",
            "time_frame",
            "needed_by",
            "regional_office",
            "origin",
            "origin_reference",
            "submitted_at",
            "opened_at",
            "matched_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, need: Need) -> str:
        path = reverse("matching:need_detail", kwargs={"pk": need.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


def _related(model: Any, field: str) -> serializers.SlugRelatedField:  # type: ignore[type-arg]
    return serializers.SlugRelatedField(
        many=True, slug_field=field, queryset=model.objects.all(), required=False
    )


class NeedUpdateSerializer(StrictInputSerializer):
    """A draft's fields; the SDG goals follow from the targets."""

    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(max_length=20_000, required=False)
    language = serializers.ChoiceField(choices=CONTENT_LANGUAGES, required=False)
    countries = _related(Country, "iso3")
    themes = _related(Theme, "code")
    sdg_targets = _related(SdgTarget, "code")
    support_kinds = _related(SupportKind, "code")
    priority = serializers.ChoiceField(choices=Need.Priority.choices, required=False)
    time_frame = serializers.ChoiceField(choices=Need.TimeFrame.choices, required=False)
    needed_by = serializers.DateField(required=False, allow_null=True)
    origin = serializers.ChoiceField(choices=Need.Origin.choices, required=False)
    origin_reference = serializers.CharField(max_length=300, required=False, allow_blank=True)
    submit = serializers.BooleanField(
        required=False, default=False, help_text="Submit the draft for screening as well."
    )


class NeedCreateSerializer(NeedUpdateSerializer):
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(max_length=20_000)
    language = serializers.ChoiceField(choices=CONTENT_LANGUAGES)
    regional_office = serializers.SlugRelatedField(
        slug_field="code",
        queryset=RegionalOffice.objects.all(),
        required=False,
        help_text="Programme staff only; officers register needs for their own office.",
    )

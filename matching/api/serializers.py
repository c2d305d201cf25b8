from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.api.serializers import EntryProviderSerializer
from catalog.models import Country, Entry, RegionalOffice, SdgTarget, SupportKind, Theme
from catalog.models.entries import CONTENT_LANGUAGES
from exchange.api_support import StrictInputSerializer
from matching.models import Match, Need


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


# Matches --------------------------------------------------------------------------------------


class FactorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One factor of a score: its value in [0, 1], weight, contribution to the score and the
    reasons, in words in the request's language (`Accept-Language`)."""

    name = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField()
    weight = serializers.FloatField()
    contribution = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


class BreakdownSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Why a score: the factors, largest contribution first (they add up to the score), the
    words the two texts share and flags such as "triangular"."""

    factors = FactorSerializer(many=True)
    matched_words = serializers.ListField(child=serializers.CharField())
    flags = serializers.ListField(child=serializers.CharField())


def explain(breakdown: Any) -> dict[str, Any]:
    """A stored breakdown (`Match.breakdown`, `RankedNeed.as_json()`) as the API shows it; the
    reasons are put into words by `Match.factor_lines` (matching/ranking/reasons.py)."""
    match = Match(breakdown=breakdown if isinstance(breakdown, dict) else {})
    return {
        "factors": [
            {
                "name": line.name,
                "label": line.label,
                "value": line.value,
                "weight": line.weight,
                "contribution": line.contribution,
                "reasons": list(line.reasons),
            }
            for line in match.factor_lines()
        ],
        "matched_words": [str(word) for word in match.matched_words],
        "flags": [str(flag) for flag in match.flags],
    }


class MatchEntrySerializer(serializers.ModelSerializer[Entry]):
    """The matched catalogue entry, in short (`/api/v1/entries/{id}/` has the rest)."""

    providers = EntryProviderSerializer(source="provider_links", many=True, read_only=True)
    url = serializers.SerializerMethodField(help_text="The entry's page on the portal.")
    # Plain strings: the enums are those of the entry (`/api/v1/entries/`), named once.
    status = serializers.CharField(read_only=True, help_text="The entry's status.")

    class Meta:
        model = Entry
        fields = ["id", "url", "module", "kind", "status", "title", "summary", "providers"]
        read_only_fields = fields

    def get_url(self, entry: Entry) -> str:
        path = reverse("catalog:entry_detail", kwargs={"module": entry.module, "pk": entry.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class MatchSerializer(serializers.ModelSerializer[Match]):
    need = serializers.IntegerField(source="need_id", help_text="The need's id.")
    entry = MatchEntrySerializer(read_only=True)
    breakdown = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The match on its need's page.")
    decline_reason = serializers.CharField(
        read_only=True, help_text="A `reason` of the decline step; empty unless declined."
    )

    class Meta:
        model = Match
        fields = [
            "id",
            "url",
            "need",
            "entry",
            "status",
            "score",
            "breakdown",
            "version",
            "ranked_at",
            "shortlisted_at",
            "contacted_at",
            "agreed_at",
            "implementation_started_at",
            "completed_at",
            "declined_at",
            "withdrawn_at",
            "decline_reason",
            "decline_comment",
            "withdraw_comment",
            "results",
            "beneficiaries",
            "lessons_learned",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(BreakdownSerializer)
    def get_breakdown(self, match: Match) -> dict[str, Any]:
        return explain(match.breakdown)

    def get_url(self, match: Match) -> str:
        path = reverse("matching:need_detail", kwargs={"pk": match.need_id})
        request = self.context.get("request")
        url = request.build_absolute_uri(path) if request is not None else path
        return f"{url}#match-{match.pk}"


class NeedSummarySerializer(serializers.ModelSerializer[Need]):
    """An open need, in short (`/api/v1/needs/{id}/` has the rest)."""

    countries = _codes("iso3")
    regional_office = serializers.SlugRelatedField(read_only=True, slug_field="code")
    url = serializers.SerializerMethodField(help_text="The need's page on the portal.")

    class Meta:
        model = Need
        fields = ["id", "url", "title", "countries", "regional_office", "needed_by"]
        read_only_fields = fields

    def get_url(self, need: Need) -> str:
        path = reverse("matching:need_detail", kwargs={"pk": need.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ServableNeedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """An open need an entry could serve, with the score and why."""

    need = NeedSummarySerializer(read_only=True)
    score = serializers.FloatField(help_text="From 0 to 1.")
    breakdown = BreakdownSerializer(read_only=True)


# The steps' bodies: each names the version of the match its author saw (`version`).

MAX_VERSION = 2_147_483_647


class MatchStepSerializer(StrictInputSerializer):
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        help_text="The match's `version` as you last read it; another one answers 409.",
    )


class MatchCompleteSerializer(MatchStepSerializer):
    results = serializers.CharField(max_length=20_000)
    beneficiaries = serializers.CharField(max_length=20_000)
    lessons_learned = serializers.CharField(max_length=20_000)


class MatchDeclineSerializer(MatchStepSerializer):
    reason = serializers.ChoiceField(choices=Match.DeclineReason.choices)
    comment = serializers.CharField(
        max_length=20_000,
        required=False,
        default="",
        allow_blank=True,
        help_text='Required when `reason` is "other".',
    )


class MatchWithdrawSerializer(MatchStepSerializer):
    comment = serializers.CharField(max_length=20_000, help_text="Why the match stops.")

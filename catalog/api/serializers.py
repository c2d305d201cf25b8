from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import (
    Country,
    Entry,
    EntryProvider,
    Organization,
    SdgGoal,
    SdgTarget,
    SupportKind,
    Theme,
    Tombstone,
)
from catalog.models.entries import CONTENT_LANGUAGES
from catalog.models.reference import UN_LANGUAGE_SUFFIXES
from exchange.api_support import StrictInputSerializer

# Entries --------------------------------------------------------------------------------------

# A page of entries loads each relation as a list, `Prefetch(..., to_attr=prefetched(name))`
# (catalog.api.views.entries_with_relations), and the fields below read that list when it is
# there: Django's usual prefetch builds a related manager and a queryset per entry and relation,
# which was a third of the time of a list of 100 (benchmarks/README.md, "REST API").


def prefetched(relation: str) -> str:
    return f"{relation}_prefetched"


def related_rows(obj: Any, relation: str) -> Any:
    """The rows of `obj`'s `relation`: the prefetched list, or else a query."""
    found = getattr(obj, prefetched(relation), None)
    return found if found is not None else getattr(obj, relation).all()


class _PrefetchedMany(serializers.ManyRelatedField):
    def get_attribute(self, instance: Any) -> Any:
        found = getattr(instance, prefetched(self.source), None)
        return found if found is not None else super().get_attribute(instance)


class _PrefetchedList(serializers.ListSerializer):  # type: ignore[type-arg]
    def get_attribute(self, instance: Any) -> Any:
        found = getattr(instance, prefetched(self.source), None)
        return found if found is not None else super().get_attribute(instance)


class _ReadsPrefetched:
    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> Any:
        many = super().many_init(*args, **kwargs)  # type: ignore[misc]
        many.__class__ = _PrefetchedMany  # DRF's ManyRelatedField, reading the list first
        return many


class _PrefetchedSlugs(_ReadsPrefetched, serializers.SlugRelatedField):  # type: ignore[type-arg]
    pass


class _PrefetchedIds(_ReadsPrefetched, serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    pass


class EntryProviderSerializer(serializers.ModelSerializer[EntryProvider]):
    organization = serializers.IntegerField(source="organization_id")
    name = serializers.CharField(source="organization.name")

    class Meta:
        model = EntryProvider
        fields = ["organization", "name", "role"]
        list_serializer_class = _PrefetchedList


class EntryLinkSerializer(serializers.Serializer):  # type: ignore[type-arg]
    url = serializers.URLField(max_length=500)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class Meta:
        list_serializer_class = _PrefetchedList


def _codes(field: str, **kwargs: Any) -> serializers.SlugRelatedField:  # type: ignore[type-arg]
    return _PrefetchedSlugs(many=True, read_only=True, slug_field=field, **kwargs)


class EntryOutputSerializer(serializers.ModelSerializer[Entry]):
    countries_of_origin = _codes("iso3", help_text="ISO 3166 alpha-3 codes.")
    countries_applied = _codes("iso3", help_text="ISO 3166 alpha-3 codes.")
    themes = _codes("code")
    sdg_goals = _codes("number")
    sdg_targets = _codes("code")
    support_kinds = _codes("code")
    member_organizations = _PrefetchedIds(many=True, read_only=True)
    providers = EntryProviderSerializer(source="provider_links", many=True, read_only=True)
    links = EntryLinkSerializer(many=True, read_only=True)
    venue_country = serializers.SlugRelatedField(read_only=True, slug_field="iso3", allow_null=True)
    contact_name = serializers.SerializerMethodField()
    contact_email = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The entry's page on the portal.")

    class Meta:
        model = Entry
        fields = [
            "id",
            "url",
            "module",
            "kind",
            "status",
            "title",
            "summary",
            "body",
            "language",
            "countries_of_origin",
            "countries_applied",
            "themes",
            "sdg_goals",
            "sdg_targets",
            "support_kinds",
            "providers",
            "member_organizations",
            "links",
            "contact_name",
            "contact_email",
            "starts_on",
            "ends_on",
            "deadline",
            "venue",
            "venue_country",
            "is_online",
            "is_verified",
            "published_at",
            "last_confirmed_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _contacts_shown(self) -> bool:
        # Contacts are personal data: shown to people and keys, as in the browser, where they
        # are shown to those signed in ("people.view_contacts").
        request = self.context.get("request")
        return bool(request is not None and request.user.is_authenticated)

    def get_contact_name(self, entry: Entry) -> str | None:
        return entry.contact_name if self._contacts_shown() else None

    def get_contact_email(self, entry: Entry) -> str | None:
        return entry.contact_email if self._contacts_shown() else None

    def get_url(self, entry: Entry) -> str:
        path = reverse("catalog:entry_detail", kwargs={"module": entry.module, "pk": entry.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class FacetValueSerializer(serializers.Serializer):  # type: ignore[type-arg]
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


def _related(model: Any, field: str, **kwargs: Any) -> serializers.SlugRelatedField:  # type: ignore[type-arg]
    return serializers.SlugRelatedField(
        many=True, slug_field=field, queryset=model.objects.all(), required=False, **kwargs
    )


class EntryWriteSerializer(StrictInputSerializer):
    """The fields a contributor fills in; which apply depends on the module (dates for
    opportunities and events, the venue for events): others are refused with a 400."""

    kind = serializers.ChoiceField(choices=Entry.Kind.choices)
    title = serializers.CharField(max_length=300)
    summary = serializers.CharField(max_length=1000)
    body = serializers.CharField(required=False, allow_blank=True, max_length=50_000)
    language = serializers.ChoiceField(choices=CONTENT_LANGUAGES)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    deadline = serializers.DateField(required=False, allow_null=True)
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)
    venue = serializers.CharField(required=False, allow_blank=True, max_length=200)
    venue_country = serializers.SlugRelatedField(
        slug_field="iso3", queryset=Country.objects.all(), required=False, allow_null=True
    )
    is_online = serializers.BooleanField(required=False)
    themes = _related(Theme, "code")
    sdg_goals = _related(SdgGoal, "number")
    sdg_targets = _related(SdgTarget, "code")
    countries_of_origin = _related(Country, "iso3")
    countries_applied = _related(Country, "iso3")
    support_kinds = _related(SupportKind, "code")
    links = EntryLinkSerializer(many=True, required=False, max_length=10)
    submit = serializers.BooleanField(
        required=False, default=False, help_text="Submit the draft for moderation as well."
    )


class EntryCreateSerializer(EntryWriteSerializer):
    module = serializers.ChoiceField(choices=Entry.Module.choices)
    organization = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The lead organization: one you are a member of. With an API key, the key's "
        "organization (the default).",
    )


class EntryUpdateSerializer(EntryWriteSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


# Organizations --------------------------------------------------------------------------------


class OrganizationSerializer(serializers.ModelSerializer[Organization]):
    country = serializers.SlugRelatedField(read_only=True, slug_field="iso3")
    is_southern = serializers.BooleanField(source="country.is_southern", read_only=True)
    website = serializers.CharField(read_only=True, help_text="A URL, or empty.")
    url = serializers.SerializerMethodField(help_text="The organization's page on the portal.")

    class Meta:
        model = Organization
        fields = [
            "id",
            "url",
            "name",
            "acronym",
            "type",
            "country",
            "is_southern",
            "website",
            "description",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, organization: Organization) -> str:
        path = reverse("catalog:organization_detail", kwargs={"pk": organization.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class OrganizationUpdateSerializer(StrictInputSerializer):
    """What an organization's administrators change in its profile; programme staff may also
    change the country, which decides whether it counts as Southern."""

    name = serializers.CharField(max_length=255)
    acronym = serializers.CharField(max_length=40, allow_blank=True)
    website = serializers.URLField(max_length=500, allow_blank=True)
    description = serializers.CharField(max_length=20_000, allow_blank=True)
    contact_email = serializers.EmailField(allow_blank=True)
    country = serializers.SlugRelatedField(
        slug_field="iso3",
        queryset=Country.objects.all(),
        help_text="ISO 3166 alpha-3 code; programme staff only.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


# Deletions ------------------------------------------------------------------------------------


class TombstoneSerializer(serializers.ModelSerializer[Tombstone]):
    id = serializers.IntegerField(source="object_id", help_text="The id of the object gone.")

    class Meta:
        model = Tombstone
        fields = ["model", "id", "deleted_at"]
        read_only_fields = fields


# Vocabularies ---------------------------------------------------------------------------------

_LANGUAGE_NAMES = {
    "type": "object",
    "properties": {s: {"type": "string"} for s in UN_LANGUAGE_SUFFIXES},
}


@extend_schema_field(_LANGUAGE_NAMES)
class InSixLanguages(serializers.Field):  # type: ignore[type-arg]
    """`{"en": ..., "fr": ..., "es": ..., "ar": ..., "ru": ..., "zh": ...}` from the columns
    `<field>_<language>`; an empty translation falls back to English."""

    def __init__(self, field: str, **kwargs: Any) -> None:
        self.prefix = field
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, obj: Any) -> dict[str, str]:
        english = getattr(obj, f"{self.prefix}_en")
        return {s: getattr(obj, f"{self.prefix}_{s}") or english for s in UN_LANGUAGE_SUFFIXES}


class AreaSerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField()
    name = serializers.CharField()


class CountrySerializer(serializers.ModelSerializer[Country]):
    names = InSixLanguages("name")
    region = serializers.SerializerMethodField()
    subregion = serializers.SerializerMethodField()
    intermediate_region = serializers.SerializerMethodField()
    groups = serializers.SerializerMethodField(help_text="Among: ldc, lldc, sids.")
    regional_office = serializers.SlugRelatedField(
        read_only=True, slug_field="code", allow_null=True
    )

    class Meta:
        model = Country
        fields = [
            "iso3",
            "iso2",
            "m49",
            "names",
            "region",
            "subregion",
            "intermediate_region",
            "groups",
            "is_g77",
            "is_southern",
            "regional_office",
        ]
        read_only_fields = fields

    def _area(self, country: Country, level: str) -> dict[str, str] | None:
        code = getattr(country, f"{level}_code")
        return {"code": code, "name": getattr(country, f"{level}_name")} if code else None

    @extend_schema_field(AreaSerializer(allow_null=True))
    def get_region(self, country: Country) -> dict[str, str] | None:
        return self._area(country, "region")

    @extend_schema_field(AreaSerializer(allow_null=True))
    def get_subregion(self, country: Country) -> dict[str, str] | None:
        return self._area(country, "subregion")

    @extend_schema_field(AreaSerializer(allow_null=True))
    def get_intermediate_region(self, country: Country) -> dict[str, str] | None:
        return self._area(country, "intermediate_region")

    def get_groups(self, country: Country) -> list[str]:
        return [group.lower() for group in country.groups]


class RegionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField(help_text="M49 code.")
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=["region", "subregion", "intermediate_region"])
    parent = serializers.CharField(allow_null=True, help_text="M49 code of the larger area.")
    countries = serializers.ListField(child=serializers.CharField(), help_text="ISO alpha-3.")


class ThemeSerializer(serializers.ModelSerializer[Theme]):
    class Meta:
        model = Theme
        fields = ["code", "name", "position"]
        read_only_fields = fields


class SdgTargetSerializer(serializers.ModelSerializer[SdgTarget]):
    goal = serializers.IntegerField(source="goal.number", read_only=True)
    titles = InSixLanguages("title")

    class Meta:
        model = SdgTarget
        fields = ["code", "goal", "titles"]
        read_only_fields = fields


class SdgGoalSerializer(serializers.ModelSerializer[SdgGoal]):
    short_names = InSixLanguages("short")
    titles = InSixLanguages("title")
    targets = _codes("code")

    class Meta:
        model = SdgGoal
        fields = ["number", "short_names", "titles", "targets"]
        read_only_fields = fields


class SupportKindSerializer(serializers.ModelSerializer[SupportKind]):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = SupportKind
        fields = ["code", "name"]
        read_only_fields = fields

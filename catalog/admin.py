"""Admin for programme staff: moderating the catalogue, organizations and the reference tables.

The entries table is expected to hold about a million rows, so its changelists avoid what scales
with the table: no full result count, no facet counts, filters on many-to-many relations written
as EXISTS subqueries (the built-in ones add DISTINCT), related rows through autocomplete widgets,
and ordering by primary key.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation, ShowFacets
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import staff_user
from catalog import selectors
from catalog.models import (
    Country,
    Entry,
    EntryLink,
    EntryProvider,
    EntryReview,
    Event,
    Experience,
    Expertise,
    Network,
    Opportunity,
    Organization,
    ReferenceSource,
    RegionalOffice,
    SdgGoal,
    SdgTarget,
    SupportKind,
    Technology,
    Theme,
)
from catalog.models.entries import KINDS_BY_MODULE, EntryQuerySet, Kind, Module
from catalog.models.organizations import OrganizationQuerySet
from catalog.services import (
    BulkResult,
    entries_archive,
    entries_confirm,
    entries_publish,
    entries_return_to_draft,
    entry_mark_locally_edited,
)
from partners.admin import OrganizationAliasInline

# Moderation actions are offered on the changelist and on each entry's change page.
BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


# List filters ----------------------------------------------------------------------------------


class _AppliedInFilter(admin.SimpleListFilter):
    """Entries applied in at least one country matching `country_lookup` = the chosen value."""

    country_lookup: str

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        applied = Entry.countries_applied.through.objects.filter(
            entry_id=OuterRef("pk"), **{f"country__{self.country_lookup}": self.value()}
        )
        return queryset.filter(Exists(applied))


class RegionFilter(_AppliedInFilter):
    title = _("region (applied in)")
    parameter_name = "region"
    country_lookup = "region_code"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return selectors.m49_regions()


class RegionalOfficeFilter(_AppliedInFilter):
    title = _("regional office (applied in)")
    parameter_name = "office"
    country_lookup = "regional_office__code"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(RegionalOffice.Code.choices)


class ThemeFilter(admin.SimpleListFilter):
    title = _("theme")
    parameter_name = "theme"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(theme.code, theme.name) for theme in Theme.objects.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        tagged = Entry.themes.through.objects.filter(
            entry_id=OuterRef("pk"), theme__code=self.value()
        )
        return queryset.filter(Exists(tagged))


class CooperationFilter(admin.SimpleListFilter):
    title = _("cooperation")
    parameter_name = "cooperation"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            (Entry.Cooperation.SOUTH_SOUTH.value, Entry.Cooperation.SOUTH_SOUTH.label),
            (Entry.Cooperation.TRIANGULAR.value, Entry.Cooperation.TRIANGULAR.label),
            ("southern", _("Any Southern provider (South-South or triangular)")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The same rules as the cooperation column (Entry.cooperation), in SQL.
        assert isinstance(queryset, EntryQuerySet)
        match self.value():
            case Entry.Cooperation.SOUTH_SOUTH:
                return queryset.south_south()
            case Entry.Cooperation.TRIANGULAR:
                return queryset.triangular()
            case "southern":
                return queryset.southern()
        return queryset


class KindFilter(admin.SimpleListFilter):
    """The kinds of the admin's module only, or all kinds in the all-entries admin."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        module = getattr(model_admin.model, "MODULE", None)
        kinds = KINDS_BY_MODULE[module] if module else Kind.values
        return [(kind, Kind(kind).label) for kind in kinds]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(kind=self.value()) if self.value() else queryset


# Entries ---------------------------------------------------------------------------------------


def m2m_options(field_name: str) -> dict[str, Any]:
    """Form field options shared by the entry and need admins: checkboxes for the short
    vocabularies (6 to 17 rows), which show every choice at once, and readable labels. Long
    vocabularies (countries, SDG targets) use autocomplete instead."""
    options: dict[str, Any] = {}
    if field_name in ("themes", "sdg_goals", "support_kinds"):
        options["widget"] = forms.CheckboxSelectMultiple
    if field_name in ("sdg_goals", "sdg_targets"):
        options["label"] = _("SDG goals") if field_name == "sdg_goals" else _("SDG targets")
    return options


class EntryProviderInline(admin.TabularInline[EntryProvider, Entry]):
    model = EntryProvider
    autocomplete_fields = ["organization"]
    fields = ["organization", "role", "is_southern"]
    readonly_fields = ["is_southern"]
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[EntryProvider]:
        return super().get_queryset(request).select_related("organization__country")

    @admin.display(boolean=True, description=_("Southern"))
    def is_southern(self, obj: EntryProvider) -> bool | None:
        return obj.organization.is_southern if obj.organization_id else None


class EntryLinkInline(admin.TabularInline[EntryLink, Entry]):
    model = EntryLink
    extra = 0


class ModuleEntryForm(forms.ModelForm[Entry]):
    """The form of a module's admin: the module is not a field, it is the admin's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set before validation: Entry.clean() checks the kind and dates against the module.
        self.instance.module = self.instance.MODULE  # type: ignore[attr-defined]


MODERATION_FIELDS = [
    "status",
    "is_verified",
    "last_confirmed_on",
    "submitted_at",
    "submitted_by",
    "published_at",
    "published_by",
    "archived_at",
    "archived_by",
]
PROVENANCE_FIELDS = ["source", "external_id", "created_at", "updated_at"]
# The entry's field each inline edits.
INLINE_FIELD_NAMES: dict[type[Any], str] = {EntryProvider: "providers", EntryLink: "links"}


def entry_fieldsets(module: str | None) -> list[tuple[Any, dict[str, Any]]]:
    """The form sections, leaving out those that do not apply to `module` (None: all)."""
    main = ["kind", "title", "summary", "body", "language"]
    fieldsets: list[tuple[Any, dict[str, Any]]] = [
        (None, {"fields": main if module else ["module", *main]}),
        (_("Providers"), {"fields": ["cooperation"]}),
        (
            _("Where and what"),
            {
                "fields": [
                    "countries_of_origin",
                    "countries_applied",
                    "themes",
                    "sdg_goals",
                    "sdg_targets",
                    "support_kinds",
                ]
            },
        ),
    ]
    if module in (None, Module.NETWORK):
        fieldsets.append((_("Network"), {"fields": ["member_organizations"]}))
    if module in (None, Module.OPPORTUNITY, Module.EVENT):
        fieldsets.append(
            (
                _("Dates and venue (opportunities and events)") if module is None else _("Dates"),
                {
                    "fields": [
                        ("starts_on", "ends_on", "deadline"),
                        "is_online",
                        "venue",
                        "venue_country",
                    ]
                },
            )
        )
    fieldsets += [
        (_("Contact"), {"fields": ["contact_name", "contact_email"]}),
        (
            _("Moderation"),
            {
                "fields": [
                    "status",
                    "is_verified",
                    "last_confirmed_on",
                    ("submitted_at", "submitted_by"),
                    ("published_at", "published_by"),
                    ("archived_at", "archived_by"),
                ]
            },
        ),
        (_("Provenance"), {"fields": PROVENANCE_FIELDS, "classes": ["collapse"]}),
    ]
    return fieldsets


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin[Entry]):
    """All entries of all modules; each module also has its own admin below."""

    list_display = [
        "title",
        "module",
        "kind",
        "status",
        "language",
        "cooperation",
        "is_verified",
        "source",
        "updated_at",
    ]
    list_select_related = ["source"]
    list_filter = [
        "module",
        "status",
        KindFilter,
        "language",
        ThemeFilter,
        "is_verified",
        RegionFilter,
        RegionalOfficeFilter,
        CooperationFilter,
        "source",
    ]
    search_fields = ["title", "=external_id"]
    search_help_text = _("Title contains the words, or the exact external id.")
    ordering = ["-pk"]
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    list_per_page = 50
    autocomplete_fields = [
        "countries_of_origin",
        "countries_applied",
        "sdg_targets",
        "member_organizations",
        "venue_country",
    ]
    readonly_fields = ["cooperation", *MODERATION_FIELDS, *PROVENANCE_FIELDS]
    inlines = [EntryProviderInline, EntryLinkInline]
    actions = ["publish", "archive", "return_to_draft", "confirm"]

    def get_readonly_fields(self, request: HttpRequest, obj: Entry | None = None) -> list[str]:
        # Verifying is the one moderation field staff set by hand.
        return [field for field in self.readonly_fields if field != "is_verified"]

    def get_fieldsets(self, request: HttpRequest, obj: Entry | None = None) -> Any:
        return entry_fieldsets(getattr(self.model, "MODULE", None))

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        return super().formfield_for_manytomany(
            db_field, request, **{**m2m_options(db_field.name), **kwargs}
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Entry]:
        # One query per page for the cooperation column, not one per row.
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("providers", queryset=Organization.objects.select_related("country"))
            )
        )

    @admin.display(description=_("cooperation"))
    def cooperation(self, obj: Entry) -> str:
        return str(obj.cooperation.label)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change:
            # Under the names the contribution forms use, so the partner sync keeps them.
            edited = [name for name in form.changed_data if name not in MODERATION_FIELDS]
            edited += [
                INLINE_FIELD_NAMES[formset.model]
                for formset in formsets
                if formset.model in INLINE_FIELD_NAMES and formset.has_changed()
            ]
            entry_mark_locally_edited(entry=form.instance, fields=edited)

    def _report(
        self,
        request: HttpRequest,
        result: BulkResult,
        *,
        done: Callable[[int], str],
        rule: str,
    ) -> None:
        if result.done:
            self.message_user(request, done(result.done), messages.SUCCESS)
        if result.skipped:
            skipped = ngettext(
                "%(count)d entry was skipped: %(rule)s",
                "%(count)d entries were skipped: %(rule)s",
                result.skipped,
            ) % {"count": result.skipped, "rule": rule}
            self.message_user(request, skipped, messages.WARNING)
        for error in result.errors:
            self.message_user(request, error, messages.ERROR)

    @admin.action(
        description=_("Publish"),
        description_plural=_("Publish selected %(verbose_name_plural)s"),
        permissions=["change"],
        location=BOTH_LOCATIONS,
    )
    def publish(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        result = entries_publish(entries=queryset, by=staff_user(request))
        self._report(
            request,
            result,
            done=lambda n: ngettext("Published %d entry.", "Published %d entries.", n) % n,
            rule=str(
                _(
                    "only drafts, submissions and archived entries that pass validation "
                    "can be published."
                )
            ),
        )

    @admin.action(
        description=_("Archive"),
        description_plural=_("Archive selected %(verbose_name_plural)s"),
        permissions=["change"],
        location=BOTH_LOCATIONS,
    )
    def archive(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        result = entries_archive(entries=queryset, by=staff_user(request))
        self._report(
            request,
            result,
            done=lambda n: ngettext("Archived %d entry.", "Archived %d entries.", n) % n,
            rule=str(_("only published entries can be archived.")),
        )

    @admin.action(
        description=_("Return to draft"),
        description_plural=_("Return selected %(verbose_name_plural)s to draft"),
        permissions=["change"],
        location=BOTH_LOCATIONS,
    )
    def return_to_draft(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        result = entries_return_to_draft(entries=queryset, by=staff_user(request))
        self._report(
            request,
            result,
            done=lambda n: (
                ngettext("Returned %d entry to draft.", "Returned %d entries to draft.", n) % n
            ),
            rule=str(_("only submitted entries can be returned to draft.")),
        )

    @admin.action(
        description=_("Confirm as still accurate"),
        description_plural=_("Confirm selected %(verbose_name_plural)s as still accurate"),
        permissions=["change"],
        location=BOTH_LOCATIONS,
    )
    def confirm(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        result = entries_confirm(entries=queryset, by=staff_user(request))
        self._report(
            request,
            result,
            done=lambda n: ngettext("Confirmed %d entry.", "Confirmed %d entries.", n) % n,
            rule=str(_("only published entries can be confirmed.")),
        )


class ModuleEntryAdmin(EntryAdmin):
    """One module's entries: the default manager of the proxy model filters by module and the
    form fixes the module of new entries."""

    form = ModuleEntryForm
    list_display = [field for field in EntryAdmin.list_display if field != "module"]
    list_filter = [field for field in EntryAdmin.list_filter if field != "module"]

    def formfield_for_choice_field(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.TypedChoiceField | None:
        if db_field.name == "kind":
            kinds = KINDS_BY_MODULE[self.model.MODULE]  # type: ignore[attr-defined]
            kwargs["choices"] = [("", "---------"), *((k, Kind(k).label) for k in kinds)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(Technology)
class TechnologyAdmin(ModuleEntryAdmin):
    pass


@admin.register(Expertise)
class ExpertiseAdmin(ModuleEntryAdmin):
    pass


@admin.register(Experience)
class ExperienceAdmin(ModuleEntryAdmin):
    pass


@admin.register(Opportunity)
class OpportunityAdmin(ModuleEntryAdmin):
    pass


@admin.register(Network)
class NetworkAdmin(ModuleEntryAdmin):
    pass


@admin.register(Event)
class EventAdmin(ModuleEntryAdmin):
    pass


# Organizations ---------------------------------------------------------------------------------


class SouthernFilter(admin.SimpleListFilter):
    title = _("Southern")
    parameter_name = "southern"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Southern")), ("no", _("Northern"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        assert isinstance(queryset, OrganizationQuerySet)
        if self.value() == "yes":
            return queryset.southern()
        if self.value() == "no":
            return queryset.northern()
        return queryset


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ["name", "acronym", "type", "country", "is_southern", "source"]
    list_select_related = ["country", "source"]
    list_filter = ["type", SouthernFilter, "country__regional_office", "source"]
    search_fields = ["name", "acronym", "=external_id"]
    show_full_result_count = False
    autocomplete_fields = ["country"]
    fields = [
        "name",
        "acronym",
        "type",
        "country",
        "is_southern",
        "website",
        "description",
        "contact_email",
        *PROVENANCE_FIELDS,
    ]
    readonly_fields = ["is_southern", *PROVENANCE_FIELDS]
    inlines = [OrganizationAliasInline]

    @admin.display(
        boolean=True, description=_("Southern (from its country)"), ordering="country__is_southern"
    )
    def is_southern(self, obj: Organization) -> bool:
        return obj.is_southern


# Reference tables ------------------------------------------------------------------------------


class ReferenceAdmin(admin.ModelAdmin[Any]):
    """Loaded from published sources by `manage.py load_reference`: viewable, never edited here,
    not even by superusers, because the next load would not know about the change."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Country)
class CountryAdmin(ReferenceAdmin):
    list_display = [
        "iso3",
        "name",
        "region_name",
        "subregion_name",
        "ldc",
        "lldc",
        "sids",
        "g77",
        "southern",
        "regional_office",
    ]
    list_select_related = ["regional_office"]
    list_filter = [
        "region_name",
        "subregion_name",
        "is_ldc",
        "is_lldc",
        "is_sids",
        "is_g77",
        "is_southern",
        "regional_office",
    ]
    search_fields = [
        "iso3",
        "iso2",
        "m49",
        "name_en",
        "name_fr",
        "name_es",
        "name_ar",
        "name_ru",
        "name_zh",
    ]
    ordering = ["name_en"]
    readonly_fields = ["is_southern"]

    @admin.display(description=_("name"), ordering="name_en")
    def name(self, obj: Country) -> str:
        return obj.name

    # Short headers for the flags, so that the list fits beside its filters.
    @admin.display(boolean=True, description="LDC", ordering="is_ldc")
    def ldc(self, obj: Country) -> bool:
        return obj.is_ldc

    @admin.display(boolean=True, description="LLDC", ordering="is_lldc")
    def lldc(self, obj: Country) -> bool:
        return obj.is_lldc

    @admin.display(boolean=True, description="SIDS", ordering="is_sids")
    def sids(self, obj: Country) -> bool:
        return obj.is_sids

    @admin.display(boolean=True, description="G77", ordering="is_g77")
    def g77(self, obj: Country) -> bool:
        return obj.is_g77

    @admin.display(boolean=True, description=_("Southern"), ordering="is_southern")
    def southern(self, obj: Country) -> bool:
        return obj.is_southern


@admin.register(RegionalOffice)
class RegionalOfficeAdmin(ReferenceAdmin):
    list_display = ["code", "name"]
    search_fields = ["code"]


@admin.register(Theme)
class ThemeAdmin(ReferenceAdmin):
    list_display = ["name", "code", "position"]
    search_fields = ["name", "code"]


@admin.register(SdgGoal)
class SdgGoalAdmin(ReferenceAdmin):
    list_display = ["number", "short_en", "title_en"]
    search_fields = ["short_en", "title_en"]


@admin.register(SdgTarget)
class SdgTargetAdmin(ReferenceAdmin):
    list_display = ["code", "goal", "title_en"]
    list_select_related = ["goal"]
    list_filter = ["goal"]
    search_fields = ["code", "title_en"]


@admin.register(SupportKind)
class SupportKindAdmin(ReferenceAdmin):
    list_display = ["code", "name"]
    search_fields = ["code"]


@admin.register(ReferenceSource)
class ReferenceSourceAdmin(ReferenceAdmin):
    list_display = ["key", "rows", "licence", "loaded_at", "source_url"]
    search_fields = ["key"]


@admin.register(EntryReview)
class EntryReviewAdmin(admin.ModelAdmin[EntryReview]):
    """Moderation decisions, read-only: they are made on the review pages (/moderation/)."""

    list_display = ["entry", "decision", "by", "created_at"]
    list_filter = ["decision"]
    list_select_related = ["entry", "by"]
    raw_id_fields = ["entry", "by"]
    search_fields = ["entry__title", "comment"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

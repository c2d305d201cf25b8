"""Reads for the browser pages: counts for the home page, filtered lists and detail rows.

List and detail querysets prefetch everything their templates touch, so a page costs the same
number of queries whatever the number of rows (tests/catalog/test_pages.py holds them to it).
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.permissions import entries_owned_by
from catalog.models import (
    Country,
    Entry,
    EntryProvider,
    EntryReview,
    Organization,
    RegionalOffice,
    SdgTarget,
    Theme,
)
from catalog.models.entries import EntryQuerySet
from catalog.models.reference import language_suffix
from catalog.pages import MODULE_PAGES, ModulePage
from matching.models import Need

LIST_PAGE_SIZE = 25

# The reference data has the M49 region names in English only; these are UI labels. Keyed by
# number, as the stored codes may or may not be zero-padded ("2" or "002").
M49_REGION_NAMES: dict[int, Promise] = {
    2: _("Africa"),
    19: _("Americas"),
    142: _("Asia"),
    150: _("Europe"),
    9: _("Oceania"),
}
M49_SUBREGION_NAMES: dict[int, Promise] = {
    15: _("Northern Africa"),
    202: _("Sub-Saharan Africa"),
    21: _("Northern America"),
    419: _("Latin America and the Caribbean"),
    143: _("Central Asia"),
    30: _("Eastern Asia"),
    35: _("South-eastern Asia"),
    34: _("Southern Asia"),
    145: _("Western Asia"),
    151: _("Eastern Europe"),
    154: _("Northern Europe"),
    39: _("Southern Europe"),
    155: _("Western Europe"),
    53: _("Australia and New Zealand"),
    54: _("Melanesia"),
    57: _("Micronesia"),
    61: _("Polynesia"),
}
# The UNEP subprogrammes are stored in English (data/reference/unep-subprogrammes.csv).
THEME_NAMES: dict[str, Promise] = {
    "climate-change": _("Climate change"),
    "disasters-conflicts": _("Disasters and conflicts"),
    "ecosystem-management": _("Ecosystem management"),
    "environmental-governance": _("Environmental governance"),
    "chemicals-waste": _("Harmful substances and hazardous waste"),
    "resource-efficiency": _("Resource efficiency (sustainable consumption and production)"),
}


@dataclass(frozen=True)
class CountRow:
    """One row of a count table on the home page."""

    label: str
    count: int
    page: ModulePage | None = None


@dataclass(frozen=True)
class HomeCounts:
    entries: int
    by_module: list[CountRow]
    by_office: list[CountRow]
    by_region: list[CountRow]
    organizations_southern: int
    organizations_other: int
    open_needs: int


def m49_regions() -> list[tuple[str, str]]:
    """(code, name) of the M49 regions that have countries, named in the active language."""
    rows = Country.objects.exclude(region_code="").values_list("region_code", "region_name")
    named = {(code, str(M49_REGION_NAMES.get(int(code), name))) for code, name in rows.distinct()}
    return sorted(named, key=lambda region: region[1])


def m49_subregions() -> list[tuple[str, str]]:
    """(code, name) of the M49 sub-regions that have countries, named in the active language."""
    rows = Country.objects.exclude(subregion_code="").values_list(
        "subregion_code", "subregion_name"
    )
    named = {
        (code, str(M49_SUBREGION_NAMES.get(int(code), name))) for code, name in rows.distinct()
    }
    return sorted(named, key=lambda subregion: subregion[1])


def country_choices() -> list[tuple[str, str]]:
    """(iso3, name) of all countries, named and sorted in the active language."""
    rows = Country.objects.values_list("iso3", f"name_{language_suffix()}", "name_en")
    return sorted(((iso3, name or name_en) for iso3, name, name_en in rows), key=lambda c: c[1])


def theme_choices() -> list[tuple[str, str]]:
    """(code, name) of the themes in their order, named in the active language."""
    return [
        (code, str(THEME_NAMES.get(code, name)))
        for code, name in Theme.objects.values_list("code", "name")
    ]


def _entry_in_region(relation: str, region_code: str) -> Exists:
    through = getattr(Entry, relation).through
    return Exists(through.objects.filter(entry=OuterRef("pk"), country__region_code=region_code))


def _entry_ids(relation: str, **lookups: str) -> QuerySet[Any]:
    """Ids of entries linked through a many-to-many relation; unlike a join, no duplicates."""
    return getattr(Entry, relation).through.objects.filter(**lookups).values("entry_id")


def home_counts() -> HomeCounts:
    published = Entry.objects.published()

    per_module = dict(published.values_list("module").annotate(n=Count("pk")).order_by())
    by_module = [
        CountRow(label=str(page.title), count=per_module.get(page.module, 0), page=page)
        for page in MODULE_PAGES
    ]

    # An entry applied in three countries of one office counts once for that office.
    per_office = dict(
        published.filter(countries_applied__regional_office__isnull=False)
        .values_list("countries_applied__regional_office__code")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    by_office = [
        CountRow(label=str(label), count=per_office.get(code, 0))
        for code, label in RegionalOffice.Code.choices
    ]

    # The rule of the region filter (EntryQuerySet.for_region): an entry counts for a region
    # when it comes from, or is applied in, one of the region's countries.
    regions = m49_regions()
    per_region = published.aggregate(
        **{
            f"region_{code}": Count(
                "pk",
                filter=Q(_entry_in_region("countries_of_origin", code))
                | Q(_entry_in_region("countries_applied", code)),
            )
            for code, _name in regions
        }
    )
    by_region = [CountRow(label=name, count=per_region[f"region_{code}"]) for code, name in regions]

    organizations = Organization.objects.aggregate(
        southern=Count("pk", filter=Q(country__is_southern=True)),
        other=Count("pk", filter=Q(country__is_southern=False)),
    )
    return HomeCounts(
        entries=sum(per_module.values()),
        by_module=by_module,
        by_office=by_office,
        by_region=by_region,
        organizations_southern=organizations["southern"],
        organizations_other=organizations["other"],
        open_needs=Need.objects.open().count(),
    )


def _with_list_relations(entries: EntryQuerySet) -> EntryQuerySet:
    # `Entry.cooperation` reads providers and their countries.
    return entries.prefetch_related(
        Prefetch("providers", queryset=Organization.objects.select_related("country")),
        "countries_of_origin",
        "countries_applied",
    )


def entries_for_list(
    *,
    module: str,
    region: str = "",
    country: str = "",
    theme: str = "",
    cooperation: str = "",
) -> EntryQuerySet:
    """Published entries of one module, newest first; empty filters are ignored."""
    entries = Entry.objects.published().of_module(module)
    if region:
        entries = entries.for_region(region)
    if country:
        entries = entries.filter(
            Q(pk__in=_entry_ids("countries_of_origin", country__iso3=country))
            | Q(pk__in=_entry_ids("countries_applied", country__iso3=country))
        )
    if theme:
        entries = entries.filter(pk__in=_entry_ids("themes", theme__code=theme))
    if cooperation == Entry.Cooperation.SOUTH_SOUTH:
        entries = entries.south_south()
    elif cooperation == Entry.Cooperation.TRIANGULAR:
        entries = entries.triangular()
    return _with_list_relations(entries)


# Lead providers first, then partners, then funders.
_PROVIDER_ROLE_ORDER = Case(
    *(When(role=role, then=Value(i)) for i, role in enumerate(EntryProvider.Role.values)),
    default=Value(len(EntryProvider.Role.values)),
)


def entry_get(*, module: str, pk: int) -> Entry | None:
    """A published entry of the module with everything its detail page shows."""
    return (
        Entry.objects.published()
        .of_module(module)
        .select_related("venue_country", "source")
        .prefetch_related(
            Prefetch("providers", queryset=Organization.objects.select_related("country")),
            Prefetch(
                "provider_links",
                queryset=EntryProvider.objects.select_related("organization__country").order_by(
                    _PROVIDER_ROLE_ORDER, "organization__name"
                ),
            ),
            Prefetch(
                "member_organizations", queryset=Organization.objects.select_related("country")
            ),
            "countries_of_origin",
            "countries_applied",
            "themes",
            "sdg_goals",
            Prefetch("sdg_targets", queryset=SdgTarget.objects.select_related("goal")),
            "support_kinds",
            "links",
        )
        .filter(pk=pk)
        .first()
    )


def organizations_for_list(
    *, region: str = "", country: str = "", organization_type: str = ""
) -> QuerySet[Organization]:
    """Organizations by name, each with the number of published entries it provides."""
    organizations = (
        Organization.objects.select_related("country")
        .annotate(
            published_entries=Count(
                "provider_links", filter=Q(provider_links__entry__status=Entry.Status.PUBLISHED)
            )
        )
        # An aggregate drops Meta.ordering; the paginator needs a stable order.
        .order_by("name", "pk")
    )
    if region:
        organizations = organizations.filter(country__region_code=region)
    if country:
        organizations = organizations.filter(country__iso3=country)
    if organization_type:
        organizations = organizations.filter(type=organization_type)
    return organizations


def organization_get(*, pk: int) -> Organization | None:
    return (
        Organization.objects.select_related("country__regional_office", "source")
        .filter(pk=pk)
        .first()
    )


def entries_for_organization(*, organization: Organization) -> EntryQuerySet:
    """Published entries the organization provides, of every module, newest first."""
    return _with_list_relations(
        Entry.objects.published().filter(
            pk__in=EntryProvider.objects.filter(organization=organization).values("entry_id")
        )
    )


def networks_of_organization(*, organization: Organization) -> EntryQuerySet:
    """Published networks the organization is a member of."""
    return Entry.objects.published().filter(
        module=Entry.Module.NETWORK, member_organizations=organization
    )


def entries_in_order(*, ids: list[int], cards: bool = True) -> list[Entry]:
    """The published entries among `ids`, in that order; with `cards`, with what an entry card
    shows. Ids of entries since unpublished or deleted (the search index lags the database by
    seconds) are left out."""
    entries = Entry.objects.published().filter(pk__in=ids)
    by_id = {entry.pk: entry for entry in (_with_list_relations(entries) if cards else entries)}
    return [by_id[pk] for pk in ids if pk in by_id]


def entries_of_same_providers(*, entry: Entry, limit: int = 5) -> list[Entry]:
    """A few other published entries that one of the entry's providers provides, newest first
    (titles and modules only: the detail page lists them as links)."""
    providers = EntryProvider.objects.filter(entry=entry).values("organization")
    return list(
        Entry.objects.published()
        .filter(pk__in=EntryProvider.objects.filter(organization__in=providers).values("entry_id"))
        .exclude(pk=entry.pk)
        .order_by("-published_at", "-pk")[:limit]
    )


def entries_for_export(*, ids: list[int]) -> list[Entry]:
    """`entries_in_order` with the themes and SDG targets that the CSV export lists."""
    entries = _with_list_relations(Entry.objects.published().filter(pk__in=ids))
    by_id = {entry.pk: entry for entry in entries.prefetch_related("themes", "sdg_targets")}
    return [by_id[pk] for pk in ids if pk in by_id]


# Contributions, moderation and history ---------------------------------------------------------


def entries_editable_by(user: Any) -> EntryQuerySet:
    """The entries `user` may open on the contribution pages: staff all, partners those their
    organizations lead (accounts.permissions.entries_owned_by), others none."""
    if getattr(user, "is_active", False) and getattr(user, "is_staff", False):
        return Entry.objects.all()
    return Entry.objects.filter(pk__in=entries_owned_by(user).values("pk"))


def entry_for_contributor(*, user: Any, pk: int) -> Entry | None:
    return entries_editable_by(user).filter(pk=pk).first()


# Filters of the "My entries" dashboard beside the statuses.
FLAG_TO_RECONFIRM = "to-reconfirm"
FLAG_STALE = "stale"


@dataclass(frozen=True)
class ContributorCounts:
    by_status: list[tuple[str, str, int]]  # (status, label, count)
    to_reconfirm: int
    stale: int
    total: int


def contributor_entries(*, user: Any, status: str = "", flag: str = "") -> EntryQuerySet:
    """The entries of the user's organizations, most recently changed first."""
    entries = Entry.objects.filter(pk__in=entries_owned_by(user).values("pk"))
    if status in Entry.Status.values:
        entries = entries.filter(status=status)
    if flag == FLAG_TO_RECONFIRM:
        entries = entries.to_reconfirm()
    elif flag == FLAG_STALE:
        entries = entries.stale_now()
    return entries.prefetch_related(
        Prefetch(
            "provider_links",
            queryset=EntryProvider.objects.filter(role=EntryProvider.Role.LEAD).select_related(
                "organization"
            ),
            to_attr="lead_links",
        )
    ).order_by("-updated_at", "-pk")


def contributor_counts(*, user: Any) -> ContributorCounts:
    entries = Entry.objects.filter(pk__in=entries_owned_by(user).values("pk"))
    per_status = dict(entries.values_list("status").annotate(n=Count("pk")).order_by())
    return ContributorCounts(
        by_status=[
            (status, str(label), per_status.get(status, 0))
            for status, label in Entry.Status.choices
        ],
        to_reconfirm=entries.to_reconfirm().count(),
        stale=entries.stale_now().count(),
        total=sum(per_status.values()),
    )


def latest_review(*, entry: Entry) -> EntryReview | None:
    return entry.reviews.select_related("by").first()


def entry_reviews(*, entry: Entry) -> list[EntryReview]:
    return list(entry.reviews.select_related("by"))


@dataclass(frozen=True)
class ModerationCounts:
    submitted: int
    oldest_submitted_at: Any
    to_reconfirm: int
    stale: int
    submitted_needs: int


def moderation_queue() -> EntryQuerySet:
    """Submitted entries, the longest waiting first, with their lead organizations."""
    return (
        Entry.objects.filter(status=Entry.Status.SUBMITTED)
        .select_related("submitted_by")
        .prefetch_related(
            Prefetch(
                "provider_links",
                queryset=EntryProvider.objects.filter(role=EntryProvider.Role.LEAD).select_related(
                    "organization"
                ),
                to_attr="lead_links",
            )
        )
        .order_by(F("submitted_at").asc(nulls_first=True), "pk")
    )


def moderation_counts() -> ModerationCounts:
    submitted = Entry.objects.filter(status=Entry.Status.SUBMITTED).aggregate(
        n=Count("pk"), oldest=Min("submitted_at")
    )
    return ModerationCounts(
        submitted=submitted["n"],
        oldest_submitted_at=submitted["oldest"],
        to_reconfirm=Entry.objects.to_reconfirm().count(),
        stale=Entry.objects.stale_now().count(),
        submitted_needs=Need.objects.filter(status=Need.Status.SUBMITTED).count(),
    )


def entry_for_review(*, pk: int) -> Entry | None:
    """Any entry, with what the review page shows (staff only: the view checks)."""
    return (
        Entry.objects.select_related("venue_country", "submitted_by", "published_by")
        .prefetch_related(
            Prefetch(
                "provider_links",
                queryset=EntryProvider.objects.select_related("organization__country").order_by(
                    _PROVIDER_ROLE_ORDER, "organization__name"
                ),
            ),
            "countries_of_origin",
            "countries_applied",
            "themes",
            "sdg_goals",
            Prefetch("sdg_targets", queryset=SdgTarget.objects.select_related("goal")),
            "support_kinds",
            "links",
        )
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryRow:
    date: Any
    user: Any
    action: str
    changes: list[FieldChange]


_HISTORY_ACTIONS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}
HISTORY_LIMIT = 15


def entry_history(*, entry: Entry, limit: int = HISTORY_LIMIT) -> list[HistoryRow]:
    """The latest `limit` versions of the entry, newest first, each with who saved it and the
    fields that differ from the version before: choices by label, related rows (foreign keys
    and many-to-many relations) by name, read in one query per related table."""
    records = list(
        entry.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    m2m_names = {field.name for field in Entry.history.model._history_m2m_fields}  # type: ignore[attr-defined]
    wanted: dict[Any, set[Any]] = {}  # related model -> ids to name
    raw: list[tuple[Any, list[tuple[Any, Any, Any]]]] = []
    for newer, older in zip(records[:limit], [*records[1:], None], strict=False):
        changes = []
        if older is not None:
            for change in newer.diff_against(older).changes:
                field = Entry._meta.get_field(change.field)
                old, new = change.old, change.new
                if change.field in m2m_names:
                    old = {_m2m_target(row) for row in old}
                    new = {_m2m_target(row) for row in new}
                    wanted.setdefault(field.related_model, set()).update(old | new)
                elif field.is_relation:
                    wanted.setdefault(field.related_model, set()).update({old, new} - {None})
                changes.append((field, old, new))
        raw.append((newer, changes))
    names = {
        model: {pk: str(obj) for pk, obj in model._default_manager.in_bulk(ids).items()}
        for model, ids in wanted.items()
    }
    return [
        HistoryRow(
            date=record.history_date,
            user=record.history_user,
            action=str(_HISTORY_ACTIONS.get(record.history_type, record.history_type)),
            changes=[
                FieldChange(
                    field=str(field.verbose_name),
                    old=_shown_value(field, old, names),
                    new=_shown_value(field, new, names),
                )
                for field, old, new in changes
            ],
        )
        for record, changes in raw
    ]


def _shown_value(field: Any, value: Any, names: dict[Any, dict[Any, str]]) -> str:
    if value is None or value == "" or value == set():
        return "—"
    if field.many_to_many:
        related = names[field.related_model]
        return ", ".join(sorted(related.get(pk, str(pk)) for pk in value))
    if field.is_relation:
        return names[field.related_model].get(value, str(value))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, datetime.datetime):
        return formats.localize(timezone.localtime(value))
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, datetime.date):
        return str(formats.localize(value))
    return str(value)


def _m2m_target(row: dict[str, Any]) -> int:
    """The related object's id in a row of a many-to-many history table ({"entry": 1,
    "country": 7})."""
    return next(value for key, value in row.items() if key != "entry")

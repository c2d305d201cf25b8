"""Supply and gaps: what the catalogue offers, and where open needs find nothing strong.

Supply is the published entries of the parameters, published by the end of the period (the
"new" column: published in it), by module, theme, SDG goal and provider region; an entry with
providers in two regions counts once in each. An entry is stale when it was not confirmed for
ENTRY_STALE_AFTER_DAYS before the end of the period (`Entry.is_stale`).

The gap map crosses the themes and countries of the needs open at the end of the period
(needs overview's rule) and counts those with no strong match, declined and withdrawn matches
left out; with a module or an organization chosen, only matches with its entries count.
"""

import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Entry, EntryProvider, RegionalOffice
from matching.models import Need
from reports.report import Chart, Column, Figure, Parameters, Report, ReportType, Table
from reports.scoping import (
    PERIOD,
    PLACE,
    TOPIC,
    Period,
    country_labels,
    country_rows_q,
    entry_filters,
    grouped,
    lazy_str,
    needs_in_scope,
    parameters_check,
    period_of,
    region_label,
    report_statements,
    sdg_labels,
    share,
    strong_match_exists,
    theme_labels,
)
from reports.types.cooperation_tracker import LIST_LIMIT
from reports.types.needs_overview import open_at_end

SLUG = "supply-and-gaps"
USES = (*PERIOD, *PLACE, *TOPIC, "module", "organization_id")


def stale_before(period: Period) -> datetime.date:
    """Entries last confirmed before this day are stale at the end of the period."""
    return timezone.localdate(period.at) - datetime.timedelta(days=settings.ENTRY_STALE_AFTER_DAYS)


@report_statements
def build(parameters: Parameters) -> Report:
    parameters_check(parameters, uses=USES)
    read_at = timezone.now()
    period = period_of(parameters, read_at=read_at)
    entries = (
        Entry.objects.order_by()
        .published()
        .filter(entry_filters(parameters), published_at__lt=period.at)
    )
    stale_q = Q(last_confirmed_on__isnull=True) | Q(last_confirmed_on__lt=stale_before(period))
    entry_counts = {
        "entries": Count("pk"),
        "new": Count("pk", filter=period.q("published_at")),
        "stale": Count("pk", filter=stale_q),
    }
    by_module = grouped(
        entries.values("module").annotate(**entry_counts),
        "module",
    )
    totals = {key: sum(row[key] for row in by_module.values()) for key in entry_counts}
    modules = [parameters.module] if parameters.module else list(Entry.Module.values)
    module_table = Table(
        slug="entries-by-module",
        title=_("Entries by module"),
        columns=(
            Column("module", _("Module")),
            Column("entries", _("Published entries"), "integer"),
            Column("new", _("Published in the period"), "integer"),
            Column("stale", _("Stale"), "integer"),
            Column("share_stale", _("Share stale"), "percent"),
        ),
        rows=tuple(
            (
                str(Entry.Module(module).label),
                (row := by_module.get(module, {"entries": 0, "new": 0, "stale": 0}))["entries"],
                row["new"],
                row["stale"],
                share(row["stale"], row["entries"]),
            )
            for module in modules
        ),
    )

    in_scope = entries.values("pk")
    # The link rows of the entries in scope, with one join to the entries (an `entry__in`
    # subquery would read the entries a second time for the "new" column's join).
    tag_scope = Q(
        entry_filters(parameters, entry_ref="entry_id", prefix="entry__"),
        entry__status=Entry.Status.PUBLISHED,
        entry__published_at__lt=period.at,
    )
    tag_counts = {
        "entries": Count("entry_id"),
        "new": Count("entry_id", filter=period.q("entry__published_at")),
    }
    themes = {
        pk: name
        for pk, (code, name) in theme_labels().items()
        if not parameters.theme or code == parameters.theme
    }
    theme_table = _by_tag(
        Entry.themes.through.objects.filter(tag_scope, theme_id__in=list(themes)),
        "theme_id",
        themes,
        tag_counts,
        slug="entries-by-theme",
        title=_("Entries by theme"),
        column=Column("theme", _("Theme")),
    )
    goals = {
        pk: f"{number}. {short}"
        for pk, (number, short) in sdg_labels().items()
        if parameters.sdg_goal is None or number == parameters.sdg_goal
    }
    sdg_table = _by_tag(
        Entry.sdg_goals.through.objects.filter(tag_scope, sdggoal_id__in=list(goals)),
        "sdggoal_id",
        goals,
        tag_counts,
        slug="entries-by-sdg",
        title=_("Entries by SDG goal"),
        column=Column("sdg_goal", _("SDG goal")),
    )

    by_region = dict(
        EntryProvider.objects.order_by()
        .filter(entry__in=in_scope)
        .values_list("organization__country__regional_office__code")
        .annotate(n=Count("entry_id", distinct=True))
    )
    region_codes: list[str | None] = list(RegionalOffice.Code.values)
    if by_region.get(None):
        region_codes.append(None)
    provider_table = Table(
        slug="entries-by-provider-region",
        title=_("Entries by region of their providers"),
        columns=(
            Column("region", _("Regional office of the provider")),
            Column("entries", _("Published entries"), "integer"),
        ),
        rows=tuple((region_label(code), by_region.get(code, 0)) for code in region_codes),
        note=_("An entry with providers in several regions counts once in each."),
    )

    gaps, gaps_by_country, gap_totals = _gaps(parameters, period)

    figures = (
        Figure(_("Published entries"), totals["entries"]),
        Figure(_("Entries published in the period"), totals["new"]),
        Figure(_("Stale entries"), totals["stale"]),
        Figure(_("Share of stale entries"), share(totals["stale"], totals["entries"]), "percent"),
        Figure(_("Needs open at the end of the period"), gap_totals["open"]),
        Figure(_("Open needs without a strong match"), gap_totals["unmatched"]),
        Figure(_("Themes and countries with a gap"), gap_totals["pairs"]),
    )
    notes = []
    if not totals["entries"]:
        notes.append(_("No published entries match these parameters."))
    if not gap_totals["open"]:
        notes.append(_("No needs matching these parameters were open at the end of the period."))
    return Report(
        type_slug=SLUG,
        title=_("Supply and gaps"),
        parameters=parameters,
        read_at=read_at,
        figures=figures,
        tables=(
            module_table,
            theme_table,
            sdg_table,
            provider_table,
            gaps_by_country,
            gaps,
        ),
        charts=(
            Chart(
                _("Entries by module"), "bar", "entries-by-module", "module", ("entries", "stale")
            ),
            Chart(_("Entries by theme"), "bar", "entries-by-theme", "theme", ("entries",)),
            Chart(
                _("Entries by region of their providers"),
                "bar",
                "entries-by-provider-region",
                "region",
                ("entries",),
            ),
            Chart(
                _("Open needs without a strong match, by country"),
                "choropleth",
                "gaps-by-country",
                "iso3",
                ("unmatched",),
            ),
        ),
        notes=tuple(notes),
    )


def _by_tag(
    rows: QuerySet[Any],
    key: str,
    labels: dict[int, str],
    counts: dict[str, Any],
    *,
    slug: str,
    title: str,
    column: Column,
) -> Table:
    found = grouped(rows.order_by().values(key).annotate(**counts), key)
    return Table(
        slug=slug,
        title=title,
        columns=(
            column,
            Column("entries", _("Published entries"), "integer"),
            Column("new", _("Published in the period"), "integer"),
        ),
        rows=tuple(
            (name, (row := found.get(pk, {"entries": 0, "new": 0}))["entries"], row["new"])
            for pk, name in labels.items()
        ),
        note=_("An entry with several tags counts once for each."),
    )


def _gaps(parameters: Parameters, period: Period) -> tuple[Table, Table, dict[str, int]]:
    open_needs = needs_in_scope(parameters).filter(open_at_end(period))
    gap_totals = open_needs.aggregate(
        open=Count("pk"),
        unmatched=Count("pk", filter=~Q(strong_match_exists(parameters, live_only=True))),
    )
    countries = Need.countries.through.objects.order_by().filter(
        country_rows_q(parameters), need__in=open_needs.values("pk")
    )
    strong = strong_match_exists(parameters, live_only=True, need_ref="need_id")
    counts = {"open": Count("need_id"), "unmatched": Count("need_id", filter=~Q(strong))}
    by_country = grouped(
        countries.values("country_id").annotate(**counts),
        "country_id",
    )
    by_pair: list[dict[str, Any]] = [
        dict(row) for row in countries.values("country_id", "need__themes").annotate(**counts)
    ]
    themes = theme_labels()
    wanted_theme = next((pk for pk, (code, _n) in themes.items() if code == parameters.theme), None)
    names = country_labels(by_country)
    gap_rows = []
    themes_with_gap: dict[int, int] = {}
    for row in by_pair:
        theme_id = row["need__themes"]
        if not row["unmatched"] or (parameters.theme and theme_id != wanted_theme):
            continue
        themes_with_gap[row["country_id"]] = themes_with_gap.get(row["country_id"], 0) + 1
        theme_name = themes[theme_id][1] if theme_id else _("No theme")
        iso3, country = names[row["country_id"]]
        gap_rows.append((theme_name, iso3, country, row["open"], row["unmatched"]))
    gap_rows.sort(key=lambda r: (-r[4], r[0], r[2]))
    gap_note = _("A need of several countries or themes counts once for each pair.")
    if len(gap_rows) > LIST_LIMIT:
        gap_note += " " + _(
            "Listed: the %(shown)s of %(total)s pairs with the most open needs without a strong "
            "match; the table by country counts them all."
        ) % {"shown": f"{LIST_LIMIT:,}", "total": f"{len(gap_rows):,}"}
    gaps = Table(
        slug="gaps",
        title=_("Gaps: themes and countries where open needs have no strong match"),
        columns=(
            Column("theme", _("Theme")),
            Column("iso3", _("ISO3")),
            Column("country", _("Country")),
            Column("open", _("Open needs"), "integer"),
            Column("unmatched", _("Without a strong match"), "integer"),
        ),
        rows=tuple(gap_rows[:LIST_LIMIT]),
        note=gap_note,
    )
    gaps_by_country = Table(
        slug="gaps-by-country",
        title=_("Open needs without a strong match, by country"),
        columns=(
            Column("iso3", _("ISO3")),
            Column("country", _("Country")),
            Column("open", _("Open needs"), "integer"),
            Column("unmatched", _("Without a strong match"), "integer"),
            Column("themes", _("Themes with a gap"), "integer"),
        ),
        rows=tuple(
            sorted(
                (*names[pk], row["open"], row["unmatched"], themes_with_gap.get(pk, 0))
                for pk, row in by_country.items()
            )
        ),
        note=_("A need of several countries counts once for each."),
    )
    return gaps, gaps_by_country, {**gap_totals, "pairs": len(gap_rows)}


REPORT_TYPE = ReportType(
    slug=SLUG,
    title=lazy_str(gettext_lazy("Supply and gaps")),
    description=lazy_str(
        gettext_lazy(
            "Catalogue entries by module, theme, SDG goal and provider region; the themes and "
            "countries where open needs have no strong match; stale entries."
        )
    ),
    build=build,
    parameters=USES,
)

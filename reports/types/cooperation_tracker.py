"""South-South cooperation tracker: the matches that became cooperation.

A match is "agreed in the period" when it was agreed in it, "running at the end of the period"
when it had been agreed by then and was neither completed nor withdrawn yet, "completed in the
period" when it was completed in it; the tracker lists the matches that are any of these. Its
cooperation is the entry's (`Entry.cooperation`: South-South when all providers other than UN
entities are Southern, triangular when a Northern one works with them).
"""

from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Entry, EntryProvider
from matching.models import Match, Need
from reports.report import Chart, Column, Figure, Parameters, Report, ReportType, Table
from reports.scoping import (
    PERIOD,
    PLACE,
    TOPIC,
    Period,
    cooperation_case,
    country_labels,
    country_rows_q,
    grouped,
    lazy_str,
    match_entry_filters,
    narrows_needs,
    needs_in_scope,
    parameters_check,
    period_of,
    report_statements,
    share,
)

SLUG = "cooperation-tracker"
USES = (*PERIOD, *PLACE, *TOPIC, "module", "organization_id")
# Rows of a list table, most relevant first; the counts of the other tables are always
# complete. A list of thousands of rows is no use in a printed report, and the PDF lays out
# every row (tens of milliseconds each).
LIST_LIMIT = 500


def cooperation_flags(period: Period, prefix: str = "") -> dict[str, Q]:
    """Conditions on matches (or, with `prefix` "matches__", on rows pointing at them)."""
    return {
        "agreed": period.q(f"{prefix}agreed_at"),
        "running": period.by_end(f"{prefix}agreed_at")
        & period.after_end(f"{prefix}completed_at")
        & period.after_end(f"{prefix}withdrawn_at"),
        "completed": period.q(f"{prefix}completed_at"),
    }


def cooperation_matches(matches: QuerySet[Match], period: Period) -> QuerySet[Match]:
    """The matches agreed, running or completed in the period."""
    flags = cooperation_flags(period)
    return matches.filter(flags["agreed"] | flags["running"] | flags["completed"])


def flag_counts(period: Period, key: str = "pk") -> dict[str, Any]:
    counts: dict[str, Any] = {"matches": Count(key)}
    counts.update({name: Count(key, filter=q) for name, q in cooperation_flags(period).items()})
    return counts


FLAG_COLUMNS = (
    ("matches", gettext_lazy("Cooperation in the period")),
    ("agreed", gettext_lazy("Agreed in the period")),
    ("running", gettext_lazy("Running at the end of the period")),
    ("completed", gettext_lazy("Completed in the period")),
)


def flag_columns(*first: Column) -> tuple[Column, ...]:
    return (*first, *(Column(key, str(label), "integer") for key, label in FLAG_COLUMNS))


def flag_row(counts: dict[str, int] | None) -> tuple[int, ...]:
    return tuple((counts or {}).get(key, 0) for key, _label in FLAG_COLUMNS)


@report_statements
def build(parameters: Parameters) -> Report:
    parameters_check(parameters, uses=USES)
    read_at = timezone.now()
    period = period_of(parameters, read_at=read_at)
    matches: QuerySet[Match] = Match.objects.order_by().filter(match_entry_filters(parameters))
    if narrows_needs(parameters):
        matches = matches.filter(need__in=needs_in_scope(parameters).values("pk"))
    matches = cooperation_matches(matches, period)
    totals = matches.aggregate(**flag_counts(period))

    by_kind = grouped(
        matches.annotate(cooperation=cooperation_case("entry_id"))
        .values("cooperation")
        .annotate(**flag_counts(period)),
        "cooperation",
    )
    kind_table = Table(
        slug="by-cooperation",
        title=_("South-South and triangular cooperation"),
        columns=flag_columns(Column("cooperation", _("Cooperation"))),
        rows=tuple(
            (str(label), *flag_row(by_kind.get(value)))
            for value, label in Entry.Cooperation.choices
        ),
    )

    country_q = country_rows_q(parameters, prefix="need__countries__")
    by_country = grouped(
        matches.filter(country_q).values("need__countries").annotate(**flag_counts(period)),
        "need__countries",
    )
    names = country_labels(by_country)
    country_table = Table(
        slug="by-country",
        title=_("Cooperation by country of the need"),
        columns=flag_columns(Column("iso3", _("ISO3")), Column("country", _("Country"))),
        rows=tuple(sorted((*names[pk], *flag_row(row)) for pk, row in by_country.items())),
        note=_("A need of several countries counts once for each."),
    )

    partner_table = _partner_table(matches, period)
    list_table = cooperation_list(matches, period, total=totals["matches"])
    figures = (
        Figure(_("Cooperation agreed in the period"), totals["agreed"]),
        Figure(_("Cooperation running at the end of the period"), totals["running"]),
        Figure(_("Cooperation completed in the period"), totals["completed"]),
        Figure(
            _("Share of South-South cooperation"),
            share(
                by_kind.get(Entry.Cooperation.SOUTH_SOUTH, {}).get("matches", 0), totals["matches"]
            ),
            "percent",
        ),
        Figure(
            _("Share of triangular cooperation"),
            share(
                by_kind.get(Entry.Cooperation.TRIANGULAR, {}).get("matches", 0), totals["matches"]
            ),
            "percent",
        ),
    )
    notes = []
    if not totals["matches"]:
        notes.append(_("No cooperation matches these parameters in this period."))
    return Report(
        type_slug=SLUG,
        title=_("South-South cooperation tracker"),
        parameters=parameters,
        read_at=read_at,
        figures=figures,
        tables=(kind_table, country_table, partner_table, list_table),
        charts=(
            Chart(
                _("South-South and triangular cooperation"),
                "bar",
                "by-cooperation",
                "cooperation",
                ("agreed", "running", "completed"),
            ),
            Chart(
                _("Cooperation by country of the need"),
                "choropleth",
                "by-country",
                "iso3",
                ("matches",),
            ),
        ),
        notes=tuple(notes),
    )


def _partner_table(matches: QuerySet[Match], period: Period) -> Table:
    """One row per provider organization of the matched entries, most cooperation first: the
    first LIST_LIMIT, with a note giving how many there are (thousands on a large portal)."""
    organization = "entry__provider_links__organization"
    by_partner = sorted(
        matches.filter(**{f"{organization}__isnull": False})
        .values(f"{organization}_id", f"{organization}__name", f"{organization}__country__iso3")
        .annotate(**flag_counts(period)),
        key=lambda row: (-row["matches"], row[f"{organization}__name"], row[f"{organization}_id"]),
    )
    note = _("The providers of the matched entries; a match with two providers counts for each.")
    if len(by_partner) > LIST_LIMIT:
        note += " " + _(
            "Listed: the %(shown)s of %(total)s partners with the most cooperation."
        ) % {"shown": f"{LIST_LIMIT:,}", "total": f"{len(by_partner):,}"}
    return Table(
        slug="by-partner",
        title=_("Cooperation by partner"),
        columns=flag_columns(
            Column("partner", _("Partner")), Column("iso3", _("Country of the partner"))
        ),
        rows=tuple(
            (row[f"{organization}__name"], row[f"{organization}__country__iso3"], *flag_row(row))
            for row in by_partner[:LIST_LIMIT]
        ),
        note=note,
    )


def cooperation_list(
    matches: QuerySet[Match], period: Period, *, total: int, slug: str = "cooperation"
) -> Table:
    """One row per match, latest agreed first, with its countries, partners and outcome."""
    rows = list(
        matches.annotate(cooperation=cooperation_case("entry_id"))
        .order_by("-agreed_at", "-pk")
        .values(
            "pk",
            "need_id",
            "need__title",
            "entry_id",
            "entry__title",
            "cooperation",
            "status",
            "agreed_at",
            "completed_at",
            "results",
            "beneficiaries",
            "lessons_learned",
        )[:LIST_LIMIT]
    )
    countries = _joined(
        Need.countries.through.objects.filter(
            need_id__in={row["need_id"] for row in rows}
        ).values_list("need_id", "country__iso3")
    )
    partners = _joined(
        EntryProvider.objects.filter(entry_id__in={row["entry_id"] for row in rows})
        .order_by("organization__name")
        .values_list("entry_id", "organization__name")
    )
    note = _("Matches agreed, running or completed in the period, latest agreed first.")
    if total > len(rows):
        note += " " + _("The first %(shown)s of %(total)s are listed.") % {
            "shown": f"{len(rows):,}",
            "total": f"{total:,}",
        }
    return Table(
        slug=slug,
        title=_("Cooperation"),
        columns=(
            Column("need", _("Need")),
            Column("countries", _("Countries")),
            Column("entry", _("Entry")),
            Column("partners", _("Partners")),
            Column("cooperation", _("Cooperation")),
            Column("status", _("Status")),
            Column("agreed_on", _("Agreed on"), "date"),
            Column("completed_on", _("Completed on"), "date"),
            Column("results", _("Results")),
            Column("beneficiaries", _("Beneficiaries")),
            Column("lessons", _("Lessons learned")),
        ),
        rows=tuple(
            (
                row["need__title"],
                countries.get(row["need_id"], ""),
                row["entry__title"],
                partners.get(row["entry_id"], ""),
                str(Entry.Cooperation(row["cooperation"]).label),
                str(Match.Status(row["status"]).label),
                timezone.localdate(row["agreed_at"]) if row["agreed_at"] else None,
                timezone.localdate(row["completed_at"]) if row["completed_at"] else None,
                row["results"],
                row["beneficiaries"],
                row["lessons_learned"],
            )
            for row in rows
        ),
        note=note,
    )


def _joined(pairs: Any) -> dict[int, str]:
    joined: dict[int, list[str]] = defaultdict(list)
    for key, value in pairs:
        joined[key].append(value)
    return {key: ", ".join(values) for key, values in joined.items()}


REPORT_TYPE = ReportType(
    slug=SLUG,
    title=lazy_str(gettext_lazy("South-South cooperation tracker")),
    description=lazy_str(
        gettext_lazy(
            "Agreed, running and completed cooperation with its partners, countries and "
            "outcomes; South-South and triangular."
        )
    ),
    build=build,
    parameters=USES,
)

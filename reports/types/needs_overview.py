"""Needs overview: needs by region, country, theme, SDG goal and status; new, open and closed
in the period; the median age of the needs open at its end.

A need counts from the moment it was submitted to programme staff (drafts are the officers'
work in progress). "New" needs were submitted in the period, "closed" ones closed in it; a need
is "open at the end of the period" when it had been opened by then and was neither matched nor
closed yet (a need open now whose agreed matches were withdrawn counts as open since it was
matched: the portal keeps no date for its reopening). Its status at the end of the period
follows from the same timestamps. A need of two countries, or with two themes, counts once
under each.
"""

from typing import Any

from django.db.models import Case, CharField, Count, DateTimeField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import RegionalOffice
from matching.models import Need
from reports.report import Chart, Column, Figure, Parameters, Report, ReportType, Table
from reports.scoping import (
    PERIOD,
    PLACE,
    TOPIC,
    Period,
    country_labels,
    country_rows_q,
    duration_percentiles,
    grouped,
    lazy_str,
    needs_in_scope,
    parameters_check,
    period_of,
    region_label,
    report_statements,
    sdg_labels,
    theme_labels,
)

SLUG = "needs-overview"
USES = PERIOD + PLACE + TOPIC


def _counts(period: Period, prefix: str = "") -> dict[str, Any]:
    """Conditional counts of needs (or of rows pointing at a need, with `prefix` "need__")."""
    key = "need_id" if prefix else "pk"
    return {
        "stated": Count(key),
        "new": Count(key, filter=period.q(f"{prefix}submitted_at")),
        "open": Count(key, filter=open_at_end(period, prefix)),
        "closed": Count(key, filter=period.q(f"{prefix}closed_at")),
    }


def open_at_end(period: Period, prefix: str = "") -> Q:
    return (
        period.by_end(f"{prefix}opened_at")
        & _not_matched_by_end(period, prefix)
        & period.after_end(f"{prefix}closed_at")
    )


def _not_matched_by_end(period: Period, prefix: str = "") -> Q:
    # A need whose agreed matches were all withdrawn is open again and keeps its `matched_at`:
    # one that is open now counts as open since then.
    return period.after_end(f"{prefix}matched_at") | Q(**{f"{prefix}status": Need.Status.OPEN})


def _status_at_end(period: Period) -> Case:
    return Case(
        When(period.by_end("closed_at"), then=Value(Need.Status.CLOSED)),
        When(~_not_matched_by_end(period), then=Value(Need.Status.MATCHED)),
        When(period.by_end("opened_at"), then=Value(Need.Status.OPEN)),
        When(period.by_end("validated_at"), then=Value(Need.Status.VALIDATED)),
        default=Value(Need.Status.SUBMITTED),
        output_field=CharField(),
    )


COUNT_COLUMNS = (
    Column("stated", lazy_str(gettext_lazy("Needs stated by the end of the period")), "integer"),
    Column("new", lazy_str(gettext_lazy("New in the period")), "integer"),
    Column("open", lazy_str(gettext_lazy("Open at the end of the period")), "integer"),
    Column("closed", lazy_str(gettext_lazy("Closed in the period")), "integer"),
)


def _columns(*first: Column) -> tuple[Column, ...]:
    # Labels are resolved in the language active while the report is built.
    return tuple(Column(c.key, str(c.label), c.kind) for c in (*first, *COUNT_COLUMNS))


def _row(counts: dict[str, Any] | None) -> tuple[int, ...]:
    counts = counts or {}
    return tuple(int(counts.get(key, 0)) for key in ("stated", "new", "open", "closed"))


@report_statements
def build(parameters: Parameters) -> Report:
    parameters_check(parameters, uses=USES)
    read_at = timezone.now()
    period = period_of(parameters, read_at=read_at)
    needs = needs_in_scope(parameters).filter(period.by_end("submitted_at"))
    in_scope = needs.values("pk")

    totals = needs.aggregate(opened=Count("pk", filter=period.q("opened_at")), **_counts(period))
    ages = duration_percentiles(
        needs.filter(open_at_end(period)).annotate(
            period_end=Value(period.at, output_field=DateTimeField())
        ),
        start="opened_at",
        end="period_end",
        fractions=(0.5,),
    )
    figures = (
        Figure(_("Needs stated by the end of the period"), totals["stated"]),
        Figure(_("New needs in the period"), totals["new"]),
        Figure(_("Needs opened in the period"), totals["opened"]),
        Figure(_("Needs open at the end of the period"), totals["open"]),
        Figure(_("Needs closed in the period"), totals["closed"]),
        Figure(_("Median age of the open needs"), ages[0], "days"),
    )

    by_office = grouped(
        needs.values("regional_office__code").annotate(**_counts(period)),
        "regional_office__code",
    )
    offices = [parameters.region] if parameters.region else list(RegionalOffice.Code.values)
    region_table = Table(
        slug="needs-by-region",
        title=_("Needs by regional office"),
        columns=_columns(Column("region", _("Regional office"))),
        rows=tuple((region_label(code), *_row(by_office.get(code))) for code in offices),
    )

    countries_through = Need.countries.through.objects.filter(need__in=in_scope)
    by_country = grouped(
        countries_through.filter(country_rows_q(parameters))
        .values("country_id")
        .annotate(**_counts(period, "need__"))
        .order_by(),
        "country_id",
    )
    country_names = country_labels(by_country)
    country_table = Table(
        slug="needs-by-country",
        title=_("Needs by country"),
        columns=_columns(Column("iso3", _("ISO3")), Column("country", _("Country"))),
        rows=tuple(
            sorted((*country_names[pk], *_row(counts)) for pk, counts in by_country.items())
        ),
        note=_("A need of several countries counts once for each."),
    )

    theme_table = _by_tag(
        Need.themes.through.objects.filter(need__in=in_scope),
        "theme_id",
        {pk: label for pk, label in theme_labels().items() if _kept(parameters.theme, label[0])},
        period,
        slug="needs-by-theme",
        title=_("Needs by theme"),
        column_key="theme",
        label=_("Theme"),
    )
    sdg_table = _by_tag(
        Need.sdg_goals.through.objects.filter(need__in=in_scope),
        "sdggoal_id",
        {
            pk: (number, f"{number}. {short}")
            for pk, (number, short) in sdg_labels().items()
            if parameters.sdg_goal is None or number == parameters.sdg_goal
        },
        period,
        slug="needs-by-sdg",
        title=_("Needs by SDG goal"),
        column_key="sdg_goal",
        label=_("SDG goal"),
    )

    by_status = dict(
        needs.annotate(status_at_end=_status_at_end(period))
        .values_list("status_at_end")
        .annotate(n=Count("pk"))
        .order_by()
    )
    status_table = Table(
        slug="needs-by-status",
        title=_("Needs by status at the end of the period"),
        columns=(Column("status", _("Status")), Column("needs", _("Needs"), "integer")),
        rows=tuple(
            (str(label), int(by_status.get(value, 0)))
            for value, label in Need.Status.choices
            if value != Need.Status.DRAFT
        ),
    )

    notes = []
    if not totals["stated"]:
        notes.append(_("No needs match these parameters in this period."))
    return Report(
        type_slug=SLUG,
        title=_("Needs overview"),
        parameters=parameters,
        read_at=read_at,
        figures=figures,
        tables=(region_table, country_table, theme_table, sdg_table, status_table),
        charts=(
            Chart(
                _("Needs by regional office"),
                "bar",
                "needs-by-region",
                "region",
                ("new", "open", "closed"),
            ),
            Chart(
                _("Needs open at the end of the period, by country"),
                "choropleth",
                "needs-by-country",
                "iso3",
                ("open",),
            ),
            Chart(_("Needs by theme"), "bar", "needs-by-theme", "theme", ("new", "open", "closed")),
            Chart(
                _("Needs by status at the end of the period"),
                "bar",
                "needs-by-status",
                "status",
                ("needs",),
            ),
        ),
        notes=tuple(notes),
    )


def _kept(wanted: str, code: str) -> bool:
    return not wanted or wanted == code


def _by_tag(
    through: QuerySet[Any],
    key: str,
    labels: dict[int, tuple[Any, str]],
    period: Period,
    *,
    slug: str,
    title: str,
    column_key: str,
    label: str,
) -> Table:
    counts = grouped(
        through.filter(**{f"{key}__in": list(labels)})
        .values(key)
        .annotate(**_counts(period, "need__"))
        .order_by(),
        key,
    )
    return Table(
        slug=slug,
        title=title,
        columns=_columns(Column(column_key, label)),
        rows=tuple((name, *_row(counts.get(pk))) for pk, (_code, name) in labels.items()),
        note=_("A need with several tags counts once for each."),
    )


REPORT_TYPE = ReportType(
    slug=SLUG,
    title=lazy_str(gettext_lazy("Needs overview")),
    description=lazy_str(
        gettext_lazy(
            "Needs by region, country, theme, SDG goal and status; new, open and closed in the "
            "period; the median age of open needs."
        )
    ),
    build=build,
    parameters=USES,
)

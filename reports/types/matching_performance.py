"""Matching performance: how the needs opened in the period were matched.

The needs are those of the parameters opened in the period; the matches are theirs (with an
entry of the module, when one is chosen). A match "reached" a step when that step or a later one
has a date: a match contacted without being shortlisted first counts as shortlisted too, so the
counts only shrink along the life cycle. A need has a strong match when one of its matches,
whatever became of it, scored at least MATCH_STRONG_THRESHOLD_PERCENT.
"""

from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import RegionalOffice
from matching.models import Match, Need
from reports.report import Cell, Chart, Column, Figure, Parameters, Report, ReportType, Table
from reports.scoping import (
    PERIOD,
    PLACE,
    TOPIC,
    duration_percentiles,
    grouped,
    lazy_str,
    match_entry_filters,
    needs_in_scope,
    parameters_check,
    period_of,
    region_label,
    report_statements,
    share,
    strong_match_exists,
    theme_labels,
)

SLUG = "matching-performance"
USES = (*PERIOD, *PLACE, *TOPIC, "module")

# (step, the dates that show a match reached it: its own and those of every later step)
_LATER = ("completed_at", "implementation_started_at", "agreed_at", "contacted_at")
STAGES: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("suggested", Match.Status.SUGGESTED.label, ()),
    ("shortlisted", Match.Status.SHORTLISTED.label, ("shortlisted_at", *_LATER)),
    ("contacted", Match.Status.CONTACTED.label, _LATER),
    ("agreed", Match.Status.AGREED.label, _LATER[:3]),
    ("completed", Match.Status.COMPLETED.label, _LATER[:1]),
)


def _reached(dates: tuple[str, ...]) -> Q:
    q = Q()
    for field in dates:
        q |= Q(**{f"{field}__isnull": False})
    return q


@report_statements
def build(parameters: Parameters) -> Report:
    parameters_check(parameters, uses=USES)
    read_at = timezone.now()
    period = period_of(parameters, read_at=read_at)
    needs = needs_in_scope(parameters).filter(period.q("opened_at"))
    matches = Match.objects.order_by().filter(
        match_entry_filters(parameters), need__in=needs.values("pk")
    )
    need_counts = _need_counts(parameters)
    totals = needs.aggregate(**need_counts)

    of_module = Q(matches__entry__module=parameters.module) if parameters.module else Q()
    with_dates = needs.annotate(
        first_suggested=Min("matches__created_at", filter=of_module or None),
        first_agreed=Min("matches__agreed_at", filter=of_module or None),
    )
    to_suggestion = duration_percentiles(with_dates, start="opened_at", end="first_suggested")
    to_agreement = duration_percentiles(with_dates, start="opened_at", end="first_agreed")

    figures = (
        Figure(_("Needs opened in the period"), totals["needs"]),
        Figure(_("Needs with at least one strong match"), totals["strong"]),
        Figure(
            _("Share of needs with at least one strong match"),
            share(totals["strong"], totals["needs"]),
            "percent",
        ),
        Figure(_("Needs with an agreed match"), totals["agreed"]),
        Figure(_("Median time from opening to the first suggestion"), to_suggestion[0], "days"),
        Figure(_("75th percentile, opening to the first suggestion"), to_suggestion[1], "days"),
        Figure(_("Median time from opening to agreement"), to_agreement[0], "days"),
        Figure(_("75th percentile, opening to agreement"), to_agreement[1], "days"),
    )

    reached = matches.aggregate(
        **{key: Count("pk", filter=_reached(dates)) for key, _label, dates in STAGES}
    )
    conversion_rows: list[tuple[Cell, ...]] = []
    previous = None
    for key, label, _dates in STAGES:
        count = reached[key]
        conversion_rows.append(
            (
                str(label),
                count,
                share(count, reached["suggested"]),
                share(count, previous) if previous is not None else None,
            )
        )
        previous = count
    conversion = Table(
        slug="conversion",
        title=_("Conversion through the life cycle"),
        columns=(
            Column("step", _("Step")),
            Column("matches", _("Matches that reached it"), "integer"),
            Column("of_suggested", _("Share of the suggestions"), "percent"),
            Column("of_previous", _("Share of the step before"), "percent"),
        ),
        rows=tuple(conversion_rows),
        note=_("Matches of the needs opened in the period."),
    )

    declined = dict(
        matches.filter(status=Match.Status.DECLINED)
        .values_list("decline_reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    total_declined = sum(declined.values())
    decline_table = Table(
        slug="decline-reasons",
        title=_("Why matches were declined"),
        columns=(
            Column("reason", _("Reason")),
            Column("matches", _("Matches"), "integer"),
            Column("share", _("Share of the declined matches"), "percent"),
        ),
        rows=tuple(
            (str(label), declined.get(value, 0), share(declined.get(value, 0), total_declined))
            for value, label in Match.DeclineReason.choices
        ),
    )

    by_office = grouped(
        needs.values("regional_office__code").annotate(**need_counts),
        "regional_office__code",
    )
    offices = [parameters.region] if parameters.region else list(RegionalOffice.Code.values)
    region_table = Table(
        slug="by-region",
        title=_("Matching by regional office"),
        columns=_group_columns(Column("region", _("Regional office"))),
        rows=tuple((region_label(code), *_group_row(by_office.get(code))) for code in offices),
    )

    themes = {
        pk: label
        for pk, label in theme_labels().items()
        if not parameters.theme or label[0] == parameters.theme
    }
    by_theme = grouped(
        Need.themes.through.objects.order_by()
        .filter(need__in=needs.values("pk"), theme_id__in=list(themes))
        .values("theme_id")
        .annotate(**_need_counts(parameters, "need_id"))
        .order_by(),
        "theme_id",
    )
    theme_table = Table(
        slug="by-theme",
        title=_("Matching by theme"),
        columns=_group_columns(Column("theme", _("Theme"))),
        rows=tuple((name, *_group_row(by_theme.get(pk))) for pk, (_c, name) in themes.items()),
        note=_("A need with several themes counts once for each."),
    )

    notes = []
    if not totals["needs"]:
        notes.append(_("No needs matching these parameters were opened in this period."))
    return Report(
        type_slug=SLUG,
        title=_("Matching performance"),
        parameters=parameters,
        read_at=read_at,
        figures=figures,
        tables=(conversion, decline_table, region_table, theme_table),
        charts=(
            Chart(
                _("Conversion through the life cycle"), "bar", "conversion", "step", ("matches",)
            ),
            Chart(_("Why matches were declined"), "bar", "decline-reasons", "reason", ("matches",)),
            Chart(
                _("Share of needs with a strong match, by regional office"),
                "bar",
                "by-region",
                "region",
                ("share_strong",),
            ),
            Chart(
                _("Share of needs with a strong match, by theme"),
                "bar",
                "by-theme",
                "theme",
                ("share_strong",),
            ),
        ),
        notes=tuple(notes),
    )


def _need_counts(parameters: Parameters, key: str = "pk") -> dict[str, Any]:
    """Counts of needs (or of need-theme rows, `key` "need_id"): all, with a strong match, with
    an agreed match."""
    agreed = Exists(
        Match.objects.filter(
            match_entry_filters(parameters), need=OuterRef(key), agreed_at__isnull=False
        )
    )
    strong = strong_match_exists(parameters, live_only=False, need_ref=key)
    return {
        "needs": Count(key),
        "strong": Count(key, filter=Q(strong)),
        "agreed": Count(key, filter=Q(agreed)),
    }


def _group_columns(first: Column) -> tuple[Column, ...]:
    return (
        first,
        Column("needs", _("Needs opened"), "integer"),
        Column("strong", _("With a strong match"), "integer"),
        Column("share_strong", _("Share with a strong match"), "percent"),
        Column("agreed", _("With an agreed match"), "integer"),
        Column("share_agreed", _("Share with an agreed match"), "percent"),
    )


def _group_row(counts: dict[str, int] | None) -> tuple[Any, ...]:
    counts = counts or {"needs": 0, "strong": 0, "agreed": 0}
    return (
        counts["needs"],
        counts["strong"],
        share(counts["strong"], counts["needs"]),
        counts["agreed"],
        share(counts["agreed"], counts["needs"]),
    )


REPORT_TYPE = ReportType(
    slug=SLUG,
    title=lazy_str(gettext_lazy("Matching performance")),
    description=lazy_str(
        gettext_lazy(
            "Needs with a strong match, time to the first suggestion and to agreement, "
            "conversion through the life cycle and decline reasons, by region and theme."
        )
    ),
    build=build,
    parameters=USES,
)

"""Matching performance against figures worked out by hand from the data in conftest.py, and
against loops over all needs and matches for other parameters."""

import datetime
import statistics
from typing import Any

import pytest
from django.db.models import Min

from matching.models import Match, Need
from reports.report import Parameters, Report
from reports.scoping import duration_percentiles
from reports.types import InvalidParameters, UnknownReportType, report_type
from tests.reports.conftest import ReportData, in_period

build = report_type("matching-performance").build


def figures(report: Report) -> dict[str, Any]:
    return {figure.label: figure.value for figure in report.figures}


def cells(report: Report, slug: str) -> dict[Any, tuple[Any, ...]]:
    return {row[0]: tuple(row[1:]) for row in report.table(slug).rows}


def test_figures_of_the_first_half_of_2026_worked_out_by_hand(report_data: ReportData) -> None:
    report = build(in_period())

    assert figures(report) == {
        "Needs opened in the period": 4,  # n2, n3, n4, n9
        "Needs with at least one strong match": 3,  # n2 (0.9), n3 (0.7), n4 (0.65, withdrawn)
        "Share of needs with at least one strong match": 0.75,
        "Needs with an agreed match": 3,  # n2, n3, n4 (withdrawn since)
        # First suggestions 2, 1, 2 and 4 days after opening; agreements 61, 9 and 19 days.
        "Median time from opening to the first suggestion": 2.0,
        "75th percentile, opening to the first suggestion": 2.5,
        "Median time from opening to agreement": 19.0,
        "75th percentile, opening to agreement": 40.0,
    }
    assert cells(report, "conversion") == {
        "Suggested": (6, 1.0, None),
        # m6 and m8 were contacted without being shortlisted: they count as shortlisted too.
        "Shortlisted": (4, 0.6667, 0.6667),
        "Contacted": (4, 0.6667, 1.0),
        "Agreed": (3, 0.5, 0.75),
        "Completed": (1, 0.1667, 0.3333),
    }
    assert cells(report, "decline-reasons") == {
        "Not relevant to the need": (1, 1.0),
        "Not available": (0, 0.0),  # m7 is of n6, opened in 2025
        "Not affordable": (0, 0.0),
        "The need is already met": (0, 0.0),
        "Other": (0, 0.0),
    }
    regions = cells(report, "by-region")
    assert regions["Africa"] == (3, 2, 0.6667, 2, 0.6667)
    assert regions["Asia and the Pacific"] == (1, 1, 1.0, 1, 1.0)
    assert regions["Europe"] == (0, 0, None, 0, None)
    themes = cells(report, "by-theme")
    assert themes["Climate change"] == (2, 2, 1.0, 2, 1.0)  # n2, n4
    assert themes["Ecosystem management"] == (2, 2, 1.0, 2, 1.0)  # n2, n3
    assert themes["Harmful substances and hazardous waste"] == (0, 0, None, 0, None)


def _expected(p: Parameters) -> dict[str, Any]:
    assert p.period_start and p.period_end
    start = datetime.datetime.combine(p.period_start, datetime.time(), tzinfo=datetime.UTC)
    end = datetime.datetime.combine(
        p.period_end + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC
    )
    cohort = [
        need
        for need in Need.objects.all()
        if need.opened_at
        and start <= need.opened_at < end
        and (not p.region or need.regional_office.code == p.region)
        and (not p.country_iso3 or p.country_iso3 in {c.iso3 for c in need.countries.all()})
        and (not p.theme or p.theme in {t.code for t in need.themes.all()})
    ]
    ids = {need.pk for need in cohort}
    matches = [
        m
        for m in Match.objects.select_related("entry")
        if m.need_id in ids and (not p.module or m.entry.module == p.module)
    ]
    strong = {m.need_id for m in matches if m.score >= 0.6}
    agreed = {m.need_id for m in matches if m.agreed_at}
    first: dict[int, datetime.datetime] = {}
    for m in sorted(matches, key=lambda m: m.created_at):
        first.setdefault(m.need_id, m.created_at)
    opened = {need.pk: need.opened_at for need in cohort if need.opened_at}
    days = [(first[pk] - opened[pk]).total_seconds() / 86400 for pk in first]
    return {
        "needs": len(cohort),
        "strong": len(strong),
        "agreed": len(agreed),
        "median_first": round(statistics.median(days), 1) if days else None,
        "suggested": len(matches),
        "contacted": sum(
            bool(m.contacted_at or m.agreed_at or m.implementation_started_at or m.completed_at)
            for m in matches
        ),
        "declined": sum(m.status == Match.Status.DECLINED for m in matches),
    }


@pytest.mark.parametrize(
    "parameters",
    [
        in_period(),
        in_period(module="technology"),
        in_period(module="experience", region="africa"),
        in_period(country_iso3="KEN"),
        in_period(theme="climate-change"),
        Parameters(period_start=datetime.date(2025, 1, 1), period_end=datetime.date(2026, 12, 31)),
    ],
    ids=lambda p: str(p.as_dict()),
)
def test_figures_equal_counts_over_all_matches(
    report_data: ReportData, parameters: Parameters
) -> None:
    report = build(parameters)
    expected = _expected(parameters)
    values = figures(report)
    conversion = cells(report, "conversion")

    assert values["Needs opened in the period"] == expected["needs"]
    assert values["Needs with at least one strong match"] == expected["strong"]
    assert values["Needs with an agreed match"] == expected["agreed"]
    assert values["Median time from opening to the first suggestion"] == expected["median_first"]
    assert conversion["Suggested"][0] == expected["suggested"]
    assert conversion["Contacted"][0] == expected["contacted"]
    assert sum(row[0] for row in cells(report, "decline-reasons").values()) == expected["declined"]


def test_the_strong_threshold_comes_from_the_settings(
    report_data: ReportData, settings: Any
) -> None:
    settings.MATCH_STRONG_THRESHOLD = 0.5

    report = build(in_period())

    assert figures(report)["Needs with at least one strong match"] == 4  # n9's 0.55 now counts


def test_an_empty_period_gives_empty_figures_and_a_note(report_data: ReportData) -> None:
    report = build(
        Parameters(period_start=datetime.date(2030, 1, 1), period_end=datetime.date(2030, 1, 31))
    )

    assert figures(report)["Needs opened in the period"] == 0
    assert figures(report)["Share of needs with at least one strong match"] is None
    assert figures(report)["Median time from opening to agreement"] is None
    assert cells(report, "conversion")["Suggested"] == (0, None, None)
    assert report.notes


def test_an_organization_is_not_a_parameter_of_this_report(report_data: ReportData) -> None:
    with pytest.raises(InvalidParameters) as raised:
        build(in_period(organization_id=report_data.organizations["ke"].pk))

    assert set(raised.value.errors) == {"organization_id"}


def test_an_unknown_module_is_refused(db: None) -> None:
    with pytest.raises(InvalidParameters) as raised:
        build(Parameters(module="spaceships"))

    assert set(raised.value.errors) == {"module"}


def test_percentiles_in_python_equal_those_of_postgresql(report_data: ReportData) -> None:
    needs = Need.objects.annotate(first_suggested=Min("matches__created_at"))

    for start, end in (("opened_at", "first_suggested"), ("submitted_at", "opened_at")):
        in_sql = duration_percentiles(
            needs, start=start, end=end, fractions=(0.25, 0.5, 0.9), in_python=False
        )
        in_python = duration_percentiles(
            needs, start=start, end=end, fractions=(0.25, 0.5, 0.9), in_python=True
        )
        assert in_sql == in_python
        assert None not in in_sql


def test_an_unknown_report_type_is_named_with_the_known_ones() -> None:
    with pytest.raises(UnknownReportType, match="needs-overview"):
        report_type("needs-overveiw")

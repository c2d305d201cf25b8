"""Needs overview: every cell against counts made here by other means (loops over all needs, or
figures worked out by hand from the data in conftest.py)."""

import datetime
import statistics
from typing import Any

import pytest
from django.utils import translation

from catalog.models import RegionalOffice
from matching.models import Need
from reports.report import Parameters, Report
from reports.types import InvalidParameters, report_type
from tests.reports.conftest import PERIOD_END, ReportData, at, in_period

build = report_type("needs-overview").build
END = datetime.datetime(2026, 7, 1, tzinfo=datetime.UTC)


def figures(report: Report) -> dict[str, Any]:
    return {figure.label: figure.value for figure in report.figures}


def cells(report: Report, slug: str) -> dict[Any, tuple[Any, ...]]:
    """{first cell (or ISO3 for countries): the other cells} of a table."""
    return {row[0]: tuple(row[1:]) for row in report.table(slug).rows}


def test_figures_of_the_first_half_of_2026_worked_out_by_hand(report_data: ReportData) -> None:
    report = build(in_period())

    assert figures(report) == {
        "Needs stated by the end of the period": 7,  # n1-n6 and n9; n7 is a draft, n8 later
        "New needs in the period": 5,  # n2, n3, n4, n5, n9
        "Needs opened in the period": 4,  # n2, n3, n4, n9
        "Needs open at the end of the period": 4,  # n1 (matched later), n4, n6, n9 (reopened)
        "Needs closed in the period": 1,  # n3
        # Open for 60.5, 149.5, 211.5 and 364.5 days on 1 July 2026 at midnight.
        "Median age of the open needs": 180.5,
    }
    assert cells(report, "needs-by-region") == {
        "Africa": (4, 3, 2, 1),
        "Asia and the Pacific": (2, 2, 1, 0),
        "West Asia": (0, 0, 0, 0),
        "Latin America and the Caribbean": (1, 0, 1, 0),
        "Europe": (0, 0, 0, 0),
        "North America": (0, 0, 0, 0),
    }
    assert cells(report, "needs-by-country") == {
        "BRA": ("Brazil", 1, 0, 1, 0),
        "IND": ("India", 1, 1, 0, 0),
        "KEN": ("Kenya", 3, 2, 2, 0),
        "THA": ("Thailand", 1, 1, 1, 0),
        "UGA": ("Uganda", 2, 2, 0, 1),
    }
    assert cells(report, "needs-by-status") == {
        "Submitted": (0,),
        "Validated": (1,),
        "Open": (4,),
        "Matched": (1,),
        "Closed": (1,),
    }
    assert report.notes == ()


def _in_scope(need: Need, p: Parameters) -> bool:
    countries = list(need.countries.all())
    return (
        (not p.region or need.regional_office.code == p.region)
        and (
            not p.subregion_m49
            or any(int(c.subregion_code) == int(p.subregion_m49) for c in countries)
        )
        and (not p.country_iso3 or any(c.iso3 == p.country_iso3 for c in countries))
        and (not p.theme or any(t.code == p.theme for t in need.themes.all()))
        and (p.sdg_goal is None or any(g.number == p.sdg_goal for g in need.sdg_goals.all()))
    )


def _set_by(moment: datetime.datetime | None, end: datetime.datetime) -> bool:
    return moment is not None and moment < end


def _within(
    moment: datetime.datetime | None, start: datetime.datetime | None, end: datetime.datetime
) -> bool:
    return moment is not None and (start is None or moment >= start) and moment < end


def _is_open(need: Need, end: datetime.datetime) -> bool:
    matched = _set_by(need.matched_at, end) and need.status != Need.Status.OPEN
    return _set_by(need.opened_at, end) and not matched and not _set_by(need.closed_at, end)


def _expected(p: Parameters, end: datetime.datetime) -> dict[str, Any]:
    start = (
        datetime.datetime.combine(p.period_start, datetime.time(), tzinfo=datetime.UTC)
        if p.period_start
        else None
    )
    needs = [
        need
        for need in Need.objects.all()
        if _set_by(need.submitted_at, end) and _in_scope(need, p)
    ]

    def counts(group: list[Need]) -> tuple[int, int, int, int]:
        return (
            len(group),
            sum(_within(n.submitted_at, start, end) for n in group),
            sum(_is_open(n, end) for n in group),
            sum(_within(n.closed_at, start, end) for n in group),
        )

    by_country: dict[str, list[Need]] = {}
    for need in needs:
        for c in need.countries.all():
            place_ok = (
                (not p.country_iso3 or c.iso3 == p.country_iso3)
                and (not p.subregion_m49 or int(c.subregion_code) == int(p.subregion_m49))
                and (not p.region or c.regional_office.code == p.region)
            )
            if place_ok:
                by_country.setdefault(c.iso3, []).append(need)
    ages = sorted(
        (end - need.opened_at).total_seconds() / 86400
        for need in needs
        if _is_open(need, end) and need.opened_at
    )
    offices = [p.region] if p.region else list(RegionalOffice.Code.values)
    return {
        "totals": counts(needs),
        "median": round(statistics.median(ages), 1) if ages else None,
        "regions": {
            code: counts([n for n in needs if n.regional_office.code == code]) for code in offices
        },
        "countries": {iso3: counts(group) for iso3, group in by_country.items()},
        "themes": {
            code: counts([n for n in needs if code in {t.code for t in n.themes.all()}])
            for code in ("climate-change", "ecosystem-management", "chemicals-waste")
            if not p.theme or code == p.theme
        },
        "goals": {
            number: counts([n for n in needs if number in {g.number for g in n.sdg_goals.all()}])
            for number in range(1, 18)
            if p.sdg_goal is None or number == p.sdg_goal
        },
    }


@pytest.mark.parametrize(
    "parameters",
    [
        in_period(),
        Parameters(),
        in_period(region="africa"),
        in_period(subregion_m49="202"),
        in_period(subregion_m49="034"),
        in_period(country_iso3="UGA"),
        in_period(theme="climate-change"),
        in_period(sdg_goal=13),
        in_period(region="africa", theme="ecosystem-management"),
        Parameters(period_start=datetime.date(2026, 3, 1)),
        Parameters(period_end=datetime.date(2025, 12, 31)),
    ],
    ids=lambda p: str(p.as_dict()) or "all",
)
def test_every_cell_equals_a_count_over_all_needs(
    report_data: ReportData, parameters: Parameters
) -> None:
    report = build(parameters)
    end = (
        datetime.datetime.combine(
            parameters.period_end + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC
        )
        if parameters.period_end
        else report.read_at
    )
    expected = _expected(parameters, end)
    values = figures(report)

    assert (
        values["Needs stated by the end of the period"],
        values["New needs in the period"],
        values["Needs open at the end of the period"],
        values["Needs closed in the period"],
    ) == expected["totals"]
    assert values["Median age of the open needs"] == expected["median"]
    region_rows = cells(report, "needs-by-region")
    assert {
        code: region_rows[str(RegionalOffice.Code(code).label)] for code in expected["regions"]
    } == expected["regions"]
    assert len(region_rows) == len(expected["regions"])
    assert {iso3: row[1:] for iso3, row in cells(report, "needs-by-country").items()} == expected[
        "countries"
    ]
    theme_rows = cells(report, "needs-by-theme")
    for code, counts in expected["themes"].items():
        name = {
            "climate-change": "Climate change",
            "ecosystem-management": "Ecosystem management",
            "chemicals-waste": "Harmful substances and hazardous waste",
        }[code]
        assert theme_rows[name] == counts
    goal_rows = {
        int(label.split(".")[0]): row for label, row in cells(report, "needs-by-sdg").items()
    }
    assert goal_rows == expected["goals"]
    assert sum(row[0] for row in cells(report, "needs-by-status").values()) == expected["totals"][0]


def test_a_region_without_needs_gives_zeros_and_a_note(report_data: ReportData) -> None:
    report = build(in_period(region="europe"))

    assert figures(report)["Needs stated by the end of the period"] == 0
    assert figures(report)["Median age of the open needs"] is None
    assert report.table("needs-by-region").rows == (("Europe", 0, 0, 0, 0),)
    assert report.table("needs-by-country").rows == ()
    assert report.notes == ("No needs match these parameters in this period.",)


def test_an_empty_period_gives_an_empty_report(report_data: ReportData) -> None:
    report = build(
        Parameters(period_start=datetime.date(2010, 1, 1), period_end=datetime.date(2010, 12, 31))
    )

    assert set(figures(report).values()) == {0, None}
    assert all(row[1:] == (0, 0, 0, 0) for row in report.table("needs-by-region").rows)
    assert report.notes


def test_an_empty_database_gives_an_empty_report(db: None) -> None:
    report = build(in_period())

    assert figures(report)["Needs stated by the end of the period"] == 0
    assert report.table("needs-by-country").rows == ()


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        (
            Parameters(
                period_start=datetime.date(2026, 6, 1), period_end=datetime.date(2026, 5, 1)
            ),
            "period_end",
        ),  # fmt: skip
        (Parameters(region="mars"), "region"),
        (Parameters(subregion_m49="999"), "subregion_m49"),
        (Parameters(subregion_m49="abc"), "subregion_m49"),
        (Parameters(country_iso3="XXX"), "country_iso3"),
        (Parameters(theme="no-such-theme"), "theme"),
        (Parameters(sdg_goal=18), "sdg_goal"),
        (Parameters(sdg_goal=0), "sdg_goal"),
        (Parameters(module="technology"), "module"),  # not a parameter of this report
        (Parameters(organization_id=1), "organization_id"),
    ],
)
def test_invalid_parameters_are_refused_with_the_field_named(
    db: None, parameters: Parameters, field: str
) -> None:
    with pytest.raises(InvalidParameters) as raised:
        build(parameters)

    assert list(raised.value.errors) == [field]
    assert raised.value.errors[field]


def test_labels_follow_the_active_language(report_data: ReportData) -> None:
    with translation.override("fr"):
        report = build(in_period())

    countries = {row[0]: row[1] for row in report.table("needs-by-country").rows}
    assert countries["KEN"] == "Kenya"
    assert countries["IND"] == "Inde"
    assert report.table("needs-by-sdg").rows[0][0].startswith("1. ")
    assert report.table("needs-by-sdg").rows[0][0] != "1. No poverty"


def test_a_need_opened_before_and_closed_after_the_period_is_open_at_its_end(
    report_data: ReportData,
) -> None:
    Need.objects.filter(pk=report_data.needs["n6"].pk).update(closed_at=at(2026, 6, 30))

    report = build(in_period(region="latin-america-caribbean"))

    assert report.table("needs-by-region").rows == (
        ("Latin America and the Caribbean", 1, 0, 0, 1),
    )
    assert PERIOD_END == datetime.date(2026, 6, 30)

"""The cooperation tracker and partner contribution against figures worked out by hand from
the data in conftest.py, and against loops over all matches."""

import datetime
from typing import Any

import pytest

from catalog.models import Entry
from matching.models import Match
from reports.report import Parameters, Report
from reports.types import InvalidParameters, cooperation_tracker, report_type
from tests.reports.conftest import ReportData, in_period

tracker = report_type("cooperation-tracker").build
contribution = report_type("partner-contribution").build
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
END = datetime.datetime(2026, 7, 1, tzinfo=datetime.UTC)


def figures(report: Report) -> dict[str, Any]:
    return {figure.label: figure.value for figure in report.figures}


def cells(report: Report, slug: str) -> dict[Any, tuple[Any, ...]]:
    return {row[0]: tuple(row[1:]) for row in report.table(slug).rows}


def test_tracker_of_the_first_half_of_2026_worked_out_by_hand(report_data: ReportData) -> None:
    report = tracker(in_period())

    # m2 (agreed in May, in implementation), m4 (agreed in April, completed in June), m6
    # (agreed in May, withdrawn in June); m9 was agreed in September.
    assert figures(report) == {
        "Cooperation agreed in the period": 3,
        "Cooperation running at the end of the period": 1,
        "Cooperation completed in the period": 1,
        "Share of South-South cooperation": 0.6667,  # m2 and m6, on the Kenyan entry e1
        "Share of triangular cooperation": 0.3333,  # m4, on e2 (Thai and German providers)
    }
    assert cells(report, "by-cooperation") == {
        "South-South": (2, 2, 1, 0),
        "Triangular": (1, 1, 0, 1),
        "Northern provider only": (0, 0, 0, 0),
        "Not classified": (0, 0, 0, 0),
    }
    assert cells(report, "by-country") == {
        "KEN": ("Kenya", 1, 1, 1, 0),
        "THA": ("Thailand", 1, 1, 0, 0),
        "UGA": ("Uganda", 2, 2, 1, 1),
    }
    assert report.table("by-partner").rows == (
        ("Kenya Water Institute", "KEN", 2, 2, 1, 0),
        ("German Climate Agency", "DEU", 1, 1, 0, 1),
        ("Thai Energy Centre", "THA", 1, 1, 0, 1),
    )
    listed = report.table("cooperation").rows
    assert [row[0] for row in listed] == [
        report_data.needs[key].title
        for key in ("n4", "n2", "n3")  # latest agreed first
    ]
    assert listed[2][1:] == (
        "UGA",
        "Mangrove restoration",
        "German Climate Agency, Thai Energy Centre",
        "Triangular",
        "Completed",
        datetime.date(2026, 4, 10),
        datetime.date(2026, 6, 1),
        "Two hectares replanted.",
        "300 fishers",
        "Start with the community.",
    )


def _flags(m: Match) -> tuple[bool, bool, bool]:
    agreed = bool(m.agreed_at and START <= m.agreed_at < END)
    running = bool(
        m.agreed_at
        and m.agreed_at < END
        and not (m.completed_at and m.completed_at < END)
        and not (m.withdrawn_at and m.withdrawn_at < END)
    )
    completed = bool(m.completed_at and START <= m.completed_at < END)
    return agreed, running, completed


def _cooperation(entry: Entry) -> str:
    southern = {o.country.is_southern for o in entry.providers.all() if o.type != "un-entity"}
    return {
        frozenset({True}): "south-south",
        frozenset({True, False}): "triangular",
        frozenset({False}): "northern",
    }.get(frozenset(southern), "unknown")


@pytest.mark.parametrize(
    "parameters",
    [
        in_period(),
        in_period(region="africa"),
        in_period(country_iso3="UGA"),
        in_period(module="experience"),
        in_period(theme="climate-change"),
    ],
    ids=lambda p: str(p.as_dict()),
)
def test_tracker_counts_equal_a_loop_over_all_matches(
    report_data: ReportData, parameters: Parameters
) -> None:
    report = tracker(parameters)
    rows = []
    for m in Match.objects.select_related("need__regional_office", "entry"):
        need = m.need
        if parameters.region and need.regional_office.code != parameters.region:
            continue
        if parameters.country_iso3 and parameters.country_iso3 not in {
            c.iso3 for c in need.countries.all()
        }:
            continue
        if parameters.theme and parameters.theme not in {t.code for t in need.themes.all()}:
            continue
        if parameters.module and m.entry.module != parameters.module:
            continue
        if any(_flags(m)):
            rows.append((m, _flags(m), _cooperation(m.entry)))

    assert len(report.table("cooperation").rows) == len(rows)
    for kind, label in Entry.Cooperation.choices:
        of_kind = [flags for _m, flags, cooperation in rows if cooperation == kind]
        assert cells(report, "by-cooperation")[str(label)] == (
            len(of_kind),
            sum(f[0] for f in of_kind),
            sum(f[1] for f in of_kind),
            sum(f[2] for f in of_kind),
        )


def test_tracker_of_an_empty_period_is_empty_with_a_note(report_data: ReportData) -> None:
    report = tracker(
        Parameters(period_start=datetime.date(2020, 1, 1), period_end=datetime.date(2020, 12, 31))
    )

    assert figures(report)["Cooperation agreed in the period"] == 0
    assert figures(report)["Share of South-South cooperation"] is None
    assert report.table("cooperation").rows == ()
    assert report.notes


def test_contribution_of_the_kenyan_institute_worked_out_by_hand(report_data: ReportData) -> None:
    kenyan = report_data.organizations["ke"]

    report = contribution(in_period(organization_id=kenyan.pk))

    assert report.title == "Contribution of Kenya Water Institute"
    assert figures(report) == {
        "Entries": 2,  # e1 and the draft e4
        "Published entries": 1,
        "Matches of its entries": 3,  # m1, m2, m6
        "Needs matched (agreed, running or completed in the period)": 2,  # n2, n4
        "Cooperation agreed in the period": 2,
        "Cooperation running at the end of the period": 1,
        "Cooperation completed in the period": 0,
    }
    assert cells(report, "entries-by-module")["Technology"] == (2, 1, 3, 2, 1, 0)
    assert cells(report, "entries-by-module")["Experience"] == (0, 0, 0, 0, 0, 0)
    assert report.table("entries").rows == (
        ("Solar pumps", "Technology", "Published", datetime.date(2025, 5, 1), 3, 2, 1, 0),
        ("Draft biogas", "Technology", "Draft", None, 0, 0, 0, 0),
    )
    assert [row[0] for row in report.table("needs-matched").rows] == [
        report_data.needs["n4"].title,
        report_data.needs["n2"].title,
    ]


def test_contribution_outcomes_of_a_triangular_partner(report_data: ReportData) -> None:
    report = contribution(in_period(organization_id=report_data.organizations["th"].pk))

    (row,) = report.table("needs-matched").rows
    assert row[8:] == ("Two hectares replanted.", "300 fishers", "Start with the community.")
    assert figures(report)["Cooperation completed in the period"] == 1


def test_contribution_of_an_organization_without_entries_is_empty(
    report_data: ReportData,
) -> None:
    report = contribution(in_period(organization_id=report_data.organizations["idle"].pk))

    assert figures(report)["Entries"] == 0
    assert report.table("entries").rows == ()
    assert report.notes == ("This organization provides no entries.",)


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        (Parameters(), "organization_id"),
        (Parameters(organization_id=987654), "organization_id"),
        (Parameters(region="africa", organization_id=None), "region"),
    ],
)
def test_contribution_needs_an_existing_organization(
    db: None, parameters: Parameters, field: str
) -> None:
    with pytest.raises(InvalidParameters) as raised:
        contribution(parameters)

    assert field in raised.value.errors


def test_a_long_cooperation_list_is_cut_with_a_note(
    report_data: ReportData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cooperation_tracker, "LIST_LIMIT", 1)

    report = tracker(in_period())

    assert [row[0] for row in report.table("cooperation").rows] == [report_data.needs["n4"].title]
    assert "The first 1 of 3 are listed." in report.table("cooperation").note
    assert figures(report)["Cooperation agreed in the period"] == 3
    # The partner with the most cooperation is kept; the note counts them all.
    assert report.table("by-partner").rows == (("Kenya Water Institute", "KEN", 2, 2, 1, 0),)
    assert "Listed: the 1 of 3 partners with the most cooperation." in (
        report.table("by-partner").note
    )

"""Supply and gaps against figures worked out by hand from the data in conftest.py, and against
loops over all entries, needs and matches for other parameters."""

import datetime
from typing import Any

import pytest
from django.utils import translation

from catalog.models import Entry
from matching.models import Match, Need
from reports.report import Parameters, Report
from reports.types import InvalidParameters, report_type, supply_and_gaps
from tests.reports.conftest import ReportData, in_period

build = report_type("supply-and-gaps").build


def figures(report: Report) -> dict[str, Any]:
    return {figure.label: figure.value for figure in report.figures}


def cells(report: Report, slug: str) -> dict[Any, tuple[Any, ...]]:
    return {row[0]: tuple(row[1:]) for row in report.table(slug).rows}


def test_figures_of_the_first_half_of_2026_worked_out_by_hand(report_data: ReportData) -> None:
    report = build(in_period())

    # e1, e2 and e3 were published by 30 June (e4 is a draft, e5 came in August); e2 was
    # never confirmed and e3 last in 2020: stale (not confirmed for 455 days on 1 July 2026).
    assert figures(report) == {
        "Published entries": 3,
        "Entries published in the period": 2,
        "Stale entries": 2,
        "Share of stale entries": 0.6667,
        "Needs open at the end of the period": 4,  # n1, n4, n6, n9
        # n1 has a strong suggestion; n4's strong match was withdrawn, n6's declined, n9's
        # best scored 0.55.
        "Open needs without a strong match": 3,
        "Themes and countries with a gap": 3,
    }
    assert cells(report, "entries-by-module") == {
        "Technology": (1, 0, 0, 0.0),
        "Expertise": (0, 0, 0, None),
        "Experience": (1, 1, 1, 1.0),
        "Opportunity": (0, 0, 0, None),
        "Network": (0, 0, 0, None),
        "Event": (1, 1, 1, 1.0),
    }
    themes = cells(report, "entries-by-theme")
    assert themes["Climate change"] == (2, 1)
    assert themes["Ecosystem management"] == (1, 1)
    assert themes["Harmful substances and hazardous waste"] == (1, 1)
    assert themes["Environmental governance"] == (0, 0)  # e5 is later
    goals = cells(report, "entries-by-sdg")
    assert (goals["3. Good health and well-being"], goals["13. Climate action"]) == ((1, 1), (1, 0))
    assert sum(row[0] for row in goals.values()) == 4  # 3, 13, 14 and 15
    assert cells(report, "entries-by-provider-region") == {
        "Africa": (1,),
        "Asia and the Pacific": (1,),
        "West Asia": (0,),
        "Latin America and the Caribbean": (0,),
        "Europe": (2,),  # e2 with a Thai and a German provider, e3
        "North America": (0,),
    }
    assert report.table("gaps").rows == (
        ("Climate change", "BRA", "Brazil", 1, 1),
        ("Climate change", "THA", "Thailand", 1, 1),
        ("No theme", "KEN", "Kenya", 1, 1),
    )
    assert report.table("gaps-by-country").rows == (
        ("BRA", "Brazil", 1, 1, 1),
        ("KEN", "Kenya", 2, 1, 1),
        ("THA", "Thailand", 1, 1, 1),
    )
    choropleth = next(chart for chart in report.charts if chart.kind == "choropleth")
    assert (choropleth.table_slug, choropleth.label_column) == ("gaps-by-country", "iso3")


def _entry_in_place(entry: Entry, p: Parameters) -> bool:
    places = list(entry.countries_of_origin.all()) + list(entry.countries_applied.all())
    return (
        (not p.country_iso3 or any(c.iso3 == p.country_iso3 for c in places))
        and (not p.region or any(c.regional_office.code == p.region for c in places))
        and (
            not p.subregion_m49
            or any(int(c.subregion_code) == int(p.subregion_m49) for c in places)
        )
    )


def _expected(p: Parameters, end: datetime.datetime) -> dict[str, Any]:
    entries = [
        e
        for e in Entry.objects.all()
        if e.status == Entry.Status.PUBLISHED
        and e.published_at
        and e.published_at < end
        and (not p.module or e.module == p.module)
        and (not p.theme or p.theme in {t.code for t in e.themes.all()})
        and (p.sdg_goal is None or p.sdg_goal in {g.number for g in e.sdg_goals.all()})
        and (p.organization_id is None or p.organization_id in {o.pk for o in e.providers.all()})
        and _entry_in_place(e, p)
    ]
    stale_before = datetime.date(2026, 7, 1) - datetime.timedelta(days=455)
    open_needs = [
        n
        for n in Need.objects.all()
        if n.opened_at
        and n.opened_at < end
        and not (n.closed_at and n.closed_at < end)
        and not (n.matched_at and n.matched_at < end and n.status != Need.Status.OPEN)
        and (not p.region or n.regional_office.code == p.region)
        and (not p.country_iso3 or p.country_iso3 in {c.iso3 for c in n.countries.all()})
        and (
            not p.subregion_m49
            or int(p.subregion_m49) in {int(c.subregion_code) for c in n.countries.all()}
        )
        and (not p.theme or p.theme in {t.code for t in n.themes.all()})
        and (p.sdg_goal is None or p.sdg_goal in {g.number for g in n.sdg_goals.all()})
    ]
    strong = {
        m.need_id
        for m in Match.objects.select_related("entry")
        if m.score >= 0.6
        and m.status not in (Match.Status.DECLINED, Match.Status.WITHDRAWN)
        and (not p.module or m.entry.module == p.module)
        and (
            p.organization_id is None
            or p.organization_id in {o.pk for o in m.entry.providers.all()}
        )
    }
    return {
        "entries": len(entries),
        "stale": sum(
            e.last_confirmed_on is None or e.last_confirmed_on < stale_before for e in entries
        ),
        "open": len(open_needs),
        "unmatched": sum(n.pk not in strong for n in open_needs),
    }


@pytest.mark.parametrize(
    "parameters",
    [
        in_period(),
        in_period(module="technology"),
        in_period(region="africa"),
        in_period(country_iso3="THA"),
        in_period(subregion_m49="034"),
        in_period(theme="climate-change"),
        in_period(sdg_goal=15),
        in_period(organization_id=-1),  # replaced by the German agency's id below
    ],
    ids=lambda p: str(p.as_dict()),
)
def test_figures_equal_counts_over_all_rows(
    report_data: ReportData, parameters: Parameters
) -> None:
    if parameters.organization_id == -1:
        parameters = in_period(organization_id=report_data.organizations["de"].pk)
    report = build(parameters)
    expected = _expected(parameters, datetime.datetime(2026, 7, 1, tzinfo=datetime.UTC))
    values = figures(report)

    assert values["Published entries"] == expected["entries"]
    assert values["Stale entries"] == expected["stale"]
    assert values["Needs open at the end of the period"] == expected["open"]
    assert values["Open needs without a strong match"] == expected["unmatched"]
    assert sum(row[0] for row in cells(report, "entries-by-module").values()) == expected["entries"]


def test_a_region_without_data_gives_zeros_and_notes(report_data: ReportData) -> None:
    report = build(in_period(region="north-america"))

    assert figures(report)["Published entries"] == 0
    assert figures(report)["Share of stale entries"] is None
    assert report.table("gaps").rows == ()
    assert report.table("gaps-by-country").rows == ()
    assert len(report.notes) == 2


def test_an_unknown_organization_is_refused(db: None) -> None:
    with pytest.raises(InvalidParameters) as raised:
        build(Parameters(organization_id=123456))

    assert set(raised.value.errors) == {"organization_id"}


def test_theme_and_country_names_follow_the_active_language(report_data: ReportData) -> None:
    with translation.override("es"):
        report = build(in_period())

    gaps = {(row[1], row[0], row[2]) for row in report.table("gaps").rows}
    assert ("BRA", "Cambio climático", "Brasil") in gaps
    assert report.table("entries-by-provider-region").rows[0][0] == "África"


def test_a_long_gap_list_is_cut_with_a_note_and_complete_counts(
    report_data: ReportData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supply_and_gaps, "LIST_LIMIT", 2)

    report = build(in_period())

    assert len(report.table("gaps").rows) == 2
    assert "Listed: the 2 of 3 pairs" in report.table("gaps").note
    assert figures(report)["Themes and countries with a gap"] == 3
    assert sum(row[3] for row in report.table("gaps-by-country").rows) == 3

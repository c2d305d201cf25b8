"""Sync health against the runs in conftest.py, counted by hand and by a loop."""

import datetime

from partners.models import PartnerSource, SyncRecordError, SyncRun
from reports.report import Parameters
from reports.types import REPORT_TYPES, report_type
from tests.reports.conftest import ReportData, in_period

build = report_type("sync-health").build


def test_sources_of_the_first_half_of_2026_worked_out_by_hand(report_data: ReportData) -> None:
    report = build(in_period())
    rows = {row[0]: row[1:] for row in report.table("sources").rows}

    # Runs of February (succeeded) and March (failed, 2 record errors); the last success
    # before 1 July is February's, 149.5 days earlier. The December and August runs are
    # outside the period.
    assert rows["IATI of Kenya"] == (
        "IATI activity XML", "yes", 2, 1, 1, 80, 6, 12, 59, 0, 3, 2,
        datetime.date(2026, 2, 1), 149.5,
    )  # fmt: skip
    assert rows["CKAN of Thailand"] == (
        "CKAN action API", "yes", 2, 0, 1, 8, 8, 0, 0, 0, 0, 1, None, None,
    )  # fmt: skip
    assert rows["Switched off"][1:] == ("no",) + (0,) * 10 + (None, None)
    figures = {figure.label: figure.value for figure in report.figures}
    assert figures["Runs in the period"] == 4
    assert figures["Failed runs"] == 2
    assert figures["Records read"] == 88
    assert figures["Record errors"] == 3
    assert figures["Partner sources"] == PartnerSource.objects.count()


def test_sums_equal_a_loop_over_all_runs(report_data: ReportData) -> None:
    start = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    report = build(Parameters(period_start=datetime.date(2026, 3, 1)))
    rows = {row[0]: row for row in report.table("sources").rows}
    columns = [column.key for column in report.table("sources").columns]

    for source in PartnerSource.objects.all():
        runs = [run for run in SyncRun.objects.all() if run.source_id == source.pk]
        runs = [run for run in runs if run.created_at >= start]
        row = dict(zip(columns, rows[source.name], strict=True))
        assert row["runs"] == len(runs)
        assert row["fetched"] == sum(run.fetched for run in runs)
        assert row["updated"] == sum(run.updated for run in runs)
        assert row["errors"] == sum(
            1 for error in SyncRecordError.objects.all() if error.run in runs
        )
        successes = [
            run.finished_at
            for run in SyncRun.objects.all()
            if run.source_id == source.pk and run.status == "succeeded" and run.finished_at
        ]
        expected = max(successes).date() if successes else None
        assert row["last_success"] == expected


def test_one_organizations_sources(report_data: ReportData) -> None:
    report = build(in_period(organization_id=report_data.organizations["ke"].pk))

    assert [row[0] for row in report.table("sources").rows] == ["IATI of Kenya"]


def test_no_sources_gives_an_empty_table_and_a_note(db: None) -> None:
    PartnerSource.objects.all().delete()

    report = build(in_period())

    assert report.table("sources").rows == ()
    assert report.notes == ("There are no partner sources for these parameters.",)


def test_every_type_is_registered_under_its_slug() -> None:
    assert list(REPORT_TYPES) == [
        "needs-overview",
        "matching-performance",
        "supply-and-gaps",
        "cooperation-tracker",
        "partner-contribution",
        "sync-health",
    ]
    assert all(slug == REPORT_TYPES[slug].slug for slug in REPORT_TYPES)

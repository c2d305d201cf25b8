"""Rolling periods of saved reports: "the last month" and the like are worked out again for each
delivery, against the day it was due, and replace the period saved with the parameters."""

import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from reports import services
from reports.models import ReportRun, SavedReport
from reports.rendering.serialization import parameters_from_dict
from reports.report import ReportType
from reports.tasks import saved_report_deliver_task, saved_reports_dispatch_task
from reports.types import REPORT_TYPES
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
day = datetime.date


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.mark.parametrize(
    ("period", "run_date", "expected"),
    [
        ("last-month", day(2026, 12, 1), (day(2026, 11, 1), day(2026, 11, 30))),
        ("last-month", day(2027, 1, 1), (day(2026, 12, 1), day(2026, 12, 31))),
        ("last-month", day(2026, 3, 16), (day(2026, 2, 1), day(2026, 2, 28))),
        ("last-month", day(2028, 3, 1), (day(2028, 2, 1), day(2028, 2, 29))),
        ("last-7-days", day(2026, 11, 30), (day(2026, 11, 23), day(2026, 11, 29))),
        ("last-7-days", day(2027, 1, 4), (day(2026, 12, 28), day(2027, 1, 3))),
        ("last-quarter", day(2026, 12, 1), (day(2026, 7, 1), day(2026, 9, 30))),
        ("last-quarter", day(2027, 1, 1), (day(2026, 10, 1), day(2026, 12, 31))),
        ("last-quarter", day(2026, 4, 1), (day(2026, 1, 1), day(2026, 3, 31))),
        ("last-quarter", day(2026, 3, 31), (day(2025, 10, 1), day(2025, 12, 31))),
        ("last-12-months", day(2026, 12, 1), (day(2025, 12, 1), day(2026, 11, 30))),
        ("last-12-months", day(2027, 1, 11), (day(2026, 1, 1), day(2026, 12, 31))),
        ("year-to-date", day(2026, 12, 1), (day(2026, 1, 1), day(2026, 11, 30))),
        ("year-to-date", day(2027, 1, 1), (day(2026, 1, 1), day(2026, 12, 31))),
        ("year-to-date", day(2027, 1, 2), (day(2027, 1, 1), day(2027, 1, 1))),
        ("", day(2026, 12, 1), None),
    ],
)
def test_a_rolling_period_covers_the_complete_days_before_the_run_date(
    period: str, run_date: datetime.date, expected: Any
) -> None:
    assert SavedReport(period=period).period_on(run_date) == expected


def saved_monthly(owner: Any, *, period: str) -> SavedReport:
    with time_machine.travel(datetime.datetime(2026, 11, 26, 12, tzinfo=UTC), tick=False):
        return services.saved_report_create(
            owner=owner,
            name="Needs of Africa, monthly",
            type_slug="needs-overview",
            parameters=parameters_from_dict(
                {"period_start": "2026-01-01", "period_end": "2026-06-30"}
            ),
            schedule="monthly",
            recipients=[owner.email],
            period=period,
        )


def test_a_monthly_last_month_report_run_on_the_first_covers_the_month_before(
    django_capture_on_commit_callbacks: Any,
) -> None:
    officer: Any = OfficerFactory(email="amina@unep.example")
    definition = saved_monthly(officer, period="last-month")
    assert definition.next_run_at == datetime.datetime(2026, 12, 1, 6, tzinfo=UTC)
    with time_machine.travel(datetime.datetime(2026, 12, 1, 6, 5, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            saved_reports_dispatch_task.delay()
    definition.refresh_from_db()
    run = definition.last_run
    assert run is not None and run.status == ReportRun.Status.SUCCEEDED
    assert run.parameters == {
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "region": "africa",
    }
    # The definition keeps what was saved; only the delivery's run has the resolved period.
    assert definition.parameters == {
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "region": "africa",
    }
    assert len(mail.outbox) == 1
    assert "The last month: 2026-11-01 to 2026-11-30." in mail.outbox[0].body


def test_a_delivery_retried_on_a_later_day_reports_on_the_period_it_was_due_for() -> None:
    officer: Any = OfficerFactory()
    definition = saved_monthly(officer, period="last-quarter")
    with time_machine.travel(datetime.datetime(2027, 1, 2, 9, tzinfo=UTC), tick=False):
        saved_report_deliver_task.apply(args=(definition.pk, "2027-01-01"))
    run = ReportRun.objects.get()
    assert (run.parameters["period_start"], run.parameters["period_end"]) == (
        "2026-10-01",
        "2026-12-31",
    )


def test_a_fixed_period_is_delivered_as_saved() -> None:
    officer: Any = OfficerFactory()
    definition = saved_monthly(officer, period="")
    with time_machine.travel(datetime.datetime(2026, 12, 1, 6, 5, tzinfo=UTC), tick=False):
        assert services.saved_report_deliver(saved_id=definition.pk) == "sent"
    run = ReportRun.objects.get()
    assert (run.parameters["period_start"], run.parameters["period_end"]) == (
        "2026-01-01",
        "2026-06-30",
    )


def test_the_owner_chooses_a_rolling_period_on_the_page_and_sees_it_listed(
    django_capture_on_commit_callbacks: Any,
) -> None:
    officer: Any = OfficerFactory(email="amina@unep.example")
    client = Client()
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/reports/needs-overview/", {"period_start": "2026-01-01"})
    run = ReportRun.objects.get()
    bad = client.post(
        f"/reports/runs/{run.pk}/save/",
        {
            "name": "Quarterly",
            "schedule": "monthly",
            "period": "last-decade",
            "recipients": "amina@unep.example",
        },
    )
    assert bad.status_code == 302 and SavedReport.objects.count() == 0
    created = client.post(
        f"/reports/runs/{run.pk}/save/",
        {
            "name": "Quarterly",
            "schedule": "monthly",
            "period": "last-quarter",
            "recipients": "amina@unep.example",
        },
    )
    assert created.status_code == 302
    saved = SavedReport.objects.get()
    assert saved.period == "last-quarter"
    listing = client.get("/reports/saved/").content.decode()
    assert "The last quarter" in listing and "2026-01-01" not in listing

    edit_page = client.get(f"/reports/saved/{saved.pk}/").content.decode()
    assert '<option value="last-quarter" selected>' in edit_page
    changed = client.post(
        f"/reports/saved/{saved.pk}/",
        {"name": "Quarterly", "schedule": "monthly", "period": "", "recipients": "a@b.example"},
    )
    assert changed.status_code == 302
    saved.refresh_from_db()
    assert saved.period == ""
    assert "2026-01-01" in client.get("/reports/saved/").content.decode()


def test_a_report_without_a_period_cannot_have_a_rolling_one(monkeypatch: Any) -> None:
    monkeypatch.setitem(
        REPORT_TYPES,
        "no-period",
        ReportType(slug="no-period", title="No period", description="", build=lambda p: None),  # type: ignore[arg-type,return-value]
    )
    with pytest.raises(ValidationError) as raised:
        SavedReport(type_slug="no-period", period="last-month").clean()
    assert "period" in raised.value.message_dict
    SavedReport(type_slug="no-period", period="").clean()
    SavedReport(type_slug="needs-overview", period="last-month").clean()


def test_an_unknown_rolling_period_is_refused_with_a_clear_error() -> None:
    officer: Any = OfficerFactory()
    with pytest.raises(services.ApplicationError, match="The saved report is not valid") as raised:
        saved_monthly(officer, period="last-decade")
    assert "period" in raised.value.extra["fields"]
    assert SavedReport.objects.count() == 0

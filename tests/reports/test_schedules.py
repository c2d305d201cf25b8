"""Saved report definitions: when they are due, claimed once by the hourly dispatch, built (or
reused) and e-mailed with their files; a definition its owner may no longer request records why."""

import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail

from reports import services
from reports.models import ReportRun, SavedReport
from reports.rendering.serialization import parameters_from_dict
from reports.tasks import saved_reports_dispatch_task
from tests.factories import OfficerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.mark.parametrize(
    ("schedule", "now", "expected"),
    [
        (
            "weekly",
            datetime.datetime(2026, 11, 26, 17, 0, tzinfo=UTC),
            datetime.datetime(2026, 11, 30, 6, tzinfo=UTC),
        ),
        (
            "weekly",
            datetime.datetime(2026, 11, 30, 5, 59, tzinfo=UTC),
            datetime.datetime(2026, 11, 30, 6, tzinfo=UTC),
        ),
        (
            "weekly",
            datetime.datetime(2026, 11, 30, 6, 0, tzinfo=UTC),
            datetime.datetime(2026, 12, 7, 6, tzinfo=UTC),
        ),
        (
            "monthly",
            datetime.datetime(2026, 11, 26, 17, 0, tzinfo=UTC),
            datetime.datetime(2026, 12, 1, 6, tzinfo=UTC),
        ),
        (
            "monthly",
            datetime.datetime(2026, 12, 15, 0, 0, tzinfo=UTC),
            datetime.datetime(2027, 1, 1, 6, tzinfo=UTC),
        ),
        (
            "monthly",
            datetime.datetime(2027, 1, 1, 5, 0, tzinfo=UTC),
            datetime.datetime(2027, 1, 1, 6, tzinfo=UTC),
        ),
    ],
)
def test_the_next_delivery_is_monday_or_the_first_at_six(
    schedule: str, now: datetime.datetime, expected: datetime.datetime
) -> None:
    assert SavedReport(schedule=schedule).next_delivery_after(now) == expected


def saved(owner: Any, **overrides: Any) -> SavedReport:
    with time_machine.travel(datetime.datetime(2026, 11, 26, 12, tzinfo=UTC), tick=False):
        definition = services.saved_report_create(
            owner=owner,
            name="Needs of Africa",
            type_slug="needs-overview",
            parameters=parameters_from_dict({"period_start": "2026-01-01"}),
            schedule="weekly",
            recipients=["team@unep.example", owner.email],
        )
    for name, value in overrides.items():
        setattr(definition, name, value)
    definition.save()
    return definition


def test_a_due_definition_is_claimed_once_built_and_emailed(
    django_capture_on_commit_callbacks: Any,
) -> None:
    officer: Any = OfficerFactory(email="amina@unep.example")
    definition = saved(officer)
    assert definition.next_run_at == datetime.datetime(2026, 11, 30, 6, tzinfo=UTC)
    with time_machine.travel(datetime.datetime(2026, 11, 30, 6, 5, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            saved_reports_dispatch_task.delay()
        # A second dispatcher in the same hour finds nothing due.
        assert services.saved_reports_claim_due() == []
    definition.refresh_from_db()
    assert definition.next_run_at == datetime.datetime(2026, 12, 7, 6, tzinfo=UTC)
    assert definition.last_error == "" and definition.last_sent_at is not None
    run = definition.last_run
    assert run is not None and run.status == ReportRun.Status.SUCCEEDED
    assert run.parameters == {"period_start": "2026-01-01", "region": "africa"}
    assert run.scope == "office:africa"

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["amina@unep.example"] and message.bcc == ["team@unep.example"]
    assert "Report: Needs of Africa" in message.subject
    assert f"/reports/runs/{run.pk}/" in message.body
    names = sorted(name for name, _content, _type in message.attachments)
    assert names == [f"needs-overview-{run.pk}.pdf", f"needs-overview-{run.pk}.xlsx"]


def test_a_definition_its_owner_may_no_longer_request_records_why() -> None:
    staff: Any = StaffUserFactory()
    definition = saved(staff)
    staff.is_staff = False
    staff.save()
    assert services.saved_report_deliver(saved_id=definition.pk) == "failed"
    definition.refresh_from_db()
    assert definition.last_error == "You may no longer request this report."
    assert mail.outbox == [] and ReportRun.objects.count() == 0


def test_recipients_must_be_addresses() -> None:
    officer: Any = OfficerFactory()
    with pytest.raises(services.ApplicationError, match="is not an e-mail address"):
        services.saved_report_create(
            owner=officer,
            name="x",
            type_slug="needs-overview",
            parameters=parameters_from_dict({}),
            schedule="weekly",
            recipients=["nobody"],
        )
    with pytest.raises(services.ApplicationError, match="at least one"):
        services.saved_report_create(
            owner=officer,
            name="x",
            type_slug="needs-overview",
            parameters=parameters_from_dict({}),
            schedule="weekly",
            recipients=[" "],
        )
    assert SavedReport.objects.count() == 0

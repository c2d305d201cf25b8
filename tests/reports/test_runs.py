"""Report runs: requested in a scope, built by a task (in-process here, by a real Celery worker
through Redis in the last test), stored in every format, reused within REPORT_REUSE_MINUTES,
and failing with a message a person can act on."""

import datetime
import io
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Membership
from catalog.models import RegionalOffice
from reports import services
from reports.models import ReportRun
from reports.report import Parameters, ReportType
from reports.types import REPORT_TYPES
from tests.factories import (
    MembershipFactory,
    NeedFactory,
    OfficerFactory,
    OrganizationFactory,
    StaffUserFactory,
    country,
)
from tests.reports.test_rendering import SAMPLE_TYPE
from tests.search.indexing import ensure_reference_data
from tests.workers import celery_worker

pytestmark = pytest.mark.django_db

PERIOD = Parameters(period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 6, 30))


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def request_run(django_capture_on_commit_callbacks: Any) -> Callable[..., tuple[ReportRun, bool]]:
    """`report_run_request`, with the task it enqueues on commit run (in-process) at once."""

    def request(**kwargs: Any) -> tuple[ReportRun, bool]:
        with django_capture_on_commit_callbacks(execute=True):
            return services.report_run_request(**kwargs)

    return request


@pytest.fixture
def sample_type(monkeypatch: pytest.MonkeyPatch) -> ReportType:
    """The tests' own small report type, in the registry for the length of a test."""
    monkeypatch.setitem(REPORT_TYPES, SAMPLE_TYPE.slug, SAMPLE_TYPE)
    return SAMPLE_TYPE


def test_a_requested_run_is_built_and_stored_in_every_format(
    settings: Any, sample_type: ReportType, request_run: Callable[..., tuple[ReportRun, bool]]
) -> None:
    settings.PORTAL_VERSION = "3.2.1"
    staff: Any = StaffUserFactory()
    run, reused = request_run(type_slug="sample", parameters=PERIOD, user=staff)
    assert not reused
    run.refresh_from_db()
    assert (run.status, run.progress, run.error) == (ReportRun.Status.SUCCEEDED, 100, "")
    assert run.scope == "staff" and run.requested_by == staff
    assert run.parameters == {"period_start": "2026-01-01", "period_end": "2026-06-30"}
    assert run.portal_version == "3.2.1"
    assert run.read_at == datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC)
    assert run.started_at is not None and run.finished_at is not None
    assert run.report is not None and run.report["title"] == "Sample needs report"
    with run.xlsx_file.open("rb") as handle:
        workbook = load_workbook(handle)
    assert workbook.sheetnames == ["About", "needs-by-country", "needs-by-month"]
    with run.csv_file.open("rb") as handle:
        assert len(zipfile.ZipFile(io.BytesIO(handle.read())).namelist()) == 2
    with run.pdf_file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_the_same_request_within_the_reuse_window_returns_the_stored_run(
    settings: Any, sample_type: ReportType, request_run: Callable[..., tuple[ReportRun, bool]]
) -> None:
    settings.REPORT_REUSE_MINUTES = 60
    staff, colleague = StaffUserFactory(), StaffUserFactory()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first, _ = request_run(type_slug="sample", parameters=PERIOD, user=staff)
        again, reused = request_run(type_slug="sample", parameters=PERIOD, user=colleague)
        assert (again.pk, reused) == (first.pk, True)

        other = Parameters(period_start=datetime.date(2026, 1, 1))
        different, reused = request_run(type_slug="sample", parameters=other, user=staff)
        assert different.pk != first.pk and not reused

        clock.shift(datetime.timedelta(minutes=61))
        later, reused = request_run(type_slug="sample", parameters=PERIOD, user=staff)
        assert later.pk not in (first.pk, different.pk) and not reused
    assert ReportRun.objects.count() == 3


def test_an_officer_never_reuses_a_staff_run_and_gets_their_own_region(
    sample_type: ReportType, request_run: Callable[..., tuple[ReportRun, bool]]
) -> None:
    staff: Any = StaffUserFactory()
    officer: Any = OfficerFactory()
    staff_run, _ = request_run(
        type_slug="sample", parameters=Parameters(region="africa"), user=staff
    )
    # Whatever region the officer asks for, the run is their office's.
    run, reused = request_run(
        type_slug="sample", parameters=Parameters(region="asia-pacific"), user=officer
    )
    assert not reused and run.pk != staff_run.pk
    assert run.scope == "office:africa" and run.parameters == {"region": "africa"}
    colleague: Any = OfficerFactory()
    same, reused = request_run(type_slug="sample", parameters=Parameters(), user=colleague)
    assert (same.pk, reused) == (run.pk, True)


def test_a_failed_run_is_not_reused(
    monkeypatch: pytest.MonkeyPatch, request_run: Callable[..., tuple[ReportRun, bool]]
) -> None:
    def broken(parameters: Parameters) -> Any:
        raise RuntimeError("database exploded")

    monkeypatch.setitem(
        REPORT_TYPES,
        "broken",
        ReportType(slug="broken", title="Broken", description="", build=broken),
    )
    staff: Any = StaffUserFactory()
    first, _ = request_run(type_slug="broken", parameters=Parameters(), user=staff)
    first.refresh_from_db()
    assert first.status == ReportRun.Status.FAILED
    # The person reads what to do, never the internal error.
    assert "error on our side" in first.error and "exploded" not in first.error
    assert not first.report and not first.xlsx_file
    second, reused = request_run(type_slug="broken", parameters=Parameters(), user=staff)
    assert second.pk != first.pk and not reused


def test_parameters_a_report_cannot_use_fail_the_run_with_their_reason(
    request_run: Callable[..., tuple[ReportRun, bool]],
) -> None:
    staff: Any = StaffUserFactory()
    # The contribution report needs an organization; the service does not check that itself.
    run, _ = request_run(type_slug="partner-contribution", parameters=PERIOD, user=staff)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.FAILED
    assert run.error.startswith("The report cannot be built with these parameters:")
    assert "organization_id" in run.error


def test_a_partner_gets_the_contribution_report_of_their_own_organization(
    request_run: Callable[..., tuple[ReportRun, bool]],
) -> None:
    membership: Membership = MembershipFactory()
    OrganizationFactory(name="Someone else")
    run, _ = request_run(type_slug="partner-contribution", parameters=PERIOD, user=membership.user)
    run.refresh_from_db()
    assert run.scope == f"organization:{membership.organization_id}"
    assert run.parameters["organization_id"] == membership.organization_id
    assert run.status == ReportRun.Status.SUCCEEDED, run.error


def test_a_second_delivery_of_the_task_changes_nothing(
    sample_type: ReportType, request_run: Callable[..., tuple[ReportRun, bool]]
) -> None:
    run, _ = request_run(type_slug="sample", parameters=PERIOD, user=StaffUserFactory())
    run.refresh_from_db()
    finished_at = run.finished_at
    assert services.report_run_build(run_id=run.pk) is False
    run.refresh_from_db()
    assert run.finished_at == finished_at and run.status == ReportRun.Status.SUCCEEDED


def test_the_sweep_fails_runs_a_dead_worker_left_and_finds_lost_messages() -> None:
    staff: Any = StaffUserFactory()
    long_ago = timezone.now() - datetime.timedelta(days=1)
    stalled = ReportRun.objects.create(
        type_slug="needs-overview",
        scope="staff",
        requested_by=staff,
        status=ReportRun.Status.RUNNING,
        started_at=long_ago,
        created_at=long_ago,
    )
    lost = ReportRun.objects.create(
        type_slug="needs-overview", scope="staff", requested_by=staff, created_at=long_ago
    )
    fresh = ReportRun.objects.create(
        type_slug="needs-overview",
        scope="staff",
        requested_by=staff,
        status=ReportRun.Status.RUNNING,
        started_at=timezone.now(),
    )
    count, requeue = services.report_runs_sweep()
    assert (count, requeue) == (1, [lost.pk])
    stalled.refresh_from_db()
    fresh.refresh_from_db()
    assert stalled.status == ReportRun.Status.FAILED and "Request it again" in stalled.error
    assert fresh.status == ReportRun.Status.RUNNING


# A real worker --------------------------------------------------------------------------------


def eventually(check: Callable[[], bool], *, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


@pytest.fixture
def worker(
    transactional_db: None, jobs_on_broker: None, media_root: Path, tmp_path: Path
) -> Iterator[None]:
    ensure_reference_data()
    with celery_worker("reports-test", {"MEDIA_ROOT": str(media_root)}, tmp_path):
        yield


def test_a_real_worker_builds_the_run_that_the_web_only_queued(worker: None) -> None:
    africa = RegionalOffice.objects.get(code="africa")
    for _ in range(3):
        NeedFactory(regional_office=africa, countries=[country("KEN")])
    officer: Any = OfficerFactory(regional_office=africa)
    run, _ = services.report_run_request(
        type_slug="needs-overview", parameters=Parameters(), user=officer
    )
    # The request itself built nothing: the run waits for the worker.
    assert run.status == ReportRun.Status.QUEUED and not run.report

    def finished() -> bool:
        run.refresh_from_db()
        return run.is_finished

    eventually(finished)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    assert run.parameters == {"region": "africa"}
    assert run.xlsx_file and Path(run.xlsx_file.path).is_file()
    assert Path(run.pdf_file.path).read_bytes().startswith(b"%PDF-")

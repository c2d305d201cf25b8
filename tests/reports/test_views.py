"""The report pages: who may request what (staff, an officer for their region, a partner for
its own contribution), the run page and its status, downloads whose numbers are the page's,
bad parameters answered with clear errors, saved definitions; someone else's runs stay hidden."""

import datetime
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import Membership
from catalog.models import RegionalOffice
from reports.models import ReportRun, SavedReport
from reports.types import REPORT_TYPES
from tests.factories import (
    MatchFactory,
    MembershipFactory,
    NeedFactory,
    OfficerFactory,
    StaffUserFactory,
    UserFactory,
    country,
)

pytestmark = pytest.mark.django_db

REGION_TYPES = sorted(slug for slug, kind in REPORT_TYPES.items() if "region" in kind.parameters)


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def built(django_capture_on_commit_callbacks: Any) -> Any:
    """Run the build task the request enqueues (in-process, as `make run` does)."""

    def post(client: Client, path: str, data: dict[str, Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data)

    return post


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def linked_types(page: str) -> list[str]:
    return sorted(set(re.findall(r'href="/reports/([a-z-]+)/"', page)) - {"saved"})


def test_each_role_is_offered_the_reports_it_may_request() -> None:
    staff = signed_in(StaffUserFactory()).get("/reports/").content.decode()
    assert linked_types(staff) == sorted(REPORT_TYPES)
    officer = signed_in(OfficerFactory()).get("/reports/").content.decode()
    assert linked_types(officer) == REGION_TYPES and "sync-health" not in officer
    partner = signed_in(MembershipFactory().user).get("/reports/").content.decode()
    assert linked_types(partner) == ["partner-contribution"]
    # Someone with no role has no reports at all.
    assert signed_in(UserFactory()).get("/reports/").status_code == 403


def test_an_officer_cannot_request_a_report_that_is_not_for_officers() -> None:
    client = signed_in(OfficerFactory())
    assert client.get("/reports/sync-health/").status_code == 403
    assert client.post("/reports/partner-contribution/", {}).status_code == 403
    assert client.get("/reports/no-such-report/").status_code == 404
    assert ReportRun.objects.count() == 0


def test_the_form_shows_only_the_parameters_the_report_uses_and_fixes_the_officers_region() -> None:
    staff_form = signed_in(StaffUserFactory()).get("/reports/needs-overview/").content.decode()
    for name in ("period_start", "period_end", "region", "country_iso3", "theme", "sdg_goal"):
        assert f'name="{name}"' in staff_form
    assert 'name="module"' not in staff_form and 'name="organization_id"' not in staff_form
    officer_form = signed_in(OfficerFactory()).get("/reports/needs-overview/").content.decode()
    assert 'name="region"' not in officer_form
    assert "<dt>Regional office</dt><dd>Africa</dd>" in officer_form


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"period_start": "2026-06-01", "period_end": "2026-01-01"}, "period_end", "cannot end"),
        ({"period_start": "31/02/2026"}, "period_start", "Enter a valid date."),
        ({"period_start": "1850-01-01"}, "period_start", "Choose a date from 2000-01-01"),
        ({"region": "atlantis"}, "region", "Select a valid choice."),
        ({"country_iso3": "XXX"}, "country_iso3", "Select a valid choice."),
        ({"sdg_goal": "18"}, "sdg_goal", "Select a valid choice."),
        ({"sdg_goal": "'; drop table"}, "sdg_goal", "Select a valid choice."),
    ],
)
def test_bad_parameters_are_answered_with_a_clear_error_and_no_run(
    data: dict[str, str], field: str, message: str
) -> None:
    response = signed_in(StaffUserFactory()).post("/reports/needs-overview/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page and message in page
    assert ReportRun.objects.count() == 0


def test_the_page_and_every_download_show_the_same_numbers(built: Any) -> None:
    africa = RegionalOffice.objects.get(code="africa")
    for iso3, count in (("KEN", 3), ("UGA", 2), ("NGA", 1)):
        for _ in range(count):
            NeedFactory(regional_office=africa, countries=[country(iso3)])
    MatchFactory(need=NeedFactory(regional_office=africa), score=0.9)
    client = signed_in(StaffUserFactory())

    response = built(client, "/reports/needs-overview/", {"region": "africa"})
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/runs/{run.pk}/"
    page = client.get(response["Location"]).content.decode()
    run.refresh_from_db()
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    assert "<dt>Regional office</dt><dd>Africa</dd>" in page
    assert run.portal_version in page and "Data read at" in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="report-chart"') >= 1

    # The page's tables, as machines read them (each cell's raw value).
    page_tables: dict[str, list[list[str]]] = {}
    for slug, body in re.findall(r'<table data-table="([^"]+)">(.*?)</table>', page, re.S):
        page_tables[slug] = [
            re.findall(r'data-value="([^"]*)"', row) for row in re.findall(r"<tr>(.*?)</tr>", body)
        ][1:]
    assert page_tables, "the report has tables"

    xlsx = client.get(f"/reports/runs/{run.pk}/download/xlsx/")
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert workbook.sheetnames[0] == "About"
    for slug, rows in page_tables.items():
        sheet = next(
            workbook[name] for name in workbook.sheetnames[1:] if slug.startswith(name[:25])
        )
        sheet_rows = [[_raw(cell.value) for cell in row] for row in sheet.iter_rows(min_row=2)]
        assert sheet_rows == [[_number(value) for value in row] for row in rows], slug

    figures = re.findall(r'<dd data-value="([^"]*)" data-kind="(\w+)">([^<]*)</dd>', page)
    assert figures
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True) if row[0]}
    labels = re.findall(r'<div class="figure"><dt>([^<]*)</dt>', page)
    for label, (raw, _kind, _shown) in zip(labels, figures, strict=True):
        assert _raw(about[label.replace("&#x27;", "'")]) == _number(raw), label

    pdf = client.get(f"/reports/runs/{run.pk}/download/pdf/")
    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages
    )
    text = re.sub(r"\s+", " ", text)
    for _raw_value, _kind, shown in figures:
        assert shown in text
    assert run.portal_version in text and "Africa" in text

    archive = client.get(f"/reports/runs/{run.pk}/download/csv/")
    names = zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))).namelist()
    run.refresh_from_db()
    assert run.report is not None
    assert sorted(names) == sorted(f"{table['slug']}.csv" for table in run.report["tables"])
    first = next(iter(page_tables))
    single = client.get(f"/reports/runs/{run.pk}/tables/{first}.csv")
    assert single.status_code == 200 and "# Regional office: Africa" in single.content.decode(
        "utf-8-sig"
    )


def _number(value: str) -> Any:
    if value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else round(number, 6)


def _raw(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() else round(value, 6)
    return value


def test_runs_are_seen_only_by_those_who_share_their_scope(built: Any) -> None:
    officer = OfficerFactory()
    built(signed_in(officer), "/reports/needs-overview/", {})
    run = ReportRun.objects.get()
    assert run.scope == "office:africa"
    paths = [
        f"/reports/runs/{run.pk}/",
        f"/reports/runs/{run.pk}/status.json",
        f"/reports/runs/{run.pk}/download/xlsx/",
    ]
    colleague = signed_in(OfficerFactory())
    staff = signed_in(StaffUserFactory())
    other_office = signed_in(
        OfficerFactory(regional_office=RegionalOffice.objects.get(code="west-asia"))
    )
    partner = signed_in(MembershipFactory().user)
    for path in paths:
        assert colleague.get(path).status_code == 200, path
        assert staff.get(path).status_code == 200, path
        assert other_office.get(path).status_code == 404, path
        assert partner.get(path).status_code == 404, path
    # Their recent runs list only what they requested.
    assert f"/reports/runs/{run.pk}/" in signed_in(officer).get("/reports/").content.decode()
    assert f"/reports/runs/{run.pk}/" not in other_office.get("/reports/").content.decode()


def test_a_partner_with_two_organizations_chooses_one_of_theirs(built: Any) -> None:
    membership: Membership = MembershipFactory()
    second = MembershipFactory(user=membership.user).organization
    stranger = MembershipFactory().organization
    client = signed_in(membership.user)
    refused = client.post("/reports/partner-contribution/", {"organization_id": stranger.pk})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    missing = client.post("/reports/partner-contribution/", {})
    assert missing.status_code == 400 and "This field is required" in missing.content.decode()
    assert ReportRun.objects.count() == 0
    built(client, "/reports/partner-contribution/", {"organization_id": second.pk})
    run = ReportRun.objects.get()
    assert (run.scope, run.parameters["organization_id"]) == (
        f"organization:{second.pk}",
        second.pk,
    )


def test_the_status_endpoint_follows_a_queued_run() -> None:
    staff = StaffUserFactory()
    run = ReportRun.objects.create(
        type_slug="needs-overview",
        scope="staff",
        requested_by=staff,
        progress=40,
        status=ReportRun.Status.RUNNING,
        progress_message="Reading the data…",
    )
    client = signed_in(staff)
    status = client.get(f"/reports/runs/{run.pk}/status.json")
    assert status.json() == {
        "id": run.pk,
        "status": "running",
        "status_label": "Running",
        "progress": 40,
        "message": "Reading the data…",
        "error": "",
        "finished": False,
        "url": f"/reports/runs/{run.pk}/",
    }
    page = client.get(f"/reports/runs/{run.pk}/").content.decode()
    assert 'data-status-url="/reports/runs/' in page and "run-status.js" in page
    assert '<progress id="run-progress-bar" max="100" value="40"' in page
    # Nothing to download yet: back to the page with a message, never a 500.
    download = client.get(f"/reports/runs/{run.pk}/download/pdf/")
    assert download.status_code == 302 and download["Location"] == f"/reports/runs/{run.pk}/"
    assert client.get(f"/reports/runs/{run.pk}/download/exe/").status_code == 404


def test_a_failed_run_shows_its_message_and_offers_to_try_again() -> None:
    staff = StaffUserFactory()
    run = ReportRun.objects.create(
        type_slug="needs-overview",
        scope="staff",
        requested_by=staff,
        status=ReportRun.Status.FAILED,
        error="Building the report took too long.",
    )
    page = signed_in(staff).get(f"/reports/runs/{run.pk}/").content.decode()
    assert "Building the report took too long." in page
    assert 'href="/reports/needs-overview/"' in page


def test_saved_reports_are_created_changed_and_deleted_by_their_owner_only(built: Any) -> None:
    officer = OfficerFactory(email="amina@unep.example")
    client = signed_in(officer)
    built(client, "/reports/needs-overview/", {"period_start": "2026-01-01"})
    run = ReportRun.objects.get()
    bad = client.post(
        f"/reports/runs/{run.pk}/save/",
        {"name": "Weekly", "schedule": "weekly", "recipients": "not an address"},
    )
    assert bad.status_code == 302 and SavedReport.objects.count() == 0
    created = client.post(
        f"/reports/runs/{run.pk}/save/",
        {
            "name": "Africa needs, weekly",
            "schedule": "weekly",
            "recipients": "amina@unep.example, Team@UNEP.example\nteam@unep.example",
        },
    )
    assert created.status_code == 302 and created["Location"] == "/reports/saved/"
    saved = SavedReport.objects.get()
    assert saved.owner == officer and saved.type_slug == "needs-overview"
    assert saved.parameters == {"period_start": "2026-01-01", "region": "africa"}
    assert saved.recipients == ["amina@unep.example", "team@unep.example"]
    assert saved.next_run_at.weekday() == 0 and saved.next_run_at.hour == 6
    listing = client.get("/reports/saved/").content.decode()
    assert "Africa needs, weekly" in listing and "team@unep.example" in listing

    stranger = signed_in(OfficerFactory())
    assert stranger.get(f"/reports/saved/{saved.pk}/").status_code == 404
    assert stranger.post(f"/reports/saved/{saved.pk}/delete/").status_code == 404
    changed = client.post(
        f"/reports/saved/{saved.pk}/",
        {"name": "Monthly now", "schedule": "monthly", "recipients": "amina@unep.example"},
    )
    assert changed.status_code == 302
    saved.refresh_from_db()
    assert (saved.name, saved.schedule, saved.next_run_at.day) == ("Monthly now", "monthly", 1)
    assert client.post(f"/reports/saved/{saved.pk}/delete/").status_code == 302
    assert SavedReport.objects.count() == 0

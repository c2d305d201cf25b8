"""A report in a real Chromium: a member of staff requests the needs overview of the Africa
office, watches a real Celery worker build it (the page polls its status), reads the figures,
the charts and the tables, and downloads the spreadsheet, whose numbers are the page's."""

import datetime
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from catalog.models import RegionalOffice, Theme
from matching.models import Need
from reports.models import ReportRun
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_need_registration import sign_in, verified
from tests.factories import NeedFactory, StaffUserFactory, country
from tests.workers import celery_worker

NEEDS = {"KEN": 6, "ETH": 4, "NGA": 3, "SEN": 2, "ZAF": 2, "MOZ": 1, "TZA": 3, "GHA": 1}


@pytest.fixture
def own_connection_closed() -> Iterator[None]:
    yield
    connections.close_all()


@pytest.fixture
def needs_of_africa(reference_data: None) -> User:
    africa = RegionalOffice.objects.get(code="africa")
    themes = list(Theme.objects.order_by("pk"))
    opened = timezone.now() - datetime.timedelta(days=40)
    index = 0
    for iso3, count in NEEDS.items():
        for _ in range(count):
            need: Need = NeedFactory(
                regional_office=africa,
                countries=[country(iso3)],
                submitted_at=opened - datetime.timedelta(days=index),
                validated_at=opened,
                opened_at=opened,
            )
            need.themes.set([themes[index % len(themes)]])
            index += 1
    return verified(StaffUserFactory(email="programme@unep.example", first_name="Programme"))


@pytest.fixture
def worker(
    live_server: LiveServer,
    jobs_on_broker: None,
    settings: Any,
    tmp_path: Path,
    needs_of_africa: User,
) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    with celery_worker("reports-browser", {"MEDIA_ROOT": str(settings.MEDIA_ROOT)}, tmp_path):
        yield


@pytest.mark.browser
def test_staff_request_a_report_watch_it_finish_and_download_the_spreadsheet(
    live_server: LiveServer,
    needs_of_africa: User,
    worker: None,
    chromium_page: Page,
    own_connection_closed: None,
) -> None:
    page = chromium_page
    sign_in(page, live_server, needs_of_africa)
    page.goto(live_server.url + "/reports/")
    page.get_by_role("link", name="Needs overview").click()
    page.get_by_label("Regional office").select_option(label="Africa")
    page.get_by_role("button", name="Build the report").click()

    # The worker builds it while the page polls; then the page shows the report.
    expect(page.get_by_role("heading", level=1, name="Needs overview")).to_be_visible()
    expect(page.get_by_role("link", name="Spreadsheet (XLSX)")).to_be_visible(timeout=90_000)
    run = ReportRun.objects.get()
    assert run.status == ReportRun.Status.SUCCEEDED and run.parameters == {"region": "africa"}

    expect(page.locator(".report-about")).to_contain_text("Africa")
    expect(page.locator(".report-about")).to_contain_text(run.portal_version)
    map_chart = page.locator("figure.report-chart-choropleth svg")
    expect(map_chart).to_be_visible()
    expect(map_chart.locator("title", has_text="Kenya: 6")).to_have_count(1)
    expect(page.locator("figure.report-chart-bar svg").first).to_be_visible()
    by_country = page.locator('table[data-table="needs-by-country"]')
    expect(by_country.get_by_role("row", name=re.compile("Kenya"))).to_contain_text("6")
    page.set_viewport_size({"width": 1280, "height": 1800})  # down to the map
    page.screenshot(path=str(SCREENSHOTS / "report.png"))

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Spreadsheet (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename == f"needs-overview-{run.pk}.xlsx"
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert workbook.sheetnames[0] == "About"
    sheet = next(workbook[name] for name in workbook.sheetnames if name.startswith("needs-by-co"))
    header = [cell.value for cell in sheet[1]]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    open_column = header.index(next(label for label in header if label and "Open" in label))
    # The spreadsheet's numbers are the page's, country by country.
    for iso3, count in NEEDS.items():
        assert rows[iso3][open_column] == count, iso3
        cells = by_country.locator(f'tr:has(td[data-value="{iso3}"], th[data-value="{iso3}"])')
        expect(cells.locator("td").nth(open_column - 1)).to_have_attribute("data-value", str(count))

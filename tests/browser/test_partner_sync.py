"""Partner sync in a real Chromium: a member of staff adds a CKAN source in the admin (a replay
of real Humanitarian Data Exchange datasets served on 127.0.0.1), clicks "Run now", watches the
run's progress page while a real Celery worker harvests it, and reads the result counts."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from catalog.models import Entry
from partners.models import PartnerSource, SyncRun
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_need_registration import sign_in, verified
from tests.factories import StaffUserFactory
from tests.partners.servers import CkanReplay, LocalServer, Reply, Request, hdx_packages
from tests.workers import celery_worker

# Each answer of the replay waits this long, so that the page shows the run going on.
PAGE_DELAY = 1.5


@pytest.fixture
def own_connection_closed() -> Iterator[None]:
    yield
    connections.close_all()


@pytest.mark.browser
def test_staff_add_a_source_run_it_now_and_watch_it_finish(
    live_server: LiveServer,
    reference_data: None,
    jobs_on_broker: None,
    chromium_page: Page,
    tmp_path: Path,
    own_connection_closed: None,
) -> None:
    page = chromium_page
    staff = verified(StaffUserFactory(email="sync@unep.example", is_superuser=True))
    replay = CkanReplay(hdx_packages())

    def slow(request: Request) -> Reply:
        reply = replay(request)
        reply.delay = PAGE_DELAY
        return reply

    with (
        LocalServer(slow) as ckan,
        celery_worker("partner-sync-browser", {}, tmp_path),
    ):
        sign_in(page, live_server, staff)
        page.goto(live_server.url + "/admin/partners/partnersource/add/")
        page.get_by_label("Name:").fill("Humanitarian Data Exchange (replay)")
        page.get_by_label("Connector:").select_option(label="CKAN action API")
        page.get_by_label("Endpoint:").fill(ckan.url + "/api/3/action")
        page.get_by_label("Schedule:").select_option(PartnerSource.Schedule.OFF)
        page.get_by_role("button", name="Save and continue editing").click()
        expect(page.get_by_text("was added successfully")).to_be_visible()

        page.get_by_role("button", name="Run now").click()

        expect(page).to_have_url(re.compile(r"/partners/runs/\d+/$"))
        status = page.locator('[data-field="status_label"]')
        # The worker has not finished when the page first shows: it updates itself.
        expect(status).to_have_text(re.compile("^(Queued|Running)$"))
        expect(page.get_by_text("This page updates itself until the run ends.")).to_be_visible()
        expect(status).to_have_text("Succeeded", timeout=90_000)

    source = PartnerSource.objects.get(name="Humanitarian Data Exchange (replay)")
    run = SyncRun.objects.get(source=source)
    assert (run.status, run.trigger, run.requested_by) == (
        SyncRun.Status.SUCCEEDED,
        SyncRun.Trigger.MANUAL,
        staff,
    )
    assert run.fetched == 11 and run.created + run.failed == 11
    counts = page.locator("table.run-counts")
    expect(counts.locator('[data-count="fetched"]')).to_have_text("11")
    expect(counts.locator('[data-count="created"]')).to_have_text(str(run.created))
    expect(counts.locator('[data-count="failed"]')).to_have_text(str(run.failed))
    # Once finished, the page stops polling and shows the finish time.
    expect(page.get_by_text("This page updates itself until the run ends.")).to_have_count(0)
    assert Entry.objects.filter(source=source).count() == run.created
    page.screenshot(path=str(SCREENSHOTS / "partner-sync.png"), full_page=True)

    # The health page lists the source with its successful run.
    page.goto(live_server.url + "/partners/sources/")
    row = page.locator(f"#source-{source.pk}")
    expect(row).to_contain_text("Succeeded")
    expect(row).to_contain_text("fresh")

"""The staff pages of partner sync: a run's progress (and its status.json), the health of every
source and of one, with its record errors and conflicts; the organization duplicates page."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from catalog.models import Entry, Organization
from partners.models import PartnerSource, SyncConflict, SyncRecordError, SyncRun
from tests.factories import (
    EntryFactory,
    MembershipFactory,
    OrganizationFactory,
    PartnerSourceFactory,
    StaffUserFactory,
    country,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


def _run(
    source: PartnerSource, status: str = SyncRun.Status.SUCCEEDED, **fields: object
) -> SyncRun:
    return SyncRun.objects.create(source=source, status=status, **fields)


@pytest.fixture
def staff_client(client: Client) -> Client:
    staff: User = StaffUserFactory()
    client.force_login(staff)
    return client


def _pages(source: PartnerSource, run: SyncRun) -> list[str]:
    return [
        "/partners/sources/",
        f"/partners/sources/{source.pk}/",
        f"/partners/runs/{run.pk}/",
        f"/partners/runs/{run.pk}/status.json",
        "/partners/organizations/duplicates/",
    ]


def test_only_staff_see_the_sync_pages(client: Client) -> None:
    source: PartnerSource = PartnerSourceFactory()
    run = _run(source)
    pages = _pages(source, run)
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    # A partner administrator or an officer is signed in but not staff.
    partner: User = MembershipFactory().user
    client.force_login(partner)
    for page in pages:
        assert client.get(page).status_code == 403, page
    keep: Organization = OrganizationFactory(name="A")
    merge: Organization = OrganizationFactory(name="A")
    response = client.post("/partners/organizations/merge/", {"keep": keep.pk, "merge": [merge.pk]})
    assert response.status_code == 403
    assert Organization.objects.filter(pk=merge.pk).exists()


def test_run_status_json_gives_the_status_and_counts(staff_client: Client) -> None:
    source: PartnerSource = PartnerSourceFactory(name="HDX")
    with time_machine.travel(NOW, tick=False):
        run = _run(
            source,
            SyncRun.Status.RUNNING,
            started_at=NOW,
            heartbeat_at=NOW,
            fetched=120,
            created=100,
            updated=15,
            unchanged=3,
            archived=0,
            failed=2,
        )
    SyncRecordError.objects.create(run=run, external_id="hdx-1", message="No title")

    response = staff_client.get(f"/partners/runs/{run.pk}/status.json")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "id": run.pk,
        "source": "HDX",
        "status": "running",
        "status_label": "Running",
        "active": True,
        "counts": {
            "fetched": 120,
            "created": 100,
            "updated": 15,
            "unchanged": 3,
            "archived": 0,
            "failed": 2,
        },
        "created_at": "2026-11-26T12:00:00+00:00",
        "started_at": "2026-11-26T12:00:00+00:00",
        "finished_at": None,
        "heartbeat_at": "2026-11-26T12:00:00+00:00",
        "error": "",
        "record_errors": 1,
    }
    assert staff_client.get("/partners/runs/999999/status.json").status_code == 404


def test_run_page_polls_while_active_and_shows_errors_when_done(staff_client: Client) -> None:
    source: PartnerSource = PartnerSourceFactory(name="HDX")
    running = _run(source, SyncRun.Status.RUNNING, fetched=7)

    page = staff_client.get(f"/partners/runs/{running.pk}/").content.decode()

    assert f'data-status-url="/partners/runs/{running.pk}/status.json"' in page
    assert "js/sync-run.js" in page
    assert '<meta http-equiv="refresh" content="5">' in page  # inside <noscript>
    assert re.search(r'data-count="fetched">7<', page)

    running.status = SyncRun.Status.FAILED
    running.error = "HTTP 500 from the portal"
    running.save()
    SyncRecordError.objects.create(run=running, external_id="rec-9", message="Missing identifier")
    page = staff_client.get(f"/partners/runs/{running.pk}/").content.decode()

    assert "data-status-url" not in page and "sync-run.js" not in page
    assert "HTTP 500 from the portal" in page
    assert "rec-9" in page and "Missing identifier" in page


def test_source_list_shows_last_success_error_rates_freshness_and_trend(
    staff_client: Client,
) -> None:
    healthy: PartnerSource = PartnerSourceFactory(
        name="IATI registry", schedule=PartnerSource.Schedule.DAILY
    )
    failing: PartnerSource = PartnerSourceFactory(
        name="Broken CKAN", schedule=PartnerSource.Schedule.HOURLY
    )
    never: PartnerSource = PartnerSourceFactory(
        name="New OAI", schedule=PartnerSource.Schedule.DAILY
    )
    with time_machine.travel(NOW - datetime.timedelta(hours=5), tick=False):
        _run(healthy, fetched=100, created=90, updated=0, failed=10, finished_at=timezone.now())
        _run(failing, fetched=50, created=50, finished_at=timezone.now())
    with time_machine.travel(NOW - datetime.timedelta(hours=1), tick=False):
        _run(healthy, fetched=100, created=0, updated=100, finished_at=timezone.now())
        for _ in range(3):
            _run(failing, SyncRun.Status.FAILED, error="timeout", finished_at=timezone.now())

    with time_machine.travel(NOW, tick=False):
        page = staff_client.get("/partners/sources/").content.decode()

    rows = {
        name: re.search(rf'<tr id="source-{source.pk}">(.*?)</tr>', page, re.S).group(1)  # type: ignore[union-attr]
        for name, source in (("healthy", healthy), ("failing", failing), ("never", never))
    }
    # Healthy: 0 % failed runs, 5 % of records failed (10 of 200), fresh, two bars.
    assert re.findall(r'class="num">([^<]*)<', rows["healthy"]) == ["0 %", "5 %"]
    assert "fresh" in rows["healthy"] and "Succeeded" in rows["healthy"]
    assert rows["healthy"].count("<g><title>") == 2
    assert "90 created, 0 updated, 10 failed" in rows["healthy"]
    # Failing: 3 of 4 runs failed; its last success is 5 hours old, on an hourly schedule.
    assert re.findall(r'class="num">([^<]*)<', rows["failing"]) == ["75 %", "0 %"]
    assert "stale" in rows["failing"] and "Failed" in rows["failing"]
    assert "never synchronised" in rows["never"] and "never" in rows["never"]


def test_trend_keeps_the_last_twenty_runs(staff_client: Client) -> None:
    source: PartnerSource = PartnerSourceFactory()
    for index in range(25):
        _run(source, created=index)

    page = staff_client.get("/partners/sources/").content.decode()

    assert page.count("<g><title>") == 20
    assert ": 24 created" in page and ": 4 created" not in page


def test_source_page_lists_runs_errors_of_failed_runs_and_resolves_conflicts(
    staff_client: Client,
) -> None:
    source: PartnerSource = PartnerSourceFactory(name="OAI of UNEP")
    other: PartnerSource = PartnerSourceFactory(name="Someone else's")
    ok = _run(source, fetched=3, created=3)
    failed = _run(source, SyncRun.Status.FAILED, fetched=2, failed=2, error="Bad token")
    SyncRecordError.objects.create(run=failed, external_id="oai:1", message="No title given")
    entry: Entry = EntryFactory(title="Solar dryers", source=source, external_id="oai:2")
    conflict = SyncConflict.objects.create(
        entry=entry, field="title", our_value="Solar dryers", source_value="Solar driers", run=ok
    )
    SyncConflict.objects.create(
        entry=EntryFactory(title="Not this one", source=other, external_id="x"),
        field="title",
        our_value="a",
        source_value="b",
    )

    page = staff_client.get(f"/partners/sources/{source.pk}/").content.decode()

    assert (
        f'href="/partners/runs/{ok.pk}/"' in page and f'href="/partners/runs/{failed.pk}/"' in page
    )
    assert "Bad token" in page and "oai:1" in page and "No title given" in page
    assert "Solar driers" in page and "Not this one" not in page

    response = staff_client.post(f"/partners/conflicts/{conflict.pk}/resolve/", {"keep": "source"})

    assert response.status_code == 302
    assert response["Location"] == f"/partners/sources/{source.pk}/"
    conflict.refresh_from_db()
    entry.refresh_from_db()
    assert conflict.resolved and entry.title == "Solar driers"
    # A second decision on the same conflict is refused with a message; nothing changes.
    response = staff_client.post(
        f"/partners/conflicts/{conflict.pk}/resolve/", {"keep": "ours"}, follow=True
    )
    assert "already resolved" in response.content.decode()
    entry.refresh_from_db()
    assert entry.title == "Solar driers"


def test_conflict_resolution_refuses_a_bad_choice(staff_client: Client) -> None:
    source: PartnerSource = PartnerSourceFactory()
    entry: Entry = EntryFactory(title="Ours", source=source, external_id="1")
    conflict = SyncConflict.objects.create(
        entry=entry, field="title", our_value="Ours", source_value="Theirs"
    )

    response = staff_client.post(
        f"/partners/conflicts/{conflict.pk}/resolve/", {"keep": "both"}, follow=True
    )

    assert "Choose to keep our value or the source" in response.content.decode()
    conflict.refresh_from_db()
    assert not conflict.resolved


def test_duplicates_page_merges_a_group(staff_client: Client) -> None:
    keep: Organization = OrganizationFactory(name="Barefoot College", country=country("IND"))
    twin: Organization = OrganizationFactory(name="BAREFOOT COLLEGE", country=country("IND"))
    entry: Entry = EntryFactory(providers=[twin])

    page = staff_client.get("/partners/organizations/duplicates/").content.decode()
    assert f'name="keep" value="{keep.pk}"' in page and f'name="merge" value="{twin.pk}"' in page

    response = staff_client.post(
        "/partners/organizations/merge/",
        {"keep": keep.pk, "merge": [keep.pk, twin.pk]},
        follow=True,
    )

    assert "Merged 1 organization into" in response.content.decode()
    assert not Organization.objects.filter(pk=twin.pk).exists()
    assert list(entry.providers.all()) == [keep]
    assert "No organization looks like a duplicate" in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"keep": "x", "merge": ["1"]},
        {"keep": "1"},
        {"keep": "999999", "merge": ["999998"]},
    ],
)
def test_merge_with_bad_input_says_so_and_changes_nothing(
    staff_client: Client, data: dict[str, object]
) -> None:
    organizations = [OrganizationFactory(), OrganizationFactory()]
    response = staff_client.post("/partners/organizations/merge/", data, follow=True)
    assert response.status_code == 200
    assert 'class="message message-error"' in response.content.decode()
    assert Organization.objects.filter(pk__in=[o.pk for o in organizations]).count() == 2


def test_entry_page_says_where_a_synchronised_entry_comes_from(client: Client) -> None:
    source: PartnerSource = PartnerSourceFactory(
        name="UNEP IATI publisher", connector=PartnerSource.Connector.IATI
    )
    entry: Entry = EntryFactory(
        source=source,
        external_id="XM-DAC-41116-001",
        source_url="https://d-portal.org/q.html?aid=XM-DAC-41116-001",
        last_seen_at=NOW,
    )
    local: Entry = EntryFactory()

    html = client.get(f"/technologies/{entry.pk}/").content.decode()

    assert (
        "From UNEP IATI publisher (IATI activity XML), identifier XM-DAC-41116-001, "
        "last seen Nov. 26, 2026 · "
        '<a href="https://d-portal.org/q.html?aid=XM-DAC-41116-001" rel="noopener">'
        "the record at the source</a>"
    ) in html
    assert "Entered on this portal" in client.get(f"/technologies/{local.pk}/").content.decode()


def test_run_page_says_a_queued_run_waits_to_retry(staff_client: Client) -> None:
    source: PartnerSource = PartnerSourceFactory()
    run = _run(source, SyncRun.Status.QUEUED, retries=2, error="HTTP 503 from the partner")

    page = staff_client.get(f"/partners/runs/{run.pk}/").content.decode()

    assert "Waiting to try again (retry 2) after:</strong> HTTP 503 from the partner" in page
    assert "The run stopped" not in page

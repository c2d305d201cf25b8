"""Partner sources and sync runs in the API: read-only, and only for their owners and staff."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Membership
from partners.models import PartnerSource, SyncRecordError, SyncRun
from tests.api.conftest import bearer
from tests.factories import MembershipFactory, OrganizationFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(organization):
    return PartnerSource.objects.create(
        name="Water centre IATI",
        organization=organization,
        connector=PartnerSource.Connector.IATI,
        endpoint="https://water.example.org/iati.xml",
        credentials_env="WATER_CENTRE_TOKEN",
    )


@pytest.fixture
def other_source():
    return PartnerSource.objects.create(
        name="Someone else's CKAN",
        organization=OrganizationFactory(),
        connector=PartnerSource.Connector.CKAN,
        endpoint="https://data.example.org/",
    )


def _run(source, **values) -> SyncRun:
    return SyncRun.objects.create(source=source, **values)


def test_a_member_sees_the_runs_of_the_organizations_sources_only(
    api, organization, source, other_source
):
    finished = _run(
        source, status=SyncRun.Status.SUCCEEDED, fetched=10, created=7, unchanged=2, failed=1
    )
    SyncRecordError.objects.create(run=finished, external_id="XM-1", message="No title.")
    _run(other_source, status=SyncRun.Status.FAILED, error="HTTP 500")
    member = MembershipFactory(organization=organization, role=Membership.Role.CONTRIBUTOR).user
    api.force_authenticate(member)

    runs = api.get("/api/v1/sync-runs/").json()["results"]
    assert [(run["id"], run["created"], run["failed"]) for run in runs] == [(finished.pk, 7, 1)]
    detail = api.get(f"/api/v1/sync-runs/{finished.pk}/").json()
    assert detail["record_errors"] == [
        {
            "external_id": "XM-1",
            "message": "No title.",
            "created_at": detail["record_errors"][0]["created_at"],
        }
    ]
    sources = api.get("/api/v1/partner-sources/").json()["results"]
    assert [(item["name"], item["has_credentials"]) for item in sources] == [
        ("Water centre IATI", True)
    ]
    assert (
        "WATER_CENTRE_TOKEN"
        not in api.get(f"/api/v1/partner-sources/{source.pk}/").content.decode()
    )


def test_other_organizations_runs_are_not_found(api, organization, other_source):
    hidden = _run(other_source)
    api.force_authenticate(MembershipFactory(organization=organization).user)
    assert api.get(f"/api/v1/sync-runs/{hidden.pk}/").status_code == 404
    assert api.get(f"/api/v1/partner-sources/{other_source.pk}/").status_code == 404


def test_staff_see_every_run_and_filter_them(api, source, other_source):
    mine = _run(source, status=SyncRun.Status.RUNNING)
    theirs = _run(other_source, status=SyncRun.Status.FAILED)
    api.force_authenticate(StaffUserFactory())
    assert {run["id"] for run in api.get("/api/v1/sync-runs/").json()["results"]} == {
        mine.pk,
        theirs.pk,
    }
    failed = api.get("/api/v1/sync-runs/", {"status": "failed"}).json()["results"]
    assert [run["id"] for run in failed] == [theirs.pk]
    of_source = api.get("/api/v1/sync-runs/", {"source": source.pk}).json()["results"]
    assert [run["id"] for run in of_source] == [mine.pk]


def test_updated_since_keeps_runs_that_changed_since(api, source):
    long_ago = timezone.now() - datetime.timedelta(days=3)
    old = _run(source, status=SyncRun.Status.SUCCEEDED)
    SyncRun.objects.filter(pk=old.pk).update(created_at=long_ago, finished_at=long_ago)
    finished_now = _run(source, status=SyncRun.Status.SUCCEEDED)
    SyncRun.objects.filter(pk=finished_now.pk).update(
        created_at=long_ago, finished_at=timezone.now()
    )
    api.force_authenticate(StaffUserFactory())
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    runs = api.get("/api/v1/sync-runs/", {"updated_since": since}).json()["results"]
    assert [run["id"] for run in runs] == [finished_now.pk]


def test_bad_filters_are_400(api, source):
    api.force_authenticate(StaffUserFactory())
    for params in ({"status": "sleeping"}, {"source": "x"}, {"updated_since": "yesterday"}):
        response = api.get("/api/v1/sync-runs/", params)
        assert response.status_code == 400, params
        assert response["Content-Type"] == "application/problem+json"


def test_an_api_key_reads_its_organizations_runs_and_cannot_write(
    api, source, other_source, make_key
):
    run = _run(source)
    _run(other_source)
    _key, secret = make_key("read")
    runs = api.get("/api/v1/sync-runs/", **bearer(secret)).json()["results"]
    assert [item["id"] for item in runs] == [run.pk]
    # A key has no scope that writes here; people signed in get 405: runs are read-only.
    refused = api.delete(f"/api/v1/sync-runs/{run.pk}/", **bearer(secret))
    assert (refused.status_code, refused.json()["code"]) == (403, "scope_missing")
    api.force_authenticate(StaffUserFactory())
    assert api.post("/api/v1/sync-runs/", {}, format="json").status_code == 405
    assert api.delete(f"/api/v1/sync-runs/{run.pk}/").status_code == 405
    assert SyncRun.objects.filter(pk=run.pk).exists()


def test_anonymous_clients_see_nothing(api, source):
    _run(source)
    assert api.get("/api/v1/sync-runs/").status_code == 401
    assert api.get("/api/v1/partner-sources/").status_code == 401

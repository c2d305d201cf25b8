"""Incremental sync: updated_since, cursors, the deletions feed, conditional GETs, and a
constant number of queries per page."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from catalog import services
from catalog.models import Entry, Tombstone
from tests.factories import EntryFactory, OrganizationFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-13-45", "2026-01-01T25:00", "1", "2026-01-01T00:00:00+99:00"]
)
def test_malformed_updated_since_is_a_400(api, value):
    response = api.get("/api/v1/entries/", {"updated_since": value})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_updated_since"
    assert response.json()["errors"][0]["field"] == "updated_since"


@pytest.mark.parametrize(
    "path", ["/api/v1/entries/", "/api/v1/organizations/", "/api/v1/countries/"]
)
def test_updated_since_in_the_future_is_a_400(api, path):
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    response = api.get(path, {"updated_since": future})
    assert response.status_code == 400
    assert response.json()["code"] == "updated_since_in_future"


def test_updated_since_lists_what_changed_since(api):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=2), tick=False):
        old = EntryFactory()
    new = EntryFactory()
    since = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    assert _ids(api.get("/api/v1/entries/", {"updated_since": since})) == [new.pk]
    assert _ids(api.get("/api/v1/entries/")) == [old.pk, new.pk]
    day = timezone.now().date().isoformat()
    assert _ids(api.get("/api/v1/entries/", {"updated_since": day})) == [new.pk]


def test_cursor_pages_walk_every_entry_once(api):
    entries = [EntryFactory() for _ in range(7)]
    seen: list[int] = []
    url = "/api/v1/entries/?page_size=3"
    while url:
        response = api.get(url)
        assert response.status_code == 200
        seen += _ids(response)
        url = response.json()["next"]
    assert seen == [entry.pk for entry in entries]


@pytest.mark.parametrize("cursor", ["garbage", "cD0yMDI2", "%%%"])
def test_a_bad_cursor_is_a_400(api, cursor):
    EntryFactory()
    response = api.get("/api/v1/entries/", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("size", ["0", "-1", "ten", "1e3", "101"])
def test_a_bad_page_size_is_a_400(api, size):
    response = api.get("/api/v1/entries/", {"page_size": size})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_page_size"


def test_archiving_or_deleting_a_published_entry_leaves_a_tombstone(api):
    staff: User = StaffUserFactory()
    archived: Entry = EntryFactory()
    deleted, draft = EntryFactory(), EntryFactory(status="draft")
    organization = OrganizationFactory()
    before = timezone.now()
    services.entry_archive(entry=archived, by=staff)
    deleted_id = deleted.pk
    deleted.delete()
    draft.delete()
    organization_id = organization.pk
    organization.delete()
    rows = api.get("/api/v1/deletions/", {"since": before.isoformat()}).json()["results"]
    assert [(row["model"], row["id"]) for row in rows] == [
        ("entry", archived.pk),
        ("entry", deleted_id),
        ("organization", organization_id),
    ]
    assert _ids(api.get("/api/v1/entries/")) == []
    entries_only = api.get("/api/v1/deletions/", {"model": "entry"}).json()["results"]
    assert len(entries_only) == 2


def test_a_change_that_keeps_an_entry_published_leaves_no_tombstone():
    entry = EntryFactory()
    entry.title = "Renamed"
    entry.save()
    assert Tombstone.objects.count() == 0


def test_returning_to_draft_from_published_leaves_a_tombstone():
    entry = EntryFactory()
    entry.status = Entry.Status.DRAFT
    entry.save()
    assert list(Tombstone.objects.values_list("model", "object_id")) == [("entry", entry.pk)]


def test_bad_since_on_deletions_is_a_400(api):
    response = api.get("/api/v1/deletions/", {"since": "not a date"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_since"


# Conditional GETs ---------------------------------------------------------------------------


def test_detail_answers_304_to_its_etag_until_it_changes(api):
    entry = EntryFactory()
    first = api.get(f"/api/v1/entries/{entry.pk}/")
    etag = first["ETag"]
    assert first["Last-Modified"]
    again = api.get(f"/api/v1/entries/{entry.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    entry.title = "Changed"
    entry.save()
    changed = api.get(f"/api/v1/entries/{entry.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed.json()["title"] == "Changed"


def test_detail_answers_304_to_if_modified_since(api):
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=1), tick=False):
        entry = EntryFactory()
    first = api.get(f"/api/v1/entries/{entry.pk}/")
    response = api.get(
        f"/api/v1/entries/{entry.pk}/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
    )
    assert response.status_code == 304


def test_list_answers_304_until_an_entry_leaves_it(api):
    entry: Entry = EntryFactory()
    EntryFactory()
    etag = api.get("/api/v1/entries/")["ETag"]
    assert api.get("/api/v1/entries/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    staff: User = StaffUserFactory()
    services.entry_archive(entry=entry, by=staff)
    assert api.get("/api/v1/entries/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_vocabularies_answer_304(api):
    first = api.get("/api/v1/countries/")
    assert api.get("/api/v1/countries/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


# Queries per page ---------------------------------------------------------------------------


def _queries(api, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("path", ["/api/v1/entries/", "/api/v1/organizations/"])
def test_queries_per_list_page_do_not_grow_with_the_page_size(api, path, django_user_model):
    organization = OrganizationFactory()
    for _ in range(12):
        EntryFactory(providers=[organization, OrganizationFactory()])
    small = _queries(api, f"{path}?page_size=2")
    large = _queries(api, f"{path}?page_size=12")
    assert small == large


def test_queries_per_needs_page_do_not_grow_with_the_page_size(api):
    from tests.factories import NeedFactory, UserFactory

    for _ in range(10):
        NeedFactory()
    api.force_authenticate(UserFactory())
    assert _queries(api, "/api/v1/needs/?page_size=2") == _queries(
        api, "/api/v1/needs/?page_size=10"
    )

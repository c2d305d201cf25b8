"""Entries through the API: who sees what, writes through the catalogue services, and the
browser's search with its filters and facet counts."""

import uuid

import pytest

from catalog.models import Entry, EntryProvider
from search import indexer
from tests.api.conftest import bearer
from tests.factories import (
    EntryFactory,
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    StaffUserFactory,
    country,
)

pytestmark = pytest.mark.django_db

NEW = {
    "module": "technology",
    "kind": "technology",
    "title": "Solar water pump",
    "summary": "A pump for small farms.",
    "language": "en",
    "countries_of_origin": ["KEN"],
    "themes": ["climate-change"],
    "sdg_targets": ["13.2"],
    "links": [{"url": "https://example.org/pump", "label": "Manual"}],
}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_anonymous_clients_read_published_entries_only(api, organization):
    published = EntryFactory(providers=[organization])
    draft = EntryFactory(providers=[organization], status=Entry.Status.DRAFT)
    assert _ids(api.get("/api/v1/entries/")) == [published.pk]
    assert api.get(f"/api/v1/entries/{draft.pk}/").status_code == 404
    body = api.get(f"/api/v1/entries/{published.pk}/").json()
    assert body["contact_email"] is None
    assert body["providers"] == [
        {"organization": organization.pk, "name": organization.name, "role": "lead"}
    ]


def test_anonymous_clients_cannot_write(api):
    response = api.post("/api/v1/entries/", NEW, format="json")
    assert response.status_code == 401
    assert Entry.objects.count() == 0


def test_a_key_reads_its_organizations_drafts_but_not_others(api, make_key, organization):
    mine = EntryFactory(providers=[organization], status=Entry.Status.DRAFT)
    theirs = EntryFactory(status=Entry.Status.DRAFT)
    _key, secret = make_key("read")
    assert _ids(api.get("/api/v1/entries/", **bearer(secret))) == [mine.pk]
    assert api.get(f"/api/v1/entries/{theirs.pk}/", **bearer(secret)).status_code == 404
    assert _ids(api.get("/api/v1/entries/", {"status": "draft"}, **bearer(secret))) == [mine.pk]


def test_a_key_contributes_an_entry_for_its_organization(api, make_key, organization, admin):
    _key, secret = make_key("read", "write-entries")
    response = api.post("/api/v1/entries/", NEW, format="json", **bearer(secret))
    assert response.status_code == 201, response.content
    entry = Entry.objects.get()
    assert response["Location"] == f"/api/v1/entries/{entry.pk}/"
    assert entry.status == Entry.Status.DRAFT
    assert list(entry.provider_links.values_list("organization", "role")) == [
        (organization.pk, EntryProvider.Role.LEAD)
    ]
    assert entry.history.first().history_user == admin
    body = response.json()
    assert body["themes"] == ["climate-change"]
    assert body["sdg_targets"] == ["13.2"]
    assert body["links"] == [{"url": "https://example.org/pump", "label": "Manual"}]


def test_a_key_cannot_contribute_for_another_organization(api, make_key):
    other = OrganizationFactory()
    _key, secret = make_key("read", "write-entries")
    response = api.post(
        "/api/v1/entries/", {**NEW, "organization": other.pk}, format="json", **bearer(secret)
    )
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_organization"
    assert Entry.objects.count() == 0


def test_the_same_idempotency_key_creates_one_entry(api, make_key):
    _key, secret = make_key("read", "write-entries")
    header = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4()), **bearer(secret)}
    first = api.post("/api/v1/entries/", NEW, format="json", **header)
    second = api.post("/api/v1/entries/", NEW, format="json", **header)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Entry.objects.count() == 1
    bad = api.post(
        "/api/v1/entries/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="x", **bearer(secret)
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_idempotency_key"


def test_a_key_updates_and_submits_its_organizations_draft(api, make_key, organization):
    entry = EntryFactory(providers=[organization], status=Entry.Status.DRAFT)
    entry.links.create(url="https://example.org/kept", label="Kept")
    _key, secret = make_key("read", "write-entries")
    response = api.patch(
        f"/api/v1/entries/{entry.pk}/", {"title": "Better title"}, format="json", **bearer(secret)
    )
    assert response.status_code == 200, response.content
    entry.refresh_from_db()
    assert entry.title == "Better title"
    assert list(entry.links.values_list("url", flat=True)) == ["https://example.org/kept"]
    response = api.post(f"/api/v1/entries/{entry.pk}/submit/", **bearer(secret))
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    again = api.post(f"/api/v1/entries/{entry.pk}/submit/", **bearer(secret))
    assert again.status_code == 403
    entry.refresh_from_db()
    assert entry.status == Entry.Status.SUBMITTED


def test_a_key_without_write_scope_cannot_update(api, make_key, organization):
    entry = EntryFactory(providers=[organization], status=Entry.Status.DRAFT, title="Same")
    _key, secret = make_key("read")
    response = api.patch(
        f"/api/v1/entries/{entry.pk}/", {"title": "x"}, format="json", **bearer(secret)
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.title == "Same"


def test_a_partner_updates_through_the_session(api, organization):
    entry = EntryFactory(providers=[organization], status=Entry.Status.DRAFT)
    member = MembershipFactory(organization=organization).user
    api.force_authenticate(member)
    response = api.patch(f"/api/v1/entries/{entry.pk}/", {"summary": "Shorter."}, format="json")
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.summary == "Shorter."


def test_a_partner_cannot_update_another_organizations_entry(api, organization):
    theirs = EntryFactory(status=Entry.Status.DRAFT, title="Theirs")
    published = EntryFactory(title="Public")
    api.force_authenticate(MembershipFactory(organization=organization).user)
    assert (
        api.patch(f"/api/v1/entries/{theirs.pk}/", {"title": "x"}, format="json").status_code == 404
    )
    assert (
        api.patch(f"/api/v1/entries/{published.pk}/", {"title": "x"}, format="json").status_code
        == 403
    )
    theirs.refresh_from_db()
    published.refresh_from_db()
    assert (theirs.title, published.title) == ("Theirs", "Public")


def test_staff_read_every_entry(api):
    draft = EntryFactory(status=Entry.Status.DRAFT)
    api.force_authenticate(StaffUserFactory())
    assert _ids(api.get("/api/v1/entries/")) == [draft.pk]


def test_list_filters_by_module_and_organization(api, organization):
    event = EventFactory(providers=[organization])
    EntryFactory()
    assert _ids(api.get("/api/v1/entries/", {"module": "event"})) == [event.pk]
    assert _ids(api.get("/api/v1/entries/", {"organization": organization.pk})) == [event.pk]
    assert api.get("/api/v1/entries/", {"module": "spaceship"}).status_code == 400
    assert api.get("/api/v1/entries/", {"organization": "x"}).status_code == 400


# Search ---------------------------------------------------------------------------------------


@pytest.fixture
def indexed(settings, organization):
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    water = EntryFactory(title="Rainwater tanks", countries_of_origin=[country("KEN")])
    solar = EntryFactory(title="Solar dryer", countries_of_origin=[country("THA")])
    EntryFactory(title="Rainwater draft", status=Entry.Status.DRAFT)
    indexer.index_rebuild()
    return {"water": water, "solar": solar}


def test_search_finds_published_entries_by_words(api, indexed):
    response = api.get("/api/v1/entries/", {"q": "tanks"})
    assert _ids(response) == [indexed["water"].pk]
    assert response.json()["total"] == 1


def test_search_filters_and_counts_facets_like_the_browser(api, indexed):
    response = api.get("/api/v1/entries/", {"country": "THA", "facets": "country,module"})
    assert _ids(response) == [indexed["solar"].pk]
    facets = response.json()["facets"]
    assert {row["value"]: row["count"] for row in facets["module"]} == {"technology": 1}
    tha = next(row for row in facets["country"] if row["value"] == "THA")
    assert tha == {"value": "THA", "label": "Thailand", "count": 1, "selected": True}


def test_search_pages_by_cursor(api, indexed):
    first = api.get("/api/v1/entries/", {"sort": "newest", "page_size": 1})
    second = api.get(first.json()["next"])
    assert sorted(_ids(first) + _ids(second)) == sorted(e.pk for e in indexed.values())
    assert second.json()["next"] is None
    assert api.get(second.json()["previous"]).json()["results"] == first.json()["results"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"country": "ATLANTIS"}, "invalid_filter"),
        ({"q": "x", "sort": "random"}, "invalid_sort"),
        ({"q": "x", "facets": "colour"}, "invalid_facet"),
        ({"q": "x", "updated_since": "2026-01-01"}, "not_combinable"),
        ({"q": "x", "cursor": "bm9wZQ=="}, "invalid_cursor"),
        ({"q": "x", "event_from": "someday"}, "invalid_date"),
    ],
)
def test_bad_search_parameters_are_400s(api, indexed, params, code):
    response = api.get("/api/v1/entries/", params)
    assert response.status_code == 400
    assert response.json()["code"] == code

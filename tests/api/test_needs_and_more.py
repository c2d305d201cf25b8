"""Needs, saved searches and vocabularies through the API."""

import datetime

import pytest
from django.utils import timezone

from accounts import api_keys
from accounts.models import Membership, User
from matching.models import Need
from search.models import SavedSearch
from tests.api.conftest import bearer
from tests.factories import (
    DraftNeedFactory,
    MembershipFactory,
    NeedFactory,
    OfficerFactory,
    UserFactory,
    country,
)

pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_a_partner_key_sees_public_needs_only(api, make_key):
    open_need = NeedFactory()
    draft = DraftNeedFactory()
    _key, secret = make_key("read")
    assert _ids(api.get("/api/v1/needs/", **bearer(secret))) == [open_need.pk]
    assert api.get(f"/api/v1/needs/{draft.pk}/", **bearer(secret)).status_code == 404


def test_a_partner_key_cannot_register_needs_even_with_the_scope(api, make_key):
    _key, secret = make_key("read", "write-needs")
    response = api.post(
        "/api/v1/needs/",
        {"title": "T", "description": "D", "language": "en"},
        format="json",
        **bearer(secret),
    )
    assert response.status_code == 403
    assert Need.objects.count() == 0


@pytest.fixture
def officer_key(organization):
    officer: User = OfficerFactory()
    MembershipFactory(user=officer, organization=organization, role=Membership.Role.ADMINISTRATOR)
    _key, secret = api_keys.api_key_create(
        organization=organization, by=officer, name="platform", scopes=["read", "write-needs"]
    )
    return officer, secret


def test_a_key_of_an_officer_registers_and_submits_a_need(api, officer_key):
    officer, secret = officer_key
    response = api.post(
        "/api/v1/needs/",
        {
            "title": "Flood forecasting",
            "description": "Train hydrologists.",
            "language": "en",
            "countries": ["KEN"],
            "support_kinds": ["training"],
            "origin": "nap",
            "needed_by": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
            "submit": True,
        },
        format="json",
        **bearer(secret),
    )
    assert response.status_code == 201, response.content
    need = Need.objects.get()
    assert need.status == Need.Status.SUBMITTED
    assert need.created_by == officer
    assert need.regional_office == officer.regional_office
    assert response.json()["countries"] == ["KEN"]


def test_an_officer_changes_a_draft_and_a_country_outside_the_office_is_refused(api):
    officer = OfficerFactory()
    need = DraftNeedFactory(regional_office=officer.regional_office, title="Old")
    api.force_authenticate(officer)
    response = api.patch(f"/api/v1/needs/{need.pk}/", {"title": "New"}, format="json")
    assert response.status_code == 200
    response = api.patch(f"/api/v1/needs/{need.pk}/", {"countries": ["THA"]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "application_error"
    need.refresh_from_db()
    assert need.title == "New"
    assert list(need.countries.values_list("iso3", flat=True)) != ["THA"]


def test_an_officer_cannot_change_another_offices_need(api):
    officer = OfficerFactory()
    from catalog.models import RegionalOffice

    other_office = RegionalOffice.objects.exclude(pk=officer.regional_office_id).first()
    theirs = DraftNeedFactory(regional_office=other_office, title="Theirs")
    public = NeedFactory(regional_office=other_office, title="Public")
    api.force_authenticate(officer)
    assert (
        api.patch(f"/api/v1/needs/{theirs.pk}/", {"title": "x"}, format="json").status_code == 404
    )
    assert (
        api.patch(f"/api/v1/needs/{public.pk}/", {"title": "x"}, format="json").status_code == 403
    )
    assert api.post(f"/api/v1/needs/{public.pk}/submit/").status_code == 403
    theirs.refresh_from_db()
    public.refresh_from_db()
    assert (theirs.title, public.title) == ("Theirs", "Public")


def test_needs_filter_by_status_and_country(api):
    kenya = NeedFactory(countries=[country("KEN")])
    NeedFactory(countries=[country("UGA")])
    api.force_authenticate(UserFactory())
    assert _ids(api.get("/api/v1/needs/", {"country": "KEN"})) == [kenya.pk]
    assert api.get("/api/v1/needs/", {"status": "lost"}).status_code == 400


# Saved searches -------------------------------------------------------------------------------


def test_a_person_manages_only_their_own_saved_searches(api):
    me, someone = UserFactory(), UserFactory()
    theirs = SavedSearch.objects.create(user=someone, name="Theirs", query_string="q=solar")
    api.force_authenticate(me)
    response = api.post(
        "/api/v1/saved-searches/",
        {"name": "Water in Kenya", "query_string": "q=water&country=KEN&country=ATLANTIS"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["query_string"] == "q=water&country=KEN"
    assert [row["name"] for row in api.get("/api/v1/saved-searches/").json()["results"]] == [
        "Water in Kenya"
    ]
    duplicate = api.post(
        "/api/v1/saved-searches/", {"name": "Water in Kenya", "query_string": ""}, format="json"
    )
    assert duplicate.status_code == 400
    assert api.get(f"/api/v1/saved-searches/{theirs.pk}/").status_code == 404
    assert api.delete(f"/api/v1/saved-searches/{theirs.pk}/").status_code == 404
    assert SavedSearch.objects.filter(pk=theirs.pk).exists()
    mine = SavedSearch.objects.get(user=me)
    assert api.delete(f"/api/v1/saved-searches/{mine.pk}/").status_code == 204
    assert not SavedSearch.objects.filter(user=me).exists()


def test_anonymous_clients_have_no_saved_searches(api):
    assert api.get("/api/v1/saved-searches/").status_code == 401


# Vocabularies ---------------------------------------------------------------------------------


def test_countries_carry_groupings_regions_and_six_names(api):
    body = api.get("/api/v1/countries/KEN/").json()
    assert body["names"]["en"] == "Kenya"
    assert set(body["names"]) == {"en", "fr", "es", "ar", "ru", "zh"}
    assert body["region"] == {"code": "002", "name": "Africa"}
    assert body["regional_office"] == "africa"
    assert api.get("/api/v1/countries/ken/").json()["iso3"] == "KEN"


def test_sdg_goals_and_targets_are_named_in_six_languages(api):
    goal = api.get("/api/v1/sdg-goals/13/").json()
    assert goal["short_names"]["en"] == "Climate action"
    assert "13.2" in goal["targets"]
    target = api.get("/api/v1/sdg-targets/13.2/").json()
    assert target["goal"] == 13
    assert set(target["titles"]) == {"en", "fr", "es", "ar", "ru", "zh"}


def test_regions_list_their_countries(api):
    regions = {row["code"]: row for row in api.get("/api/v1/regions/").json()}
    assert regions["002"]["level"] == "region"
    assert "KEN" in regions["014"]["countries"]
    assert regions["014"]["parent"] == "202"
    assert api.get("/api/v1/regions/999/").status_code == 404


def test_vocabularies_are_empty_since_after_their_last_load(api):
    since = timezone.now().isoformat()
    assert api.get("/api/v1/themes/", {"updated_since": since}).json() == []
    assert len(api.get("/api/v1/themes/").json()) > 3

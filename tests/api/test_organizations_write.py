"""Organization profiles through the API: the same rules as the profile page."""

from typing import Any

import pytest

from accounts.models import Membership
from catalog.models import Country, Organization
from tests.api.conftest import bearer
from tests.factories import MembershipFactory, OrganizationFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def _url(organization: Any) -> str:
    return f"/api/v1/organizations/{organization.pk}/"


def test_an_administrator_changes_the_profile(api, organization, admin):
    api.force_authenticate(admin)
    response = api.patch(
        _url(organization),
        {"acronym": "CWS", "website": "https://cws.example.org", "description": "Water."},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["acronym"] == "CWS"
    organization.refresh_from_db()
    assert (organization.acronym, organization.website, organization.description) == (
        "CWS",
        "https://cws.example.org",
        "Water.",
    )


def test_a_contributor_may_not_change_it(api, organization):
    contributor = MembershipFactory(
        organization=organization, role=Membership.Role.CONTRIBUTOR
    ).user
    api.force_authenticate(contributor)
    response = api.patch(_url(organization), {"acronym": "X"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    organization.refresh_from_db()
    assert organization.acronym == ""


def test_an_administrator_of_another_organization_may_not(api, admin):
    other = OrganizationFactory(name="Someone else", acronym="SE")
    api.force_authenticate(admin)
    assert api.patch(_url(other), {"acronym": "X"}, format="json").status_code == 403
    other.refresh_from_db()
    assert other.acronym == "SE"


def test_only_staff_change_the_country(api, organization, admin):
    api.force_authenticate(admin)
    response = api.patch(_url(organization), {"country": "BRA"}, format="json")
    assert response.status_code == 400
    organization.refresh_from_db()
    assert organization.country.iso3 == "KEN"

    api.force_authenticate(StaffUserFactory())
    response = api.patch(_url(organization), {"country": "BRA"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["country"] == "BRA"
    assert Organization.objects.get(pk=organization.pk).country == Country.objects.get(iso3="BRA")


def test_bad_input_is_refused_field_by_field_and_nothing_changes(api, organization, admin):
    api.force_authenticate(admin)
    response = api.patch(
        _url(organization), {"website": "not a url", "name": "", "country": "XXX"}, format="json"
    )
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"website", "name", "country"}
    response = api.patch(_url(organization), {"name": "New", "colour": "blue"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "colour", "code": "unknown_field", "detail": "Unknown field."}
    ]
    assert Organization.objects.get(pk=organization.pk).name == "Centre for Water Solutions"


def test_api_keys_cannot_change_a_profile(api, organization, make_key):
    _key, secret = make_key("read", "write-entries", "write-needs", "manage-matches")
    response = api.patch(_url(organization), {"acronym": "X"}, format="json", **bearer(secret))
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"


def test_anonymous_clients_cannot_change_a_profile(api, organization):
    assert api.patch(_url(organization), {"acronym": "X"}, format="json").status_code == 401

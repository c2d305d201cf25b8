"""An organization's members and profile, managed by its partner administrators and staff."""

from collections.abc import Callable

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, User
from catalog.models import Organization
from tests.factories import MembershipFactory, OrganizationFactory, country

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], Client]


def members_url(organization: Organization) -> str:
    return reverse("accounts:organization_members", args=[organization.pk])


def role_url(membership: Membership) -> str:
    return reverse("accounts:membership_role", args=[membership.organization_id, membership.pk])


def remove_url(membership: Membership) -> str:
    return reverse("accounts:membership_remove", args=[membership.organization_id, membership.pk])


def edit_url(organization: Organization) -> str:
    return reverse("accounts:organization_edit", args=[organization.pk])


def profile_data(**fields: str) -> dict[str, str]:
    return {
        "name": "Kenya Forestry Research Institute",
        "acronym": "KEFRI",
        "website": "https://kefri.example.org",
        "description": "Forestry research for Kenya and the region.",
        "contact_email": "info@kefri.example.org",
        **fields,
    }


@pytest.mark.parametrize("who", ["partner_admin", "staff"])
def test_administrators_and_staff_see_members_with_their_roles(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    organization: Organization,
    contributor: User,
    who: str,
) -> None:
    request.getfixturevalue("partner_admin")
    response = client_for(request.getfixturevalue(who)).get(members_url(organization))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Members of Kenya Forestry Research Institute" in content
    assert "Wanjiru Kamau" in content
    assert "contributor@kefri.example.org" in content
    assert '<option value="administrator" selected>Partner administrator</option>' in content


def test_an_administrator_makes_a_contributor_administrator_then_steps_down(
    client_for: ClientFor, partner_admin: User, contributor: User, organization: Organization
) -> None:
    client = client_for(partner_admin)
    colleague = contributor.memberships.get()
    own = partner_admin.memberships.get()

    assert client.post(role_url(colleague), {"role": "administrator"}).status_code == 302
    assert client.post(role_url(own), {"role": "contributor"}).status_code == 302

    colleague.refresh_from_db()
    own.refresh_from_db()
    assert (colleague.role, own.role) == (
        Membership.Role.ADMINISTRATOR,
        Membership.Role.CONTRIBUTOR,
    )


def test_the_last_administrator_can_neither_step_down_nor_be_removed(
    client_for: ClientFor, partner_admin: User, contributor: User, organization: Organization
) -> None:
    client = client_for(partner_admin)
    own = partner_admin.memberships.get()

    demoted = client.post(role_url(own), {"role": "contributor"}, follow=True)
    removed = client.post(remove_url(own), follow=True)

    message = "An organization keeps at least one administrator: make someone else one first."
    assert message in demoted.content.decode()
    assert message in removed.content.decode()
    own.refresh_from_db()
    assert own.role == Membership.Role.ADMINISTRATOR


def test_an_administrator_removes_a_member(
    client_for: ClientFor, partner_admin: User, contributor: User, organization: Organization
) -> None:
    response = client_for(partner_admin).post(remove_url(contributor.memberships.get()))

    assert response.status_code == 302
    assert response["Location"] == members_url(organization)
    assert not contributor.memberships.exists()
    assert User.objects.filter(pk=contributor.pk, is_active=True).exists()


def test_an_invalid_role_is_refused(
    client_for: ClientFor, partner_admin: User, contributor: User
) -> None:
    membership = contributor.memberships.get()

    response = client_for(partner_admin).post(role_url(membership), {"role": "owner"}, follow=True)

    assert "Choose a valid role." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Membership.Role.CONTRIBUTOR


@pytest.mark.parametrize("who", ["anonymous", "contributor", "other_admin", "officer"])
def test_others_cannot_change_or_remove_members(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    partner_admin: User,
    organization: Organization,
    who: str,
) -> None:
    user = None if who == "anonymous" else request.getfixturevalue(who)
    membership = partner_admin.memberships.get()
    client = client_for(user)

    responses = [
        client.post(role_url(membership), {"role": "contributor"}),
        client.post(remove_url(membership)),
    ]

    assert [r.status_code for r in responses] == [302 if user is None else 403] * 2
    membership.refresh_from_db()
    assert membership.role == Membership.Role.ADMINISTRATOR


def test_a_membership_of_another_organization_is_not_found_through_ones_own(
    client_for: ClientFor, partner_admin: User, organization: Organization
) -> None:
    foreign = MembershipFactory()
    client = client_for(partner_admin)

    for url in (
        reverse("accounts:membership_role", args=[organization.pk, foreign.pk]),
        reverse("accounts:membership_remove", args=[organization.pk, foreign.pk]),
    ):
        assert client.post(url, {"role": "administrator"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == Membership.Role.CONTRIBUTOR


def test_get_does_not_change_members(
    client_for: ClientFor, partner_admin: User, contributor: User
) -> None:
    membership = contributor.memberships.get()

    assert client_for(partner_admin).get(remove_url(membership)).status_code == 405
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_an_administrator_edits_the_profile_but_not_the_country(
    client_for: ClientFor, partner_admin: User, organization: Organization
) -> None:
    client = client_for(partner_admin)
    page = client.get(edit_url(organization)).content.decode()
    assert 'name="country"' not in page
    assert "Only programme staff change it" in page

    response = client.post(
        edit_url(organization),
        profile_data(acronym="KFRI", country=str(country("FRA").pk), description="<b>Forests</b>"),
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.acronym == "KFRI"
    assert organization.description == "<b>Forests</b>"
    assert organization.country == country("KEN")
    public = client.get(
        reverse("catalog:organization_detail", args=[organization.pk])
    ).content.decode()
    assert "&lt;b&gt;Forests&lt;/b&gt;" in public


def test_staff_change_the_country(
    client_for: ClientFor, staff: User, organization: Organization
) -> None:
    response = client_for(staff).post(
        edit_url(organization), profile_data(country=str(country("BRA").pk))
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.country == country("BRA")


def test_a_bad_profile_is_refused_and_explained(
    client_for: ClientFor, partner_admin: User, organization: Organization
) -> None:
    before = model_to_dict(organization)

    response = client_for(partner_admin).post(
        edit_url(organization),
        profile_data(name="", website="javascript:alert(1)", contact_email="nobody"),
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "This field is required." in content
    assert "Enter a valid URL." in content
    assert "Enter a valid email address." in content
    organization.refresh_from_db()
    assert model_to_dict(organization) == before


@pytest.mark.parametrize("who", ["anonymous", "contributor", "other_admin", "officer"])
def test_others_cannot_edit_the_organization(
    request: pytest.FixtureRequest, client_for: ClientFor, organization: Organization, who: str
) -> None:
    user = None if who == "anonymous" else request.getfixturevalue(who)
    before = model_to_dict(organization)
    client = client_for(user)

    responses = [
        client.get(edit_url(organization)),
        client.post(edit_url(organization), profile_data(name="Taken")),
    ]

    assert [r.status_code for r in responses] == [302 if user is None else 403] * 2
    organization.refresh_from_db()
    assert model_to_dict(organization) == before


def test_an_administrator_of_one_organization_cannot_manage_another_by_id(
    client_for: ClientFor, partner_admin: User
) -> None:
    other: Organization = OrganizationFactory(name="Other")
    client = client_for(partner_admin)

    assert client.get(members_url(other)).status_code == 403
    assert client.post(edit_url(other), profile_data(name="Mine now")).status_code == 403
    other.refresh_from_db()
    assert other.name == "Other"
    assert client.get(reverse("accounts:organization_edit", args=[999999])).status_code == 404

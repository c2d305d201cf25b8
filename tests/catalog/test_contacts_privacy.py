"""The contact person of an entry (name and e-mail) is personal data: signed-in users only,
never in public pages, the schema.org JSON-LD or the CSV export."""

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from accounts.models import User
from catalog.models import Entry, Organization
from search import indexer
from tests.factories import EntryFactory, UserFactory, country

pytestmark = pytest.mark.django_db

NAME = "Amina Odhiambo"
EMAIL = "amina.odhiambo@example.org"


@pytest.fixture
def entry(organization: Organization, settings: Any) -> Entry:
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    entry = EntryFactory(
        title="Rainwater harvesting for schools",
        summary="Roof catchments and tanks.",
        contact_name=NAME,
        contact_email=EMAIL,
        providers=[organization],
        countries_applied=[country("KEN")],
    )
    indexer.index_rebuild()
    return entry


def json_ld(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match is not None
    return json.loads(match.group(1))


def test_anonymous_pages_do_not_contain_the_contact(
    client: Client, entry: Entry, organization: Organization
) -> None:
    for path in (
        f"/technologies/{entry.pk}/",
        "/technologies/",
        f"/organizations/{organization.pk}/",
        "/search/?q=rainwater",
        "/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert "harvesting for schools" in html or path == "/", path
        assert NAME not in html, path
        assert EMAIL not in html, path
        assert "amina" not in html.lower(), path


def test_anonymous_detail_page_invites_to_sign_in_for_the_contact(
    client: Client, entry: Entry
) -> None:
    html = client.get(f"/technologies/{entry.pk}/").content.decode()

    assert "A contact person is named for this entry." in html
    assert (
        f'<a href="/accounts/login/?next=/technologies/{entry.pk}/">'
        "Sign in to see the contact person.</a>"
    ) in html


@pytest.mark.parametrize("who", ["plain_user", "partner", "staff"])
def test_signed_in_users_see_the_contact(
    client: Client, entry: Entry, who: str, request: pytest.FixtureRequest
) -> None:
    user: User = UserFactory() if who == "plain_user" else request.getfixturevalue(who)
    client.force_login(user)

    html = client.get(f"/technologies/{entry.pk}/").content.decode()

    assert NAME in html
    assert f'<a href="mailto:{EMAIL}">{EMAIL}</a>' in html


def test_json_ld_never_has_the_contact_even_for_signed_in_users(
    client: Client, entry: Entry, staff: User
) -> None:
    anonymous = client.get(f"/technologies/{entry.pk}/").content.decode()
    client.force_login(staff)
    signed_in = client.get(f"/technologies/{entry.pk}/").content.decode()

    for html in (anonymous, signed_in):
        data = json_ld(html)
        assert data["name"] == "Rainwater harvesting for schools"
        text = json.dumps(data)
        assert NAME not in text
        assert EMAIL not in text


def test_csv_export_has_no_contact_columns(client: Client, entry: Entry, staff: User) -> None:
    for user in (None, staff):
        if user is not None:
            client.force_login(user)
        response = client.get("/search/export.csv?q=rainwater")
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode()
        assert "Rainwater harvesting for schools" in text
        assert NAME not in text
        assert EMAIL not in text


def test_only_active_signed_in_users_may_view_contacts() -> None:
    user = UserFactory()
    assert user.has_perm("people.view_contacts")
    user.is_active = False
    assert not user.has_perm("people.view_contacts")
    assert not AnonymousUser().has_perm("people.view_contacts")

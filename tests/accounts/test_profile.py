"""The profile page: name, preferred language, notification mode."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], Client]
URL = reverse("accounts:profile")


def test_the_profile_page_needs_a_signed_in_user(client: Client) -> None:
    for response in (client.get(URL), client.post(URL, {"first_name": "X"})):
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={URL}"


def test_a_person_edits_their_name_language_and_notification_mode(
    client_for: ClientFor, partner_admin: User
) -> None:
    client = client_for(partner_admin)
    page = client.get(URL).content.decode()
    assert 'value="Wanjiru"' in page
    assert reverse("account_change_password") in page
    assert reverse("account_email") in page
    assert (
        reverse(
            "accounts:organization_members", args=[partner_admin.memberships.get().organization_id]
        )
        in page
    )

    response = client.post(
        URL,
        {
            "first_name": "Wanjiru ",
            "last_name": "Mwangi",
            "preferred_language": "es",
            "notification_mode": "daily",
        },
    )

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "es"
    partner_admin.refresh_from_db()
    assert (
        partner_admin.first_name,
        partner_admin.last_name,
        partner_admin.preferred_language,
        partner_admin.notification_mode,
    ) == ("Wanjiru", "Mwangi", "es", User.NotificationMode.DAILY)
    assert '<html lang="es"' in client.get(URL).content.decode()


def test_a_bad_profile_is_refused_and_nothing_changes(
    client_for: ClientFor, partner_admin: User
) -> None:
    response = client_for(partner_admin).post(
        URL,
        {
            "first_name": "x" * 151,
            "last_name": "",
            "preferred_language": "klingon",
            "notification_mode": "hourly",
        },
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Ensure this value has at most 150 characters (it has 151)." in content
    assert "Select a valid choice. klingon is not one of the available choices." in content
    assert "Select a valid choice. hourly is not one of the available choices." in content
    partner_admin.refresh_from_db()
    assert (partner_admin.first_name, partner_admin.preferred_language) == ("Wanjiru", "")


def test_html_in_a_name_is_shown_escaped_on_the_profile(
    client_for: ClientFor, partner_admin: User
) -> None:
    User.objects.filter(pk=partner_admin.pk).update(first_name='"><script>alert(1)</script>')

    page = client_for(partner_admin).get(URL).content.decode()

    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_the_header_links_to_the_profile(client_for: ClientFor, contributor: User) -> None:
    assert f'href="{URL}"' in client_for(contributor).get("/").content.decode()

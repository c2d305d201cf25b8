"""allauth's sign-in, e-mail verification and password reset in the portal's pages; django-axes
lockout; rate limits; session expiry; the preferred language applied at sign-in."""

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.conftest import PASSWORD, verified
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post(reverse("account_login"), {"login": email, "password": password})


def path_in(body: object, prefix: str) -> str:
    text = str(body)
    match = re.search(rf"https?://[^/\s]+({re.escape(prefix)}\S+)", text)
    assert match, text
    return match.group(1)


def test_the_sign_in_page_is_in_the_portal_layout_with_labels_and_links(client: Client) -> None:
    content = client.get(reverse("account_login")).content.decode()

    assert '<a class="skip-link" href="#main">' in content
    assert '<label for="id_login">' in content
    assert '<label for="id_password">' in content
    assert reverse("account_reset_password") in content
    assert reverse("accounts:request_access") in content


def test_a_person_with_a_verified_address_signs_in_with_it(client: Client) -> None:
    user = verified(UserFactory(email="amina@example.org"))

    response = sign_in(client, "Amina@Example.org")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_wrong_password_is_refused(client: Client) -> None:
    verified(UserFactory(email="amina@example.org"))

    response = sign_in(client, "amina@example.org", "not-the-password")

    assert response.status_code == 200
    assert (
        "The email address and/or password you specified are not correct."
        in response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_an_unverified_address_gets_a_verification_email_whose_link_verifies_it(
    client: Client,
) -> None:
    user = UserFactory(email="new@example.org")

    response = sign_in(client, "new@example.org")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.org"]
    confirm_path = path_in(mail.outbox[0].body, "/accounts/confirm-email/")
    page = client.get(confirm_path)
    assert page.status_code == 200
    assert not EmailAddress.objects.get(user=user).verified  # GET only shows the button

    response = client.post(confirm_path)

    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_password_reset_email_links_to_a_form_that_sets_a_password_that_works(
    client: Client,
) -> None:
    verified(UserFactory(email="amina@example.org"))

    response = client.post(reverse("account_reset_password"), {"email": "amina@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    reset_path = path_in(mail.outbox[0].body, "/accounts/password/reset/key/")

    form_page = client.get(reset_path, follow=True)
    assert form_page.status_code == 200
    assert '<label for="id_password1">' in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset_path,
        {"password1": "Baobab-seedlings-4096", "password2": "Baobab-seedlings-4096"},
    )
    assert response.status_code == 302

    client.logout()
    assert sign_in(client, "amina@example.org", PASSWORD).status_code == 200
    assert sign_in(client, "amina@example.org", "Baobab-seedlings-4096").status_code == 302
    assert "_auth_user_id" in client.session


def test_a_weak_new_password_is_refused_on_reset(client: Client) -> None:
    user = verified(UserFactory(email="amina@example.org"))
    client.post(reverse("account_reset_password"), {"email": "amina@example.org"})
    form_page = client.get(
        path_in(mail.outbox[0].body, "/accounts/password/reset/key/"), follow=True
    )

    response = client.post(
        form_page.redirect_chain[-1][0], {"password1": "12345678", "password2": "12345678"}
    )

    assert response.status_code == 200
    assert "This password is too short." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_axes_locks_the_account_on_this_address_after_repeated_failures(
    client: Client, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    verified(UserFactory(email="amina@example.org"))

    statuses = [sign_in(client, "amina@example.org", "guess").status_code for _ in range(3)]
    locked = sign_in(client, "amina@example.org")  # even the right password

    assert statuses[:2] == [200, 200]
    assert locked.status_code == 429
    content = locked.content.decode()
    assert "Too many failed sign-ins" in content
    assert "Sign-in for this account is locked for a while" in content
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked.
    verified(UserFactory(email="colleague@example.org"))
    assert sign_in(client, "colleague@example.org").status_code == 302


def test_password_reset_requests_are_rate_limited(client: Client, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "reset_password": "20/m/ip,2/m/key",
    }
    verified(UserFactory(email="amina@example.org"))

    statuses = [
        client.post(reverse("account_reset_password"), {"email": "amina@example.org"}).status_code
        for _ in range(3)
    ]

    assert statuses == [302, 302, 429]
    assert len(mail.outbox) == 2


def test_sign_ins_are_rate_limited_per_address(client: Client, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    verified(UserFactory(email="amina@example.org"))

    statuses = [sign_in(client, "amina@example.org", "guess").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_a_remembered_session_cookie_lasts_twelve_hours_and_is_renewed_on_each_request(
    client: Client,
) -> None:
    verified(UserFactory(email="amina@example.org"))

    response = client.post(
        reverse("account_login"),
        {"login": "amina@example.org", "password": PASSWORD, "remember": "on"},
    )
    assert response.cookies["sessionid"]["max-age"] == 12 * 3600

    later = client.get(reverse("accounts:profile"))
    assert later.status_code == 200
    assert later.cookies["sessionid"]["max-age"] == 12 * 3600


def test_a_session_not_remembered_ends_with_the_browser_and_after_twelve_hours_anyway(
    client: Client,
) -> None:
    verified(UserFactory(email="amina@example.org"))

    response = sign_in(client, "amina@example.org")

    assert response.cookies["sessionid"]["max-age"] == ""  # a browser-session cookie
    assert client.session.get_expiry_age() == 12 * 3600


def test_the_lockout_counts_an_address_whatever_its_case(client: Client, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    verified(UserFactory(email="amina@example.org"))

    sign_in(client, "Amina@Example.org", "guess")
    sign_in(client, "amina@example.org", "guess")

    assert sign_in(client, "AMINA@example.org").status_code == 429


def test_the_preferred_language_applies_at_sign_in(client: Client) -> None:
    verified(UserFactory(email="amina@example.org", preferred_language="fr"))

    response = sign_in(client, "amina@example.org")

    assert response.cookies["django_language"].value == "fr"
    assert '<html lang="fr"' in client.get("/").content.decode()


def test_account_emails_are_written_in_the_preferred_language(client: Client) -> None:
    verified(UserFactory(email="amina@example.org", preferred_language="fr"))

    client.post(reverse("account_reset_password"), {"email": "amina@example.org"})

    assert (
        mail.outbox[0].subject
        == "[South-South Exchange] E-mail de réinitialisation de mot de passe"
    )


def test_an_inactive_account_cannot_sign_in(client: Client) -> None:
    verified(UserFactory(email="gone@example.org", is_active=False))

    sign_in(client, "gone@example.org")

    assert "_auth_user_id" not in client.session
    assert User.objects.get(email="gone@example.org").is_active is False

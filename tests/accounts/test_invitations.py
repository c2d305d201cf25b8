"""Sign-up by invitation only: partner administrators invite colleagues, staff invite anyone; the
e-mailed link opens allauth's sign-up with the address fixed and applies the role."""

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, User
from catalog.models import Organization, RegionalOffice
from tests.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], Client]


def members_url(organization: Organization) -> str:
    return reverse("accounts:organization_members", args=[organization.pk])


def link_in(message: Any) -> str:
    """The path of the invitation link in an e-mail."""
    match = re.search(r"https?://[^/\s]+(/accounts/invitations/[\w-]+/)", message.body)
    assert match, message.body
    return match.group(1)


def sign_up(client: Client, **fields: str) -> Any:
    data = {
        "first_name": "Achieng",
        "last_name": "Otieno",
        "password1": "Mangrove-restoration-2031",
        "password2": "Mangrove-restoration-2031",
        **fields,
    }
    return client.post(reverse("account_signup"), data)


def test_partner_admin_invites_a_colleague_who_signs_up_as_contributor(
    client_for: ClientFor,
    partner_admin: User,
    organization: Organization,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(partner_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            members_url(organization), {"email": "Achieng@Example.org", "role": "contributor"}
        )
    assert response.status_code == 302
    assert response["Location"] == members_url(organization)
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.organization, invitation.role, invitation.invited_by) == (
        "achieng@example.org",
        organization,
        Role.PARTNER_CONTRIBUTOR,
        partner_admin,
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["achieng@example.org"]
    assert message.subject == "[South-South Exchange] You are invited to the South-South Exchange"
    assert (
        "You are invited as Partner contributor of Kenya Forestry Research Institute (KEFRI)."
        in message.body
    )
    link = link_in(message)
    assert link == f"/accounts/invitations/{invitation.key}/"

    client = client_for(None)
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_signup")
    page = client.get(reverse("account_signup"))
    assert page.status_code == 200
    assert 'value="achieng@example.org"' in page.content.decode()
    assert "disabled" in page.content.decode()

    # A posted address other than the invitation's is ignored: the field is fixed.
    response = sign_up(client, email="someone-else@example.org")
    assert response.status_code == 302
    user = User.objects.get(email="achieng@example.org")
    assert not User.objects.filter(email="someone-else@example.org").exists()
    assert (user.first_name, user.last_name, user.is_active) == ("Achieng", "Otieno", True)
    assert user.check_password("Mangrove-restoration-2031")
    assert list(user.memberships.values_list("organization", "role")) == [
        (organization.pk, Membership.Role.CONTRIBUTOR)
    ]
    # The address came through the link: verified, no confirmation e-mail, signed in at once.
    assert EmailAddress.objects.filter(user=user, email=user.email, verified=True).exists()
    assert len(mail.outbox) == 1
    assert client.session["_auth_user_id"] == str(user.pk)
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None


def test_sign_up_without_an_invitation_is_closed(client: Client) -> None:
    page = client.get(reverse("account_signup"))
    assert page.status_code == 200
    assert "Accounts are opened by invitation" in page.content.decode()
    assert reverse("accounts:request_access") in page.content.decode()

    response = sign_up(client, email="walk-in@example.org")
    assert response.status_code == 200
    assert not User.objects.filter(email="walk-in@example.org").exists()


def test_a_weak_password_is_refused_and_no_account_is_made(client: Client) -> None:
    invitation = InvitationFactory()
    client.get(reverse("accounts:invitation_accept", args=[invitation.key]))

    response = sign_up(client, password1="password123", password2="password123")

    assert response.status_code == 200
    content = response.content.decode()
    assert "This password is too short. It must contain at least 12 characters." in content
    assert "This password is too common." in content
    assert not User.objects.filter(email=invitation.email).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("unknown", 404),
        ("expired", 410),
        ("used", 410),
        ("cancelled", 410),
    ],
)
def test_an_unusable_invitation_link_shows_a_clear_page_and_opens_no_account(
    client: Client, state: str, status: int
) -> None:
    now = timezone.now()
    invitation: Invitation = InvitationFactory(
        expires_at=now - datetime.timedelta(minutes=1)
        if state == "expired"
        else now + Invitation.VALID_FOR,
        accepted_at=now if state == "used" else None,
        cancelled_at=now if state == "cancelled" else None,
    )
    key = "no-such-key" if state == "unknown" else invitation.key

    response = client.get(reverse("accounts:invitation_accept", args=[key]))

    assert response.status_code == status
    content = response.content.decode()
    assert "This invitation cannot be used" in content
    assert "No account was opened." in content
    # The sign-up form stays closed for this browser.
    assert (
        "Accounts are opened by invitation"
        in client.get(reverse("account_signup")).content.decode()
    )
    sign_up(client, email=invitation.email)
    assert not User.objects.filter(email=invitation.email).exists()


def test_an_invitation_works_once(client: Client) -> None:
    invitation = InvitationFactory()
    link = reverse("accounts:invitation_accept", args=[invitation.key])
    client.get(link)
    assert sign_up(client).status_code == 302

    other_browser = Client()
    response = other_browser.get(link)

    assert response.status_code == 410
    assert User.objects.filter(email=invitation.email).count() == 1


def test_an_invitation_cancelled_after_the_link_was_followed_opens_no_account(
    client: Client,
) -> None:
    invitation = InvitationFactory()
    client.get(reverse("accounts:invitation_accept", args=[invitation.key]))
    Invitation.objects.filter(pk=invitation.pk).update(cancelled_at=timezone.now())

    response = sign_up(client)

    assert response.status_code == 200
    assert "Accounts are opened by invitation" in response.content.decode()
    assert not User.objects.filter(email=invitation.email).exists()


def test_a_double_submitted_invitation_makes_one_invitation_and_one_email(
    client_for: ClientFor,
    partner_admin: User,
    organization: Organization,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(partner_admin)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(
            members_url(organization), {"email": "a@example.org", "role": "contributor"}
        )
        second = client.post(
            members_url(organization), {"email": "A@example.org", "role": "contributor"}
        )

    assert first.status_code == 302
    assert second.status_code == 400
    assert (
        "An invitation to a@example.org is already waiting to be accepted."
        in second.content.decode()
    )
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_inviting_again_after_expiry_renews_the_invitation_with_a_new_link(
    client_for: ClientFor,
    partner_admin: User,
    organization: Organization,
    django_capture_on_commit_callbacks: Any,
) -> None:
    expired = InvitationFactory(
        email="late@example.org",
        organization=organization,
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    old_key = expired.key
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(partner_admin).post(
            members_url(organization), {"email": "late@example.org", "role": "administrator"}
        )

    assert response.status_code == 302
    renewed = Invitation.objects.get()
    assert renewed.pk == expired.pk
    assert renewed.key != old_key
    assert renewed.role == Role.PARTNER_ADMINISTRATOR
    assert renewed.is_usable
    assert link_in(mail.outbox[0]) == f"/accounts/invitations/{renewed.key}/"


def test_inviting_a_current_member_is_refused(
    client_for: ClientFor, partner_admin: User, contributor: User, organization: Organization
) -> None:
    response = client_for(partner_admin).post(
        members_url(organization), {"email": contributor.email.upper(), "role": "administrator"}
    )

    assert response.status_code == 400
    assert "This person is already a member of the organization." in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_person_with_an_account_signs_in_then_accepts(
    client_for: ClientFor, organization: Organization
) -> None:
    existing: User = UserFactory(email="known@example.org")
    invitation = InvitationFactory(
        email="known@example.org", organization=organization, role=Role.PARTNER_ADMINISTRATOR
    )
    link = reverse("accounts:invitation_accept", args=[invitation.key])

    response = client_for(None).get(link)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={link}"

    client = client_for(existing)
    page = client.get(link)
    assert page.status_code == 200
    assert (
        "You are invited as Partner administrator of Kenya Forestry Research Institute (KEFRI)."
        in page.content.decode()
    )
    assert not existing.memberships.exists()  # GET changes nothing
    response = client.post(link)
    assert response.status_code == 302
    assert list(existing.memberships.values_list("organization", "role")) == [
        (organization.pk, Membership.Role.ADMINISTRATOR)
    ]


def test_someone_signed_in_with_another_address_cannot_accept(
    client_for: ClientFor, contributor: User
) -> None:
    invitation = InvitationFactory(email="meant-for@example.org")
    client = client_for(contributor)

    for method in (client.get, client.post):
        response = method(reverse("accounts:invitation_accept", args=[invitation.key]))
        assert response.status_code == 403
        assert "This invitation is for someone else" in response.content.decode()

    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert contributor.memberships.count() == 1


def test_staff_invite_an_officer_who_signs_up_with_the_regional_office(
    client_for: ClientFor, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    asia = RegionalOffice.objects.get(code=RegionalOffice.Code.ASIA_PACIFIC)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(
            reverse("accounts:invitation_list"),
            {"email": "officer@unep.example.org", "role": "officer", "regional_office": asia.pk},
        )
    assert response.status_code == 302
    client = client_for(None)
    client.get(link_in(mail.outbox[0]))
    assert sign_up(client).status_code == 302

    officer = User.objects.get(email="officer@unep.example.org")
    assert officer.regional_office == asia
    assert not officer.is_staff
    assert not officer.memberships.exists()


def test_staff_invite_staff(
    client_for: ClientFor, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post(
            reverse("accounts:invitation_list"),
            {"email": "colleague@unep.example.org", "role": "staff"},
        )
    client = client_for(None)
    client.get(link_in(mail.outbox[0]))
    sign_up(client)

    assert User.objects.get(email="colleague@unep.example.org").is_staff


def test_staff_invitation_form_explains_what_is_missing(client_for: ClientFor, staff: User) -> None:
    response = client_for(staff).post(
        reverse("accounts:invitation_list"), {"email": "not-an-address", "role": "officer"}
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "Enter a valid email address." in content
    assert "Choose the regional office of the officer." in content
    assert not Invitation.objects.exists()


def test_names_with_html_are_stored_as_text_and_shown_escaped(
    client_for: ClientFor, partner_admin: User, organization: Organization
) -> None:
    invitation = InvitationFactory(organization=organization)
    client = client_for(None)
    client.get(reverse("accounts:invitation_accept", args=[invitation.key]))
    sign_up(client, first_name="<script>alert(1)</script>", last_name="<b>Bold</b>")
    assert User.objects.get(email=invitation.email).first_name == "<script>alert(1)</script>"

    page = client_for(partner_admin).get(members_url(organization)).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;Bold&lt;/b&gt;" in page
    assert "<script>alert(1)" not in page


# Who may invite and cancel


@pytest.mark.parametrize("who", ["anonymous", "contributor", "other_admin", "officer"])
def test_only_the_organizations_administrators_and_staff_may_invite_to_it(
    request: pytest.FixtureRequest, client_for: ClientFor, organization: Organization, who: str
) -> None:
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_for(user)

    page = client.get(members_url(organization))
    response = client.post(
        members_url(organization), {"email": "x@example.org", "role": "administrator"}
    )

    expected = 302 if user is None else 403
    assert (page.status_code, response.status_code) == (expected, expected)
    if user is None:
        assert response["Location"].startswith(reverse("account_login"))
    assert not Invitation.objects.exists()
    assert len(mail.outbox) == 0


@pytest.mark.parametrize("who", ["anonymous", "contributor", "partner_admin", "officer"])
def test_only_staff_use_the_invitations_page(
    request: pytest.FixtureRequest, client_for: ClientFor, who: str
) -> None:
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_for(user)

    page = client.get(reverse("accounts:invitation_list"))
    response = client.post(
        reverse("accounts:invitation_list"), {"email": "x@example.org", "role": "staff"}
    )

    expected = 302 if user is None else 403
    assert (page.status_code, response.status_code) == (expected, expected)
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "contributor", "other_admin", "officer"])
def test_others_cannot_cancel_an_organizations_invitation(
    request: pytest.FixtureRequest, client_for: ClientFor, organization: Organization, who: str
) -> None:
    invitation = InvitationFactory(organization=organization)
    user = None if who == "anonymous" else request.getfixturevalue(who)

    response = client_for(user).post(reverse("accounts:invitation_cancel", args=[invitation.pk]))

    assert response.status_code == (302 if user is None else 403)
    invitation.refresh_from_db()
    assert invitation.cancelled_at is None


@pytest.mark.parametrize("who", ["partner_admin", "staff"])
def test_the_organizations_administrators_and_staff_cancel_an_invitation(
    request: pytest.FixtureRequest, client_for: ClientFor, organization: Organization, who: str
) -> None:
    invitation = InvitationFactory(organization=organization)

    response = client_for(request.getfixturevalue(who)).post(
        reverse("accounts:invitation_cancel", args=[invitation.pk])
    )

    assert response.status_code == 302
    assert response["Location"] == members_url(organization)
    invitation.refresh_from_db()
    assert invitation.cancelled_at is not None
    assert (
        client_for(None)
        .get(reverse("accounts:invitation_accept", args=[invitation.key]))
        .status_code
        == 410
    )


def test_cancelling_an_unknown_invitation_is_not_found(client_for: ClientFor, staff: User) -> None:
    response = client_for(staff).post(reverse("accounts:invitation_cancel", args=[999999]))
    assert response.status_code == 404


def test_invitations_page_lists_pending_invitations_for_staff(
    client_for: ClientFor, staff: User
) -> None:
    InvitationFactory(email="pending@example.org")
    InvitationFactory(email="used@example.org", accepted_at=timezone.now())

    content = client_for(staff).get(reverse("accounts:invitation_list")).content.decode()

    assert "pending@example.org" in content
    assert "used@example.org" not in content


def test_the_member_page_of_an_unknown_organization_is_not_found(
    client_for: ClientFor, staff: User
) -> None:
    assert (
        client_for(staff).get(reverse("accounts:organization_members", args=[999999])).status_code
        == 404
    )


def test_the_database_keeps_one_pending_invitation_per_address_even_without_organization() -> None:
    InvitationFactory(email="staff-to-be@example.org", organization=None, role=Role.STAFF)

    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory(email="Staff-To-Be@example.org", organization=None, role=Role.STAFF)

    # Once the first is used, a new invitation to the address may be made.
    Invitation.objects.update(accepted_at=timezone.now())
    InvitationFactory(email="staff-to-be@example.org", organization=None, role=Role.STAFF)
    assert Invitation.objects.count() == 2

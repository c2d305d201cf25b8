"""Anyone asks for an account; staff approve (an invitation is e-mailed) or decline."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import AccessRequest, Invitation, Role, User
from catalog.models import Organization, RegionalOffice
from notifications.models import Notification

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], Client]
URL = reverse("accounts:request_access")


def request_data(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Kofi Mensah",
        "email": "kofi@example.org",
        "role": "contributor",
        "organization_name": "Ghana Clean Energy Centre",
        "message": "We run solar mini-grid trainings.",
        **fields,
    }


def test_anyone_requests_access_and_staff_are_told(client: Client, staff: User) -> None:
    assert client.get(URL).status_code == 200

    response = client.post(URL, request_data(email="Kofi@Example.org"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:request_access_sent")
    access_request = AccessRequest.objects.get()
    assert (
        access_request.name,
        access_request.email,
        access_request.role,
        access_request.status,
    ) == (
        "Kofi Mensah",
        "kofi@example.org",
        Role.PARTNER_CONTRIBUTOR,
        AccessRequest.Status.PENDING,
    )
    assert access_request.organization_name == "Ghana Clean Energy Centre"
    notification = Notification.objects.get()
    assert notification.recipient == staff
    assert notification.subject == "Access requested by Kofi Mensah"
    assert notification.url == reverse("accounts:access_request_list")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"name": ""}, "This field is required."),
        ({"organization_name": ""}, "Name your organization, or choose it from the list."),
        ({"role": "officer", "organization_name": ""}, "Choose your regional office."),
        ({"role": "staff"}, "Select a valid choice. staff is not one of the available choices."),
        ({"message": "x" * 2001}, "Ensure this value has at most 2000 characters (it has 2001)."),
    ],
)
def test_a_bad_request_for_access_is_refused_and_explained(
    client: Client, fields: dict[str, str], message: str
) -> None:
    response = client.post(URL, request_data(**fields))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_a_double_submitted_request_makes_one_record(client: Client) -> None:
    client.post(URL, request_data())
    second = client.post(URL, request_data(email="KOFI@example.org"))

    assert second.status_code == 400
    assert (
        "A request from this address is already waiting for a decision." in second.content.decode()
    )
    assert AccessRequest.objects.count() == 1


def test_requests_for_access_are_rate_limited_per_address(client: Client) -> None:
    statuses = []
    for _ in range(4):
        statuses.append(client.post(URL, request_data()).status_code)
        AccessRequest.objects.update(status=AccessRequest.Status.DECLINED)

    assert statuses == [302, 302, 302, 429]
    assert AccessRequest.objects.count() == 3


def test_html_in_a_request_is_stored_as_text_and_shown_escaped(
    client_for: ClientFor, staff: User
) -> None:
    client_for(None).post(
        URL, request_data(name="<img src=x onerror=alert(1)>", message="<script>x</script>")
    )
    access_request = AccessRequest.objects.get()
    assert access_request.name == "<img src=x onerror=alert(1)>"

    client = client_for(staff)
    listing = client.get(reverse("accounts:access_request_list")).content.decode()
    detail = client.get(
        reverse("accounts:access_request_detail", args=[access_request.pk])
    ).content.decode()

    for page in (listing, detail):
        assert "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "<img src=x" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in detail


def test_staff_approve_a_request_and_the_requester_is_e_mailed_an_invitation(
    client_for: ClientFor,
    staff: User,
    organization: Organization,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client_for(None).post(URL, request_data())
    access_request = AccessRequest.objects.get()
    url = reverse("accounts:access_request_detail", args=[access_request.pk])

    page = client_for(staff).get(url)
    assert "Ghana Clean Energy Centre" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(
            url, {"action": "approve", "role": "administrator", "organization": organization.pk}
        )

    assert response.status_code == 302
    access_request.refresh_from_db()
    invitation = Invitation.objects.get()
    assert access_request.status == AccessRequest.Status.APPROVED
    assert (access_request.decided_by, access_request.invitation) == (staff, invitation)
    assert (invitation.email, invitation.role, invitation.organization, invitation.invited_by) == (
        "kofi@example.org",
        Role.PARTNER_ADMINISTRATOR,
        organization,
        staff,
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kofi@example.org"]
    assert re.search(rf"/accounts/invitations/{invitation.key}/", str(mail.outbox[0].body))

    # Deciding twice changes nothing.
    again = client_for(staff).post(url, {"action": "decline"})
    assert again.status_code == 400
    assert "This request was already decided." in again.content.decode()
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.APPROVED


def test_approving_a_partner_request_needs_an_organization(
    client_for: ClientFor, staff: User
) -> None:
    client_for(None).post(URL, request_data())
    access_request = AccessRequest.objects.get()

    response = client_for(staff).post(
        reverse("accounts:access_request_detail", args=[access_request.pk]),
        {"action": "approve", "role": "contributor"},
    )

    assert response.status_code == 400
    assert "Choose the organization the person is invited to." in response.content.decode()
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.PENDING
    assert not Invitation.objects.exists()


def test_staff_approve_an_officer_with_the_office_asked_for(
    client_for: ClientFor, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    africa = RegionalOffice.objects.get(code=RegionalOffice.Code.AFRICA)
    client_for(None).post(URL, request_data(role="officer", regional_office=africa.pk))
    access_request = AccessRequest.objects.get()
    assert access_request.organization_name == ""

    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post(
            reverse("accounts:access_request_detail", args=[access_request.pk]),
            {"action": "approve", "role": "officer", "regional_office": africa.pk},
        )

    invitation = Invitation.objects.get()
    assert (invitation.role, invitation.regional_office, invitation.organization) == (
        Role.OFFICER,
        africa,
        None,
    )


def test_staff_decline_a_request_and_the_requester_is_told(
    client_for: ClientFor, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    client_for(None).post(URL, request_data())
    access_request = AccessRequest.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(
            reverse("accounts:access_request_detail", args=[access_request.pk]),
            {"action": "decline"},
        )

    assert response.status_code == 302
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.DECLINED
    assert access_request.decided_by == staff
    assert not Invitation.objects.exists()
    assert mail.outbox[0].subject == "[South-South Exchange] Your request for access"
    assert "Dear Kofi Mensah," in mail.outbox[0].body


@pytest.mark.parametrize("who", ["anonymous", "contributor", "partner_admin", "officer"])
def test_only_staff_see_and_decide_access_requests(
    request: pytest.FixtureRequest, client_for: ClientFor, organization: Organization, who: str
) -> None:
    client_for(None).post(URL, request_data())
    access_request = AccessRequest.objects.get()
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_for(user)
    detail = reverse("accounts:access_request_detail", args=[access_request.pk])

    responses = [
        client.get(reverse("accounts:access_request_list")),
        client.get(detail),
        client.post(
            detail, {"action": "approve", "role": "contributor", "organization": organization.pk}
        ),
        client.post(detail, {"action": "decline"}),
    ]

    expected = 302 if user is None else 403
    assert [r.status_code for r in responses] == [expected] * 4
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.PENDING
    assert not Invitation.objects.exists()


def test_an_unknown_access_request_is_not_found(client_for: ClientFor, staff: User) -> None:
    response = client_for(staff).get(reverse("accounts:access_request_detail", args=[999999]))
    assert response.status_code == 404

"""A person asks for their personal data to be removed; staff erase it in one step, and the
entries that named them stay published, searchable and whole."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import ErasureRequest, Invitation, Membership, User
from accounts.privacy import Erasure, person_erase
from catalog.models import Entry, Organization
from exchange.errors import ApplicationError
from notifications.models import Notification
from search import indexer
from tests.factories import EntryFactory, InvitationFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], Client]
REQUEST_URL = reverse("accounts:erasure_request")


def confirm_path(message: Any) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/privacy/confirm/[\w-]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def named_entry(organization: Organization) -> Entry:
    """A published entry naming Grace as its contact, and an older version naming her too."""
    entry = EntryFactory(
        title="Mangrove nursery techniques",
        providers=[organization],
        contact_name="Grace Njeri",
        contact_email="grace@example.org",
    )
    entry.summary = "Growing mangrove seedlings for coastal restoration."
    entry.save()
    return entry


def test_a_person_asks_confirms_and_staff_erase_in_one_step(
    client_for: ClientFor,
    staff: User,
    named_entry: Entry,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(None)
    assert client.get(REQUEST_URL).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REQUEST_URL, {"email": "Grace@Example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:erasure_request_sent")
    erasure_request = ErasureRequest.objects.get()
    assert erasure_request.email == "grace@example.org"
    assert erasure_request.confirmed_at is None
    assert mail.outbox[0].to == ["grace@example.org"]
    assert (
        mail.outbox[0].subject == "[South-South Exchange] Confirm the removal of your personal data"
    )

    # Opening the link shows a button; only the button confirms.
    link = confirm_path(mail.outbox[0])
    assert client.get(link).status_code == 200
    erasure_request.refresh_from_db()
    assert erasure_request.confirmed_at is None
    confirmed = client.post(link)
    assert "Request confirmed" in confirmed.content.decode()
    erasure_request.refresh_from_db()
    assert erasure_request.confirmed_at is not None
    assert Notification.objects.get(recipient=staff).url == reverse("accounts:erasure_request_list")

    staff_client = client_for(staff)
    listing = staff_client.get(reverse("accounts:erasure_request_list")).content.decode()
    assert "grace@example.org" in listing
    response = staff_client.post(
        reverse("accounts:erasure_request_erase", args=[erasure_request.pk]), follow=True
    )

    assert "Removed: contact details on 1 entries (2 past versions)" in response.content.decode()
    named_entry.refresh_from_db()
    assert (named_entry.contact_name, named_entry.contact_email) == ("", "")
    assert not named_entry.history.filter(contact_email__iexact="grace@example.org").exists()
    assert not named_entry.history.exclude(contact_name="").exists()
    erasure_request.refresh_from_db()
    assert erasure_request.erased_by == staff
    assert erasure_request.erased_at is not None
    # The link is spent.
    assert client_for(None).get(link).status_code == 404


def test_entries_stay_published_whole_and_searchable_after_erasure(
    client: Client, staff: User, named_entry: Entry, settings: Any
) -> None:
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    versions = named_entry.history.count()

    person_erase(email="GRACE@example.org", by=staff)

    named_entry.refresh_from_db()
    assert named_entry.status == Entry.Status.PUBLISHED
    assert named_entry.title == "Mangrove nursery techniques"
    assert named_entry.providers.count() == 1
    assert named_entry.history.count() == versions
    indexer.index_rebuild()
    page = client.get(reverse("catalog:entry_detail", args=[named_entry.module, named_entry.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Mangrove nursery techniques" in content
    assert "Grace" not in content
    assert "grace@example.org" not in content
    results = client.get(reverse("search:search"), {"q": "mangrove nursery"}).content.decode()
    assert "1 entry found" in results
    detail = reverse("catalog:entry_detail", args=[named_entry.module, named_entry.pk])
    assert f'href="{detail}"' in results


def test_erasure_anonymises_the_account_and_clears_organization_contacts(
    staff: User, organization: Organization
) -> None:
    grace = UserFactory(email="grace@example.org", first_name="Grace", last_name="Njeri")
    EmailAddress.objects.create(user=grace, email=grace.email, verified=True, primary=True)
    Membership.objects.create(user=grace, organization=organization)
    Organization.objects.filter(pk=organization.pk).update(contact_email="Grace@example.org")
    other = OrganizationFactory(contact_email="info@example.org")
    InvitationFactory(email="grace@example.org")
    AccessAttempt.objects.create(
        username="grace@example.org", ip_address="192.0.2.1", user_agent="t", failures_since_start=1
    )
    kept = EntryFactory(contact_name="Someone Else", contact_email="else@example.org")

    erasure = person_erase(email="grace@example.org", by=staff)

    assert erasure == Erasure(entries=0, entry_versions=0, organizations=1, accounts=1)
    grace.refresh_from_db()
    assert (grace.first_name, grace.last_name, grace.is_active) == ("", "", False)
    assert grace.email == f"erased-{grace.pk}@erased.invalid"
    assert grace.username == grace.email
    assert not grace.has_usable_password()
    assert not EmailAddress.objects.filter(user=grace).exists()
    assert not grace.memberships.exists()
    organization.refresh_from_db()
    other.refresh_from_db()
    assert (organization.contact_email, other.contact_email) == ("", "info@example.org")
    assert not Invitation.objects.exists()
    assert not AccessAttempt.objects.exists()
    kept.refresh_from_db()
    assert (kept.contact_name, kept.contact_email) == ("Someone Else", "else@example.org")
    assert not User.objects.filter(email__iexact="grace@example.org").exists()


def test_only_staff_may_erase(contributor: User, named_entry: Entry) -> None:
    with pytest.raises(ApplicationError):
        person_erase(email="grace@example.org", by=contributor)
    named_entry.refresh_from_db()
    assert named_entry.contact_email == "grace@example.org"


def test_asking_twice_records_one_request_and_resends_the_same_link(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REQUEST_URL, {"email": "grace@example.org"})
        client.post(REQUEST_URL, {"email": "GRACE@example.org"})

    assert ErasureRequest.objects.count() == 1
    assert len(mail.outbox) == 2
    assert confirm_path(mail.outbox[0]) == confirm_path(mail.outbox[1])


def test_requests_for_erasure_are_rate_limited(client: Client) -> None:
    statuses = [
        client.post(REQUEST_URL, {"email": "grace@example.org"}).status_code for _ in range(4)
    ]

    assert statuses == [302, 302, 302, 429]


def test_a_bad_address_is_refused(client: Client) -> None:
    response = client.post(REQUEST_URL, {"email": "<script>@x"})

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert "<script>@x" not in response.content.decode()
    assert not ErasureRequest.objects.exists()


def test_an_unknown_confirmation_link_shows_a_clear_page(client: Client) -> None:
    response = client.post(reverse("accounts:erasure_confirm", args=["nope"]))

    assert response.status_code == 404
    assert "This link cannot be used" in response.content.decode()


def test_an_unconfirmed_request_is_not_erased(
    client_for: ClientFor, staff: User, named_entry: Entry
) -> None:
    erasure_request = ErasureRequest.objects.create(email="grace@example.org")

    response = client_for(staff).post(
        reverse("accounts:erasure_request_erase", args=[erasure_request.pk]), follow=True
    )

    assert "The person has not confirmed this request yet." in response.content.decode()
    named_entry.refresh_from_db()
    assert named_entry.contact_email == "grace@example.org"


@pytest.mark.parametrize("who", ["anonymous", "contributor", "partner_admin", "officer"])
def test_only_staff_see_and_carry_out_erasure_requests(
    request: pytest.FixtureRequest, client_for: ClientFor, named_entry: Entry, who: str
) -> None:
    erasure_request = ErasureRequest.objects.create(email="grace@example.org")
    ErasureRequest.objects.filter(pk=erasure_request.pk).update(confirmed_at=named_entry.created_at)
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_for(user)

    responses = [
        client.get(reverse("accounts:erasure_request_list")),
        client.post(reverse("accounts:erasure_request_erase", args=[erasure_request.pk])),
    ]

    assert [r.status_code for r in responses] == [302 if user is None else 403] * 2
    named_entry.refresh_from_db()
    assert named_entry.contact_email == "grace@example.org"
    erasure_request.refresh_from_db()
    assert erasure_request.erased_at is None


def test_erasing_an_unknown_request_is_not_found(client_for: ClientFor, staff: User) -> None:
    response = client_for(staff).post(reverse("accounts:erasure_request_erase", args=[999999]))
    assert response.status_code == 404

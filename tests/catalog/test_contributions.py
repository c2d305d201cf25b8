"""Partners contribute entries for their organizations: "My entries", the module forms, drafts,
submission, edits of published entries, and what other people may not do."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from catalog.models import Entry, EntryLink, EntryProvider, Organization
from notifications.models import Notification
from tests.catalog.conftest import edit_form, links_management, technology_form
from tests.factories import EntryFactory, UserFactory, country

pytestmark = pytest.mark.django_db


def entry_state(entry: Entry) -> tuple:
    """What a refused request must leave unchanged."""
    entry.refresh_from_db()
    return (
        entry.title,
        entry.status,
        entry.updated_at,
        entry.last_confirmed_on,
        list(entry.links.values_list("url", flat=True)),
        entry.history.count(),
    )


@pytest.fixture
def own_draft(organization: Organization) -> Entry:
    return EntryFactory(
        title="Community seed banks",
        status=Entry.Status.DRAFT,
        published_at=None,
        providers=[organization],
    )


@pytest.fixture
def foreign_entry(other_partner: User) -> Entry:
    organization = other_partner.memberships.get().organization
    return EntryFactory(
        title="Andean solar dryers", status=Entry.Status.DRAFT, providers=[organization]
    )


# Who may open the pages


def test_anonymous_visitor_is_sent_to_sign_in_and_creates_nothing(
    client: Client, organization: Organization, own_draft: Entry
) -> None:
    before = entry_state(own_draft)
    for path in ("/contribute/", "/contribute/new/technologies/", f"/contribute/{own_draft.pk}/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next="), path

    response = client.post("/contribute/new/technologies/", technology_form(organization))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    for path in (
        f"/contribute/{own_draft.pk}/",
        f"/contribute/{own_draft.pk}/submit/",
        f"/contribute/{own_draft.pk}/confirm/",
    ):
        assert client.post(path, edit_form(own_draft, title="Hacked")).status_code == 302
    assert Entry.objects.count() == 1
    assert entry_state(own_draft) == before


def test_user_of_no_organization_may_not_contribute(
    client: Client, organization: Organization
) -> None:
    user: User = UserFactory()
    client.force_login(user)

    assert client.get("/contribute/").status_code == 403
    assert client.get("/contribute/new/technologies/").status_code == 403
    assert (
        client.post("/contribute/new/technologies/", technology_form(organization)).status_code
        == 403
    )
    assert not Entry.objects.exists()


def test_staff_without_organization_sees_an_empty_dashboard_but_cannot_create(
    client: Client, staff: User, organization: Organization
) -> None:
    client.force_login(staff)

    response = client.get("/contribute/")
    assert response.status_code == 200
    assert "You are not a member of any partner organization" in response.content.decode()
    assert (
        client.post("/contribute/new/technologies/", technology_form(organization)).status_code
        == 403
    )
    assert not Entry.objects.exists()


def test_partner_cannot_open_or_change_another_organizations_entry(
    client: Client, partner: User, foreign_entry: Entry
) -> None:
    before = entry_state(foreign_entry)
    client.force_login(partner)

    assert client.get(f"/contribute/{foreign_entry.pk}/").status_code == 404
    assert (
        client.post(
            f"/contribute/{foreign_entry.pk}/", edit_form(foreign_entry, title="Taken over")
        ).status_code
        == 404
    )
    assert client.post(f"/contribute/{foreign_entry.pk}/submit/").status_code == 404
    assert client.post(f"/contribute/{foreign_entry.pk}/confirm/").status_code == 404
    assert entry_state(foreign_entry) == before
    assert not Notification.objects.exists()


def test_partner_cannot_create_an_entry_for_another_organization(
    client: Client, partner: User, other_partner: User
) -> None:
    other = other_partner.memberships.get().organization
    client.force_login(partner)

    response = client.post("/contribute/new/technologies/", technology_form(other))

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Entry.objects.exists()


def test_unknown_entry_number_is_404(client: Client, partner: User) -> None:
    client.force_login(partner)
    assert client.get("/contribute/999999/").status_code == 404


def test_submit_and_confirm_accept_only_post(
    client: Client, partner: User, own_draft: Entry
) -> None:
    client.force_login(partner)
    assert client.get(f"/contribute/{own_draft.pk}/submit/").status_code == 405
    assert client.get(f"/contribute/{own_draft.pk}/confirm/").status_code == 405
    own_draft.refresh_from_db()
    assert own_draft.status == Entry.Status.DRAFT


# Creating entries


def test_partner_saves_a_technology_as_a_draft_led_by_their_organization(
    client: Client, partner: User, organization: Organization, staff: User
) -> None:
    client.force_login(partner)

    response = client.post(
        "/contribute/new/technologies/",
        technology_form(organization, countries_of_origin=[country("KEN").pk]),
    )

    entry = Entry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/contribute/{entry.pk}/"
    assert entry.module == Entry.Module.TECHNOLOGY
    assert entry.status == Entry.Status.DRAFT
    assert entry.title == "Solar-powered drip irrigation"
    assert entry.contact_email == "wanjiru.kamau@example.org"
    assert list(entry.provider_links.values_list("organization", "role")) == [
        (organization.pk, EntryProvider.Role.LEAD)
    ]
    assert [t.code for t in entry.themes.all()] == ["climate-change"]
    assert [c.iso3 for c in entry.countries_of_origin.all()] == ["KEN"]
    assert list(entry.links.values_list("url", "label")) == [
        ("https://example.org/drip-manual", "Manual")
    ]
    # The history says who created it, and the relations came in one more version.
    assert list(
        entry.history.order_by("history_id").values_list("history_type", "history_user")
    ) == [
        ("+", partner.pk),
        ("~", partner.pk),
    ]
    assert not Notification.objects.exists()  # a draft concerns nobody else yet
    page = client.get(response["Location"]).content.decode()
    assert "Your entry is saved as a draft." in page


def test_partner_submits_a_new_entry_and_staff_are_notified(
    client: Client, partner: User, organization: Organization, staff: User, colleague: User
) -> None:
    client.force_login(partner)

    response = client.post(
        "/contribute/new/technologies/", {**technology_form(organization), "submit": ""}
    )

    entry = Entry.objects.get()
    assert response.status_code == 302
    assert entry.status == Entry.Status.SUBMITTED
    assert entry.submitted_by == partner
    notification = Notification.objects.get()
    assert notification.recipient == staff
    assert notification.kind == Notification.Kind.SUBMISSION_RECEIVED
    assert notification.subject == "Entry submitted for moderation: Solar-powered drip irrigation"
    assert notification.url == f"/moderation/{entry.pk}/"
    assert "Kenya Water Centre" in notification.body


def test_double_posted_new_entry_form_creates_one_entry(
    client: Client, partner: User, organization: Organization, staff: User
) -> None:
    client.force_login(partner)
    data = {**technology_form(organization), "submit": ""}

    first = client.post("/contribute/new/technologies/", data)
    second = client.post("/contribute/new/technologies/", data)

    entry = Entry.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/contribute/{entry.pk}/"
    assert entry.status == Entry.Status.SUBMITTED
    assert Notification.objects.count() == 1
    assert EntryLink.objects.count() == 1


def test_each_module_form_shows_only_its_own_fields_and_kinds(
    client: Client, partner: User
) -> None:
    client.force_login(partner)

    technology = client.get("/contribute/new/technologies/").content.decode()
    event = client.get("/contribute/new/events/").content.decode()
    opportunity = client.get("/contribute/new/opportunities/").content.decode()

    assert '<option value="tool">Method, tool or toolkit</option>' in technology
    assert 'value="workshop"' not in technology
    for field in ("starts_on", "ends_on", "deadline", "venue", "is_online"):
        assert f'name="{field}"' not in technology, field
    assert '<option value="workshop">Workshop</option>' in event
    assert 'value="tool"' not in event
    for field in ("starts_on", "ends_on", "venue", "venue_country", "is_online"):
        assert f'name="{field}"' in event, field
    assert 'name="deadline"' not in event
    for field in ("starts_on", "ends_on", "deadline"):
        assert f'name="{field}"' in opportunity, field
    assert 'name="venue"' not in opportunity


def test_missing_fields_are_explained_and_nothing_is_saved(
    client: Client, partner: User, organization: Organization
) -> None:
    client.force_login(partner)

    response = client.post(
        "/contribute/new/technologies/",
        technology_form(organization, title="", summary="", kind="", language=""),
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "The entry was not saved. Please correct the errors shown below." in html
    assert html.count("This field is required.") == 4
    assert not Entry.objects.exists()


def test_kind_of_another_module_is_refused(
    client: Client, partner: User, organization: Organization
) -> None:
    client.force_login(partner)

    response = client.post(
        "/contribute/new/technologies/", technology_form(organization, kind="workshop")
    )

    assert response.status_code == 400
    assert "Select a valid choice. workshop is not one of the available choices." in (
        response.content.decode()
    )
    assert not Entry.objects.exists()


def test_event_dates_in_the_wrong_order_are_refused(
    client: Client, partner: User, organization: Organization
) -> None:
    client.force_login(partner)

    response = client.post(
        "/contribute/new/events/",
        technology_form(
            organization,
            kind="workshop",
            starts_on="2027-03-10",
            ends_on="2027-03-08",
            venue="Nairobi",
            venue_country=country("KEN").pk,
        ),
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "The end date cannot be before the start date." in html
    assert html.count("The end date cannot be before the start date.") == 1
    assert not Entry.objects.exists()


def test_event_needs_a_start_date_and_a_venue_country_unless_online(
    client: Client, partner: User, organization: Organization
) -> None:
    client.force_login(partner)

    refused = client.post("/contribute/new/events/", technology_form(organization, kind="workshop"))
    accepted = client.post(
        "/contribute/new/events/",
        technology_form(organization, kind="webinar", starts_on="2027-03-10", is_online="on"),
    )

    assert refused.status_code == 400
    assert "An event needs a start date." in refused.content.decode()
    assert "An event that is not online needs the country" in refused.content.decode()
    assert accepted.status_code == 302
    event = Entry.objects.get()
    assert (event.module, event.kind, event.starts_on, event.is_online) == (
        "event",
        "webinar",
        datetime.date(2027, 3, 10),
        True,
    )


def test_opportunity_deadline_after_its_start_is_refused(
    client: Client, partner: User, organization: Organization
) -> None:
    client.force_login(partner)

    response = client.post(
        "/contribute/new/opportunities/",
        technology_form(
            organization, kind="training", deadline="2027-05-01", starts_on="2027-04-01"
        ),
    )

    assert response.status_code == 400
    assert "The application deadline cannot be after the start date." in (response.content.decode())
    assert not Entry.objects.exists()


def test_bad_link_and_bad_email_are_refused(
    client: Client, partner: User, organization: Organization
) -> None:
    client.force_login(partner)

    response = client.post(
        "/contribute/new/technologies/",
        technology_form(
            organization,
            contact_email="not-an-address",
            **{"links-0-url": "javascript:alert(1)", "links-1-label": "Only a label"},
        ),
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert "Enter a valid URL." in html
    assert "Give the address of the link, or leave both boxes empty." in html
    assert not Entry.objects.exists()


def test_html_in_text_is_stored_as_text_and_shown_escaped(
    client: Client, partner: User, organization: Organization
) -> None:
    client.force_login(partner)
    title = '<script>alert("x")</script> Drip kits'

    client.post("/contribute/new/technologies/", technology_form(organization, title=title))

    entry = Entry.objects.get()
    assert entry.title == title
    for path in ("/contribute/", f"/contribute/{entry.pk}/"):
        html = client.get(path).content.decode()
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Drip kits" in html, path


# Editing and submitting


def test_partner_edits_a_draft_and_the_history_records_it(
    client: Client, partner: User, own_draft: Entry
) -> None:
    client.force_login(partner)
    versions = own_draft.history.count()

    response = client.post(
        f"/contribute/{own_draft.pk}/", edit_form(own_draft, title="Community seed libraries")
    )

    assert response.status_code == 302
    own_draft.refresh_from_db()
    assert own_draft.title == "Community seed libraries"
    assert own_draft.status == Entry.Status.DRAFT
    latest = own_draft.history.latest()
    assert own_draft.history.count() == versions + 1
    assert latest.history_user == partner
    assert latest.title == "Community seed libraries"


def test_colleague_of_the_same_organization_may_edit(
    client: Client, colleague: User, own_draft: Entry
) -> None:
    client.force_login(colleague)
    response = client.post(f"/contribute/{own_draft.pk}/", edit_form(own_draft, title="Seeds"))
    assert response.status_code == 302
    own_draft.refresh_from_db()
    assert own_draft.title == "Seeds"


def test_saving_without_changes_records_no_new_version(
    client: Client, partner: User, own_draft: Entry
) -> None:
    client.force_login(partner)
    versions = own_draft.history.count()

    assert client.post(f"/contribute/{own_draft.pk}/", edit_form(own_draft)).status_code == 302

    assert own_draft.history.count() == versions


def test_invalid_edit_changes_nothing(client: Client, partner: User, own_draft: Entry) -> None:
    client.force_login(partner)
    before = entry_state(own_draft)

    response = client.post(f"/contribute/{own_draft.pk}/", edit_form(own_draft, title=""))

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert entry_state(own_draft) == before


def test_submitting_a_draft_twice_submits_it_once(
    client: Client, partner: User, own_draft: Entry, staff: User
) -> None:
    client.force_login(partner)

    first = client.post(f"/contribute/{own_draft.pk}/submit/", follow=True)
    second = client.post(f"/contribute/{own_draft.pk}/submit/", follow=True)

    own_draft.refresh_from_db()
    assert own_draft.status == Entry.Status.SUBMITTED
    assert "Your entry is submitted for moderation." in first.content.decode()
    assert "This entry is already waiting for moderation." in second.content.decode()
    assert Notification.objects.filter(recipient=staff).count() == 1


def test_edit_and_submit_in_one_step(
    client: Client, partner: User, own_draft: Entry, staff: User
) -> None:
    client.force_login(partner)

    client.post(f"/contribute/{own_draft.pk}/", {**edit_form(own_draft), "submit": ""})

    own_draft.refresh_from_db()
    assert own_draft.status == Entry.Status.SUBMITTED
    assert Notification.objects.filter(
        recipient=staff, kind=Notification.Kind.SUBMISSION_RECEIVED
    ).exists()


def test_change_to_a_published_entry_stays_online_and_staff_are_told(
    client: Client, partner: User, organization: Organization, staff: User
) -> None:
    entry = EntryFactory(title="Drip kits", providers=[organization])
    client.force_login(partner)

    response = client.post(
        f"/contribute/{entry.pk}/", edit_form(entry, summary="Now with a 2026 field report.")
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == Entry.Status.PUBLISHED
    assert entry.summary == "Now with a 2026 field report."
    notification = Notification.objects.get()
    assert notification.recipient == staff
    assert notification.subject == "Published entry changed by its organization: Drip kits"
    assert notification.url == f"/moderation/{entry.pk}/"
    assert (
        "Now with a 2026 field report." in client.get(f"/technologies/{entry.pk}/").content.decode()
    )


def test_published_entry_saved_without_changes_tells_nobody(
    client: Client, partner: User, organization: Organization, staff: User
) -> None:
    entry = EntryFactory(providers=[organization])
    client.force_login(partner)

    client.post(f"/contribute/{entry.pk}/", edit_form(entry))

    assert not Notification.objects.exists()


def test_archived_entry_cannot_be_changed_by_its_partner(
    client: Client, partner: User, organization: Organization
) -> None:
    entry: Entry = EntryFactory(
        status=Entry.Status.ARCHIVED, archived_at=timezone.now(), providers=[organization]
    )
    client.force_login(partner)
    before = entry_state(entry)

    response = client.post(f"/contribute/{entry.pk}/", edit_form(entry, title="Revived"))

    assert response.status_code == 400
    assert "An archived entry cannot be changed" in response.content.decode()
    assert entry_state(entry) == before


def test_staff_may_correct_any_entry(client: Client, staff: User, foreign_entry: Entry) -> None:
    client.force_login(staff)

    response = client.post(
        f"/contribute/{foreign_entry.pk}/",
        edit_form(foreign_entry, title="Andean solar dryers (2)"),
    )

    assert response.status_code == 302
    foreign_entry.refresh_from_db()
    assert foreign_entry.title == "Andean solar dryers (2)"
    assert foreign_entry.history.latest().history_user == staff


def test_links_are_replaced_on_edit(client: Client, partner: User, own_draft: Entry) -> None:
    EntryLink.objects.create(entry=own_draft, url="https://example.org/old", label="Old")
    client.force_login(partner)
    data = edit_form(own_draft)
    data.update(
        {
            **links_management(total=2, initial=1),
            "links-0-url": "https://example.org/new",
            "links-0-label": "New",
            "links-1-url": "",
            "links-1-label": "",
        }
    )

    client.post(f"/contribute/{own_draft.pk}/", data)

    assert list(own_draft.links.values_list("url", "label")) == [("https://example.org/new", "New")]


# My entries


def test_my_entries_lists_the_organizations_entries_by_status(
    client: Client, partner: User, organization: Organization, foreign_entry: Entry
) -> None:
    EntryFactory(title="Published drip kits", providers=[organization])
    EntryFactory(
        title="Draft seed banks",
        status=Entry.Status.DRAFT,
        published_at=None,
        providers=[organization],
    )
    client.force_login(partner)

    everything = client.get("/contribute/").content.decode()
    drafts = client.get("/contribute/?status=draft").content.decode()

    assert "Published drip kits" in everything
    assert "Draft seed banks" in everything
    assert "Andean solar dryers" not in everything
    assert 'All <span class="count">2</span>' in everything
    assert 'Draft <span class="count">1</span>' in everything
    assert 'Published <span class="count">1</span>' in everything
    assert "Draft seed banks" in drafts
    assert "Published drip kits" not in drafts

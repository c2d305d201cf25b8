"""Programme staff moderate contributions: the queue with counts and ages, the review page with
the history, publishing and returning with comments, and who is told."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from catalog import services
from catalog.models import Entry, EntryReview, Organization, Theme
from matching.models import Need
from notifications.models import Notification
from tests.catalog.conftest import edit_form, technology_form
from tests.factories import EntryFactory, NeedFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 9, 0, tzinfo=datetime.UTC)


def submitted(organization: Organization, title: str, days_ago: int = 0) -> Entry:
    return EntryFactory(
        title=title,
        status=Entry.Status.SUBMITTED,
        published_at=None,
        last_confirmed_on=None,
        submitted_at=timezone.now() - datetime.timedelta(days=days_ago),
        providers=[organization],
    )


def entry_state(entry: Entry) -> tuple:
    entry.refresh_from_db()
    return (entry.status, entry.published_at, entry.updated_at, entry.reviews.count())


@pytest.fixture
def submission(organization: Organization) -> Entry:
    return submitted(organization, "Solar-powered drip irrigation", days_ago=3)


# Who may open the pages


def test_anonymous_visitor_is_sent_to_sign_in(client: Client, submission: Entry) -> None:
    before = entry_state(submission)
    for path in ("/moderation/", f"/moderation/{submission.pk}/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    for path in (f"/moderation/{submission.pk}/publish/", f"/moderation/{submission.pk}/return/"):
        assert client.post(path, {"comment": "x"}).status_code == 302
    assert entry_state(submission) == before


@pytest.mark.parametrize("who", ["partner", "other_partner"])
def test_partners_may_not_moderate_even_their_own_entries(
    client: Client, submission: Entry, who: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(who))
    before = entry_state(submission)

    assert client.get("/moderation/").status_code == 403
    assert client.get(f"/moderation/{submission.pk}/").status_code == 403
    assert client.post(f"/moderation/{submission.pk}/publish/").status_code == 403
    assert client.post(f"/moderation/{submission.pk}/return/", {"comment": "x"}).status_code == 403
    assert entry_state(submission) == before
    assert not Notification.objects.exists()


def test_unknown_entry_is_404_for_staff(client: Client, staff: User) -> None:
    client.force_login(staff)
    assert client.get("/moderation/999999/").status_code == 404
    assert client.post("/moderation/999999/publish/").status_code == 404
    assert client.post("/moderation/999999/return/", {"comment": "x"}).status_code == 404


def test_decisions_accept_only_post(client: Client, staff: User, submission: Entry) -> None:
    client.force_login(staff)
    assert client.get(f"/moderation/{submission.pk}/publish/").status_code == 405
    assert client.get(f"/moderation/{submission.pk}/return/").status_code == 405
    assert entry_state(submission)[0] == Entry.Status.SUBMITTED


# The queue


@time_machine.travel(NOW, tick=False)
def test_queue_lists_submissions_oldest_first_with_counts_and_ages(
    client: Client, staff: User, organization: Organization
) -> None:
    submitted(organization, "Newest submission", days_ago=1)
    submitted(organization, "Oldest submission", days_ago=10)
    EntryFactory(title="Already published", providers=[organization])
    EntryFactory(title="Old unconfirmed", last_confirmed_on=datetime.date(2025, 1, 1))
    NeedFactory(status=Need.Status.SUBMITTED)
    NeedFactory(status=Need.Status.SUBMITTED)
    NeedFactory()  # open
    client.force_login(staff)

    response = client.get("/moderation/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Oldest submission") < html.index("Newest submission")
    assert "Already published" not in html
    counts = response.context["counts"]
    assert (counts.submitted, counts.submitted_needs, counts.to_reconfirm, counts.stale) == (
        2,
        2,
        1,
        1,
    )
    assert "The oldest has waited 1\xa0week, 3\xa0days." in html
    assert ">1\xa0day</time>" in html
    assert 'href="/needs/screening/">2</a>' in html
    assert "Kenya Water Centre" in html


# Publishing


def test_staff_publish_a_submission_and_the_organization_is_told(
    client: Client,
    staff: User,
    submission: Entry,
    partner: User,
    colleague: User,
    other_partner: User,
) -> None:
    client.force_login(staff)

    response = client.post(
        f"/moderation/{submission.pk}/publish/", {"comment": "Thank you, clear and complete."}
    )

    assert response.status_code == 302
    assert response["Location"] == "/moderation/"
    submission.refresh_from_db()
    assert submission.status == Entry.Status.PUBLISHED
    assert submission.published_by == staff
    assert submission.last_confirmed_on == timezone.localdate()
    review = EntryReview.objects.get()
    assert (review.entry, review.by, review.decision, review.comment) == (
        submission,
        staff,
        EntryReview.Decision.PUBLISHED,
        "Thank you, clear and complete.",
    )
    notifications = Notification.objects.order_by("recipient__email")
    assert [(n.recipient, n.kind) for n in notifications] == [
        (colleague, Notification.Kind.PUBLISHED),
        (partner, Notification.Kind.PUBLISHED),
    ]
    assert notifications[0].subject == "Your entry is published: Solar-powered drip irrigation"
    assert notifications[0].url == f"/technologies/{submission.pk}/"
    assert client.get(f"/technologies/{submission.pk}/").status_code == 200


def test_publishing_twice_publishes_once(
    client: Client, staff: User, submission: Entry, partner: User
) -> None:
    client.force_login(staff)

    client.post(f"/moderation/{submission.pk}/publish/")
    second = client.post(f"/moderation/{submission.pk}/publish/", follow=True)

    assert "This entry is already published." in second.content.decode()
    assert EntryReview.objects.count() == 1
    assert Notification.objects.filter(recipient=partner).count() == 1


# Returning


def test_returning_needs_a_comment(client: Client, staff: User, submission: Entry) -> None:
    client.force_login(staff)
    before = entry_state(submission)

    response = client.post(f"/moderation/{submission.pk}/return/", {"comment": "   "})

    assert response.status_code == 400
    assert "Say what the contributor should change." in response.content.decode()
    assert entry_state(submission) == before


def test_staff_return_with_comments_and_the_contributor_sees_them(
    client: Client, staff: User, submission: Entry, partner: User, other_partner: User
) -> None:
    client.force_login(staff)
    comment = "Please name the countries where it was applied. <b>Thanks</b>"

    response = client.post(f"/moderation/{submission.pk}/return/", {"comment": comment})

    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Entry.Status.DRAFT
    review = EntryReview.objects.get()
    assert (review.decision, review.comment, review.by) == (
        EntryReview.Decision.RETURNED,
        comment,
        staff,
    )
    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind, notification.body, notification.url) == (
        partner,
        Notification.Kind.RETURNED,
        comment,
        f"/contribute/{submission.pk}/",
    )

    client.force_login(partner)
    page = client.get(f"/contribute/{submission.pk}/").content.decode()
    assert "Returned by programme staff with these comments" in page
    assert "Please name the countries where it was applied. &lt;b&gt;Thanks&lt;/b&gt;" in page
    assert "<b>Thanks</b>" not in page


def test_returned_entry_fixed_and_resubmitted_no_longer_shows_the_old_comment(
    client: Client, staff: User, submission: Entry, partner: User
) -> None:
    services.entry_return(entry=submission, by=staff, comment="Add the countries.")
    client.force_login(partner)

    client.post(f"/contribute/{submission.pk}/", {**edit_form(submission), "submit": ""})

    submission.refresh_from_db()
    assert submission.status == Entry.Status.SUBMITTED
    page = client.get(f"/contribute/{submission.pk}/").content.decode()
    assert "Add the countries." not in page


def test_only_a_submission_can_be_returned(
    client: Client, staff: User, organization: Organization
) -> None:
    published: Entry = EntryFactory(providers=[organization])
    client.force_login(staff)
    before = entry_state(published)

    response = client.post(f"/moderation/{published.pk}/return/", {"comment": "Why?"}, follow=True)

    assert "Only a submitted entry can be returned; this entry is published." in (
        response.content.decode()
    )
    assert entry_state(published) == before
    assert not Notification.objects.exists()


# Review page and history


def test_review_page_shows_the_entry_with_its_contact_and_the_decision_forms(
    client: Client, staff: User, submission: Entry
) -> None:
    client.force_login(staff)

    html = client.get(f"/moderation/{submission.pk}/").content.decode()

    assert "Solar-powered drip irrigation" in html
    assert f'action="/moderation/{submission.pk}/publish/"' in html
    assert f'action="/moderation/{submission.pk}/return/"' in html
    assert "Kenya Water Centre (Lead provider)" in html


def test_staff_see_who_changed_what_and_when(
    client: Client, staff: User, partner: User, organization: Organization
) -> None:
    client.force_login(partner)
    client.post("/contribute/new/technologies/", technology_form(organization, title="Drip kits"))
    entry = Entry.objects.get()
    client.post(f"/contribute/{entry.pk}/", {**edit_form(entry, title="Solar drip kits")})
    client.force_login(staff)

    response = client.get(f"/moderation/{entry.pk}/")

    history = response.context["history"]
    assert [row.action for row in history] == ["Changed", "Changed", "Created"]
    assert history[0].user == partner
    assert [(c.field, c.old, c.new) for c in history[0].changes] == [
        ("title", "Drip kits", "Solar drip kits")
    ]
    html = response.content.decode()
    assert '<th scope="row">Title</th><td dir="auto">Drip kits</td>' in html
    assert "wanjiru@example.org" in html


def test_history_names_related_rows(
    client: Client, staff: User, organization: Organization
) -> None:
    entry = EntryFactory(providers=[organization])
    entry.themes.add(Theme.objects.get(code="climate-change"))
    client.force_login(staff)

    history = client.get(f"/moderation/{entry.pk}/").context["history"]

    assert ("themes", "—", "Climate change") in [
        (c.field, c.old, c.new) for c in history[0].changes
    ]


def test_staff_find_the_review_page_from_the_public_page(
    client: Client, staff: User, partner: User, organization: Organization
) -> None:
    entry = EntryFactory(providers=[organization])
    link = f'href="/moderation/{entry.pk}/"'

    assert link not in client.get(f"/technologies/{entry.pk}/").content.decode()
    client.force_login(partner)
    assert link not in client.get(f"/technologies/{entry.pk}/").content.decode()
    client.force_login(staff)
    assert link in client.get(f"/technologies/{entry.pk}/").content.decode()


def test_navigation_links_follow_the_role(
    client: Client, staff: User, partner: User, other_partner: User
) -> None:
    assert 'href="/contribute/"' not in client.get("/").content.decode()
    client.force_login(partner)
    home = client.get("/").content.decode()
    assert 'href="/contribute/"' in home
    assert 'href="/moderation/"' not in home
    client.force_login(staff)
    home = client.get("/").content.decode()
    assert 'href="/moderation/"' in home
    assert 'href="/contribute/"' not in home


def test_history_shows_choices_by_label_and_people_by_name(
    client: Client, staff: User, partner: User, organization: Organization
) -> None:
    entry = submitted(organization, "Drip kits")
    entry.status = Entry.Status.DRAFT
    entry.save()
    client.force_login(partner)
    client.post(f"/contribute/{entry.pk}/submit/")
    client.force_login(staff)

    history = client.get(f"/moderation/{entry.pk}/").context["history"]

    changes = {c.field: (c.old, c.new) for c in history[0].changes}
    assert changes["status"] == ("Draft", "Submitted")
    assert changes["submitted by"] == ("—", "wanjiru@example.org")

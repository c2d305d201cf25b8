"""Entries not confirmed for a year are "to reconfirm" and their owners reminded (once per period,
however often the task runs); a further period later they are shown as stale."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from accounts.models import User
from catalog import services
from catalog.models import Entry, Organization
from catalog.tasks import entries_remind_reconfirm_task
from notifications.models import Notification
from tests.factories import EntryFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 9, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()


def confirmed(organization: Organization | None, days_ago: int, **kwargs: object) -> Entry:
    return EntryFactory(
        last_confirmed_on=TODAY - datetime.timedelta(days=days_ago),
        providers=[organization] if organization else [],
        **kwargs,
    )


def reminders() -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(kind=Notification.Kind.REMINDER)
        .order_by("recipient__email")
        .values_list("recipient__email", "subject")
    )


def test_settings_and_beat_schedule() -> None:
    assert settings.ENTRY_RECONFIRM_AFTER_DAYS == 365
    assert settings.ENTRY_STALE_AFTER_DAYS == 455
    assert settings.CELERY_BEAT_SCHEDULE["catalog-reconfirm-reminders"]["task"] == (
        "catalog.tasks.entries_remind_reconfirm_task"
    )


@time_machine.travel(NOW, tick=False)
def test_flags_follow_the_age_of_the_last_confirmation(organization: Organization) -> None:
    fresh = confirmed(organization, 365)
    due = confirmed(organization, 366)
    stale = confirmed(organization, 456)
    draft = confirmed(organization, 900, status=Entry.Status.DRAFT)

    assert (fresh.needs_reconfirmation, fresh.is_stale) == (False, False)
    assert (due.needs_reconfirmation, due.is_stale) == (True, False)
    assert (stale.needs_reconfirmation, stale.is_stale) == (True, True)
    assert (draft.needs_reconfirmation, draft.is_stale) == (False, False)
    assert set(Entry.objects.to_reconfirm()) == {due, stale}
    assert set(Entry.objects.stale_now()) == {stale}


@time_machine.travel(NOW, tick=False)
def test_reminder_task_run_twice_reminds_each_owner_once(
    organization: Organization, partner: User, colleague: User, other_partner: User
) -> None:
    first = confirmed(organization, 400, title="Drip kits")
    second = confirmed(organization, 500, title="Seed banks")
    confirmed(organization, 10, title="Fresh entry")

    assert entries_remind_reconfirm_task.delay().get() == 2
    assert entries_remind_reconfirm_task.delay().get() == 0

    assert reminders() == [
        ("otieno@example.org", "Please confirm your entries are up to date"),
        ("wanjiru@example.org", "Please confirm your entries are up to date"),
    ]
    notification = Notification.objects.get(recipient=partner)
    assert notification.body.endswith("\n- Drip kits\n- Seed banks")
    assert notification.url == "/contribute/?flag=to-reconfirm"
    for entry in (first, second):
        entry.refresh_from_db()
        assert entry.reconfirm_reminded_at == NOW


def test_after_a_confirmation_the_next_reminder_comes_a_year_later(
    client: Client, organization: Organization, partner: User
) -> None:
    with time_machine.travel(NOW, tick=False):
        entry = confirmed(organization, 400)
        entries_remind_reconfirm_task.delay()
        client.force_login(partner)
        client.post(f"/contribute/{entry.pk}/confirm/")
        entry.refresh_from_db()
        assert entry.last_confirmed_on == TODAY
        assert entry.reconfirm_reminded_at is None
        assert entries_remind_reconfirm_task.delay().get() == 0

    with time_machine.travel(NOW + datetime.timedelta(days=200), tick=False):
        assert entries_remind_reconfirm_task.delay().get() == 0
    with time_machine.travel(NOW + datetime.timedelta(days=366), tick=False):
        assert entries_remind_reconfirm_task.delay().get() == 1
        assert entries_remind_reconfirm_task.delay().get() == 0

    assert Notification.objects.filter(recipient=partner).count() == 2


@time_machine.travel(NOW, tick=False)
def test_entries_nobody_can_be_told_about_are_left_for_staff(
    organization: Organization,
) -> None:
    nobodys: Organization = OrganizationFactory()
    orphan = confirmed(nobodys, 400)

    assert entries_remind_reconfirm_task.delay().get() == 0

    orphan.refresh_from_db()
    assert orphan.reconfirm_reminded_at is None
    assert not Notification.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_partner_confirms_in_one_click_from_my_entries(
    client: Client, organization: Organization, partner: User
) -> None:
    entry = confirmed(organization, 400, title="Drip kits")
    client.force_login(partner)

    page = client.get("/contribute/?flag=to-reconfirm").content.decode()
    assert "Drip kits" in page
    assert '<span class="badge badge-reconfirm">To reconfirm</span>' in page
    assert f'action="/contribute/{entry.pk}/confirm/"' in page

    response = client.post(f"/contribute/{entry.pk}/confirm/", follow=True)

    entry.refresh_from_db()
    assert (entry.last_confirmed_on, entry.confirmed_by) == (TODAY, partner)
    assert "Thank you: “Drip kits” is confirmed as up to date." in response.content.decode()
    assert "Drip kits" not in client.get("/contribute/?flag=to-reconfirm").content.decode()


@time_machine.travel(NOW, tick=False)
def test_other_partner_cannot_confirm_and_nothing_changes(
    client: Client, organization: Organization, other_partner: User
) -> None:
    entry = confirmed(organization, 400)
    client.force_login(other_partner)

    assert client.post(f"/contribute/{entry.pk}/confirm/").status_code == 404

    entry.refresh_from_db()
    assert entry.last_confirmed_on == TODAY - datetime.timedelta(days=400)
    assert entry.confirmed_by is None


@time_machine.travel(NOW, tick=False)
def test_a_draft_cannot_be_confirmed(
    client: Client, organization: Organization, partner: User
) -> None:
    entry = confirmed(organization, 400, status=Entry.Status.DRAFT)
    client.force_login(partner)

    response = client.post(f"/contribute/{entry.pk}/confirm/", follow=True)

    assert "Only a published entry can be confirmed; this entry is draft." in (
        response.content.decode()
    )
    entry.refresh_from_db()
    assert entry.confirmed_by is None


@time_machine.travel(NOW, tick=False)
def test_stale_entry_is_marked_on_its_public_page(
    client: Client, organization: Organization
) -> None:
    stale = confirmed(organization, 456)
    due = confirmed(organization, 400)

    stale_page = client.get(f"/technologies/{stale.pk}/").content.decode()
    due_page = client.get(f"/technologies/{due.pk}/").content.decode()

    assert '<span class="badge badge-stale">Stale</span>' in stale_page
    assert (
        "Its providers have not confirmed this entry since March 16, 2025: it may be out of date."
        in stale_page
    )
    # "To reconfirm" is between the partner and the portal; the public sees only "stale".
    assert "badge-stale" not in due_page
    assert "To reconfirm" not in due_page


@time_machine.travel(NOW, tick=False)
def test_my_entries_counts_entries_to_reconfirm_and_stale(
    client: Client, organization: Organization, partner: User
) -> None:
    confirmed(organization, 400)
    confirmed(organization, 500)
    confirmed(organization, 10)
    client.force_login(partner)

    page = client.get("/contribute/").content.decode()

    assert 'To reconfirm <span class="count">2</span>' in page
    assert 'Stale <span class="count">1</span>' in page
    assert "2 published entries have not been confirmed for a year." in page


@time_machine.travel(NOW, tick=False)
def test_owner_of_many_entries_gets_one_reminder_listing_the_first_ten(
    organization: Organization, partner: User
) -> None:
    for n in range(12):
        confirmed(organization, 400, title=f"Entry {n:02d}")

    assert services.entries_remind_reconfirm(batch_size=5) == 12

    body = Notification.objects.get(recipient=partner).body
    assert "- Entry 00\n" in body
    assert "- Entry 09\n" in body
    assert "Entry 10" not in body
    assert body.endswith("… and 2 more.")

"""Moderation of entries: each allowed step records who and when; every other step is refused
with a message and leaves the database as it was."""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from accounts.models import User
from catalog.models import Entry, Theme
from catalog.services import (
    entries_archive,
    entries_confirm,
    entries_publish,
    entries_return_to_draft,
    entry_archive,
    entry_confirm,
    entry_publish,
    entry_return_to_draft,
    entry_submit,
)
from exchange.errors import ApplicationError
from tests.factories import (
    EntryFactory,
    EventFactory,
    OpportunityFactory,
    StaffUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = Entry.Status
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
TODAY = NOW.date()
LONG_AGO = datetime.date(2025, 1, 15)


def row(entry: Entry) -> dict[str, Any]:
    """Every column of the entry as stored."""
    return dict(Entry.objects.filter(pk=entry.pk).values().get())


def draft(**kwargs: Any) -> Entry:
    entry: Entry = EntryFactory(
        status=Status.DRAFT, published_at=None, last_confirmed_on=None, **kwargs
    )
    return entry


@pytest.fixture
def staff() -> User:
    user: User = StaffUserFactory()
    return user


@pytest.fixture
def author() -> User:
    user: User = UserFactory()
    return user


@time_machine.travel(NOW, tick=False)
def test_author_submits_a_draft_and_it_records_who_and_when(author: User) -> None:
    entry = draft()

    returned = entry_submit(entry=entry, by=author)

    assert returned is entry
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    assert entry.submitted_by == author
    assert entry.submitted_at == NOW
    assert entry.published_at is None


@time_machine.travel(NOW, tick=False)
def test_staff_publish_a_submission_recording_who_when_and_confirming_it(staff: User) -> None:
    entry = draft()
    entry.status = Status.SUBMITTED
    entry.save()

    entry_publish(entry=entry, by=staff)

    entry.refresh_from_db()
    assert entry.status == Status.PUBLISHED
    assert entry.published_by == staff
    assert entry.published_at == NOW
    assert entry.last_confirmed_on == TODAY


@time_machine.travel(NOW, tick=False)
def test_staff_publish_a_draft_directly(staff: User) -> None:
    entry = draft()

    entry_publish(entry=entry, by=staff)

    entry.refresh_from_db()
    assert (entry.status, entry.published_by, entry.published_at) == (Status.PUBLISHED, staff, NOW)
    assert entry.submitted_at is None


@time_machine.travel(NOW, tick=False)
def test_staff_republish_an_archived_entry_which_keeps_its_archiving_record(staff: User) -> None:
    archived_at = NOW - datetime.timedelta(days=40)
    entry: Entry = EntryFactory(status=Status.ARCHIVED, archived_at=archived_at, archived_by=staff)
    publisher: User = StaffUserFactory()

    entry_publish(entry=entry, by=publisher)

    entry.refresh_from_db()
    assert (entry.status, entry.published_by, entry.published_at) == (
        Status.PUBLISHED,
        publisher,
        NOW,
    )
    assert (entry.archived_at, entry.archived_by) == (archived_at, staff)


@time_machine.travel(NOW, tick=False)
def test_staff_archive_a_published_entry(staff: User) -> None:
    entry: Entry = EntryFactory(status=Status.PUBLISHED)

    entry_archive(entry=entry, by=staff)

    entry.refresh_from_db()
    assert (entry.status, entry.archived_by, entry.archived_at) == (Status.ARCHIVED, staff, NOW)


@time_machine.travel(NOW, tick=False)
def test_staff_can_archive_an_opportunity_whose_deadline_has_passed(staff: User) -> None:
    entry: Entry = OpportunityFactory(
        deadline=TODAY - datetime.timedelta(days=10),
        published_at=NOW - datetime.timedelta(days=30),
    )

    entry_archive(entry=entry, by=staff)

    assert row(entry)["status"] == Status.ARCHIVED


def test_staff_return_a_submission_to_draft_keeping_its_submission_record(
    staff: User, author: User
) -> None:
    entry = draft()
    entry_submit(entry=entry, by=author)
    submitted_at = row(entry)["submitted_at"]

    entry_return_to_draft(entry=entry, by=staff)

    entry.refresh_from_db()
    assert entry.status == Status.DRAFT
    assert (entry.submitted_by, entry.submitted_at) == (author, submitted_at)


@time_machine.travel(NOW, tick=False)
def test_confirming_a_published_entry_sets_last_confirmed_on_to_today(author: User) -> None:
    entry: Entry = EntryFactory(status=Status.PUBLISHED, last_confirmed_on=LONG_AGO)

    entry_confirm(entry=entry, by=author)

    assert row(entry)["last_confirmed_on"] == TODAY
    assert row(entry)["confirmed_by_id"] == author.pk
    assert row(entry)["status"] == Status.PUBLISHED


STEPS: dict[str, Callable[..., Entry]] = {
    "submit": entry_submit,
    "publish": entry_publish,
    "archive": entry_archive,
    "return_to_draft": entry_return_to_draft,
    "confirm": entry_confirm,
}
FORBIDDEN = [
    ("submit", Status.SUBMITTED, "Only a draft can be submitted; this entry is submitted."),
    ("submit", Status.PUBLISHED, "Only a draft can be submitted; this entry is published."),
    ("submit", Status.ARCHIVED, "Only a draft can be submitted; this entry is archived."),
    ("publish", Status.PUBLISHED, "This entry is already published."),
    ("archive", Status.DRAFT, "Only a published entry can be archived; this entry is draft."),
    (
        "archive",
        Status.SUBMITTED,
        "Only a published entry can be archived; this entry is submitted.",
    ),
    ("archive", Status.ARCHIVED, "Only a published entry can be archived; this entry is archived."),
    (
        "return_to_draft",
        Status.DRAFT,
        "Only a submitted entry can be returned to draft; this entry is draft.",
    ),
    (
        "return_to_draft",
        Status.PUBLISHED,
        "Only a submitted entry can be returned to draft; this entry is published.",
    ),
    (
        "return_to_draft",
        Status.ARCHIVED,
        "Only a submitted entry can be returned to draft; this entry is archived.",
    ),
    ("confirm", Status.DRAFT, "Only a published entry can be confirmed; this entry is draft."),
    (
        "confirm",
        Status.SUBMITTED,
        "Only a published entry can be confirmed; this entry is submitted.",
    ),
    (
        "confirm",
        Status.ARCHIVED,
        "Only a published entry can be confirmed; this entry is archived.",
    ),
]


@pytest.mark.parametrize(("step", "status", "message"), FORBIDDEN)
def test_a_step_from_the_wrong_status_is_refused_and_changes_nothing(
    staff: User, step: str, status: str, message: str
) -> None:
    entry: Entry = EntryFactory(status=status, last_confirmed_on=LONG_AGO)
    before = row(entry)

    with pytest.raises(ApplicationError) as error:
        STEPS[step](entry=entry, by=staff)

    assert error.value.message == message
    assert row(entry) == before


@pytest.mark.parametrize(
    ("step", "status", "message"),
    [
        ("publish", Status.SUBMITTED, "Only programme staff can publish entries."),
        ("archive", Status.PUBLISHED, "Only programme staff can archive entries."),
        ("return_to_draft", Status.SUBMITTED, "Only programme staff can return entries to draft."),
    ],
)
def test_someone_who_is_not_staff_cannot_moderate(
    author: User, step: str, status: str, message: str
) -> None:
    entry: Entry = EntryFactory(status=status)
    before = row(entry)

    with pytest.raises(ApplicationError) as error:
        STEPS[step](entry=entry, by=author)

    assert error.value.message == message
    assert row(entry) == before


@time_machine.travel(NOW, tick=False)
def test_publishing_an_opportunity_whose_deadline_is_before_publication_fails_and_keeps_status(
    staff: User,
) -> None:
    entry: Entry = OpportunityFactory(
        status=Status.SUBMITTED,
        published_at=None,
        last_confirmed_on=LONG_AGO,
        deadline=TODAY - datetime.timedelta(days=1),
    )
    before = row(entry)

    with pytest.raises(ApplicationError) as error:
        entry_publish(entry=entry, by=staff)

    assert error.value.message == (
        "This entry cannot be published. "
        "The application deadline cannot be before the publication date."
    )
    assert error.value.extra["fields"] == {
        "deadline": ["The application deadline cannot be before the publication date."]
    }
    assert row(entry) == before
    # The object the caller holds is put back too, so a page showing it again is truthful.
    assert (entry.status, entry.published_at, entry.published_by) == (Status.SUBMITTED, None, None)
    assert entry.last_confirmed_on == LONG_AGO


@time_machine.travel(NOW, tick=False)
def test_an_opportunity_with_a_deadline_today_can_be_published(staff: User) -> None:
    entry: Entry = OpportunityFactory(status=Status.SUBMITTED, published_at=None, deadline=TODAY)

    entry_publish(entry=entry, by=staff)

    assert row(entry)["status"] == Status.PUBLISHED


def test_submitting_an_event_without_a_start_date_fails_with_the_models_message(
    author: User,
) -> None:
    entry: Entry = EventFactory(
        status=Status.DRAFT, published_at=None, starts_on=None, ends_on=None
    )
    before = row(entry)

    with pytest.raises(ApplicationError) as error:
        entry_submit(entry=entry, by=author)

    assert error.value.message == "This entry cannot be submitted yet. An event needs a start date."
    assert row(entry) == before
    assert entry.status == Status.DRAFT


# Bulk steps, as the admin actions use them.


@time_machine.travel(NOW, tick=False)
def test_publishing_many_publishes_the_allowed_rows_and_counts_the_others(staff: User) -> None:
    submitted: Entry = EntryFactory(status=Status.SUBMITTED, published_at=None)
    a_draft = draft()
    archived: Entry = EntryFactory(status=Status.ARCHIVED)
    already: Entry = EntryFactory(
        status=Status.PUBLISHED, published_at=NOW - datetime.timedelta(days=3)
    )
    expired: Entry = OpportunityFactory(
        title="Expired call",
        status=Status.SUBMITTED,
        published_at=None,
        deadline=TODAY - datetime.timedelta(days=2),
    )
    untouched: Entry = EntryFactory(status=Status.SUBMITTED, published_at=None)
    selected = Entry.objects.filter(pk__in=[e.pk for e in (submitted, a_draft, archived, already)])
    selected = selected | Entry.objects.filter(pk=expired.pk)

    result = entries_publish(entries=selected, by=staff)

    assert (result.done, result.skipped) == (3, 2)
    assert result.errors == [
        "Expired call: This entry cannot be published. "
        "The application deadline cannot be before the publication date."
    ]
    for entry in (submitted, a_draft, archived):
        stored = row(entry)
        assert (stored["status"], stored["published_by_id"], stored["published_at"]) == (
            Status.PUBLISHED,
            staff.pk,
            NOW,
        )
    assert row(already)["published_at"] == NOW - datetime.timedelta(days=3)
    assert row(expired)["status"] == Status.SUBMITTED
    assert row(untouched)["status"] == Status.SUBMITTED


def test_publishing_many_accepts_a_distinct_ordered_queryset_like_an_admin_changelist(
    staff: User,
) -> None:
    theme = Theme.objects.first()
    first, second = draft(themes=[theme]), draft(themes=[theme])
    selected = Entry.objects.filter(themes__isnull=False).distinct().order_by("-updated_at")

    result = entries_publish(entries=selected, by=staff)

    assert (result.done, result.skipped) == (2, 0)
    assert {row(first)["status"], row(second)["status"]} == {Status.PUBLISHED}


@time_machine.travel(NOW, tick=False)
def test_archiving_many_archives_published_rows_and_skips_the_others(staff: User) -> None:
    published: Entry = EntryFactory(status=Status.PUBLISHED)
    a_draft = draft()
    result = entries_archive(entries=Entry.objects.all(), by=staff)

    assert (result.done, result.skipped, result.errors) == (1, 1, [])
    assert (row(published)["status"], row(published)["archived_by_id"]) == (
        Status.ARCHIVED,
        staff.pk,
    )
    assert row(published)["archived_at"] == NOW
    assert row(a_draft)["status"] == Status.DRAFT
    assert row(a_draft)["archived_at"] is None


def test_returning_many_to_draft_only_touches_submissions(staff: User) -> None:
    submitted: Entry = EntryFactory(status=Status.SUBMITTED)
    published: Entry = EntryFactory(status=Status.PUBLISHED)

    result = entries_return_to_draft(entries=Entry.objects.all(), by=staff)

    assert (result.done, result.skipped) == (1, 1)
    assert row(submitted)["status"] == Status.DRAFT
    assert row(published)["status"] == Status.PUBLISHED


@time_machine.travel(NOW, tick=False)
def test_confirming_many_only_touches_published_entries(author: User) -> None:
    published: Entry = EntryFactory(status=Status.PUBLISHED, last_confirmed_on=LONG_AGO)
    a_draft = draft()

    result = entries_confirm(entries=Entry.objects.all(), by=author)

    assert (result.done, result.skipped) == (1, 1)
    assert row(published)["last_confirmed_on"] == TODAY
    assert row(a_draft)["last_confirmed_on"] is None


@pytest.mark.parametrize("bulk", [entries_publish, entries_archive, entries_return_to_draft])
def test_someone_who_is_not_staff_cannot_moderate_many(
    author: User, bulk: Callable[..., Any]
) -> None:
    entries: list[Entry] = [EntryFactory(status=status) for status in Status.values]
    before = [row(entry) for entry in entries]

    with pytest.raises(ApplicationError):
        bulk(entries=Entry.objects.all(), by=author)

    assert [row(entry) for entry in entries] == before

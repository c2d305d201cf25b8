"""Moderation of catalogue entries: draft → submitted → published → archived.

The who/when fields record the last time each step happened; `status` says where an entry is now.
So an entry sent back to draft keeps its `submitted_at`, and a republished one its `archived_at`.
"""

from collections.abc import Callable, Collection
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from catalog.models import Entry
from exchange.errors import ApplicationError

Status = Entry.Status

PUBLISHABLE = (Status.DRAFT, Status.SUBMITTED, Status.ARCHIVED)

# Bulk results keep this many failure messages for the admin to show; the count covers the rest.
MAX_REPORTED_ERRORS = 10


class BulkResult(NamedTuple):
    done: int
    skipped: int
    # "Title: why" for rows that were allowed by status but failed, at most MAX_REPORTED_ERRORS.
    errors: list[str]


def _require_staff(by: User, doing: str) -> None:
    if not by.is_staff:
        raise ApplicationError(f"Only programme staff can {doing}.")


def _save(entry: Entry, *, changes: dict[str, Any], validation_failure: str | None = None) -> Entry:
    """Apply `changes` and save just those fields.

    With `validation_failure`, run the model's validation first and raise that message followed
    by the model's own. The entry in memory is then put back as it is in the database, so a
    caller that shows it again does not show a state that was never saved.
    """
    for field, value in changes.items():
        setattr(entry, field, value)
    if validation_failure is not None:
        try:
            entry.full_clean()
        except ValidationError as exc:
            entry.refresh_from_db(fields=list(changes))
            raise ApplicationError.from_validation_error(exc, prefix=validation_failure) from exc
    entry.save(update_fields=[*changes, "updated_at"])
    return entry


@transaction.atomic
def entry_submit(*, entry: Entry, by: User) -> Entry:
    if entry.status != Status.DRAFT:
        raise ApplicationError(
            f"Only a draft can be submitted; this entry is {entry.get_status_display().lower()}."
        )
    return _save(
        entry,
        changes={"status": Status.SUBMITTED, "submitted_at": timezone.now(), "submitted_by": by},
        validation_failure="This entry cannot be submitted yet.",
    )


@transaction.atomic
def entry_publish(*, entry: Entry, by: User) -> Entry:
    """Publish a draft, a submission or an archived entry. Staff only.

    Publishing is a review of the content, so it also counts as confirming the entry today.
    """
    _require_staff(by, "publish entries")
    if entry.status not in PUBLISHABLE:
        raise ApplicationError("This entry is already published.")
    return _save(
        entry,
        changes={
            "status": Status.PUBLISHED,
            "published_at": timezone.now(),
            "published_by": by,
            "last_confirmed_on": timezone.localdate(),
        },
        validation_failure="This entry cannot be published.",
    )


@transaction.atomic
def entry_archive(*, entry: Entry, by: User) -> Entry:
    """Take a published entry off the portal. Staff only; no validation, so that an entry that
    has become invalid (an expired opportunity) can always be archived."""
    _require_staff(by, "archive entries")
    if entry.status != Status.PUBLISHED:
        raise ApplicationError(
            "Only a published entry can be archived; "
            f"this entry is {entry.get_status_display().lower()}."
        )
    return _save(
        entry,
        changes={"status": Status.ARCHIVED, "archived_at": timezone.now(), "archived_by": by},
    )


@transaction.atomic
def entry_return_to_draft(*, entry: Entry, by: User) -> Entry:
    """Send a submission back to its author for changes. Staff only."""
    _require_staff(by, "return entries to draft")
    if entry.status != Status.SUBMITTED:
        raise ApplicationError(
            "Only a submitted entry can be returned to draft; "
            f"this entry is {entry.get_status_display().lower()}."
        )
    return _save(entry, changes={"status": Status.DRAFT})


@transaction.atomic
def entry_confirm(*, entry: Entry, by: User) -> Entry:
    """Record that a published entry is still accurate today, and who said so."""
    if entry.status != Status.PUBLISHED:
        raise ApplicationError(
            "Only a published entry can be confirmed; "
            f"this entry is {entry.get_status_display().lower()}."
        )
    return _save(
        entry,
        changes={"last_confirmed_on": timezone.localdate(), "confirmed_by": by},
    )


def _entries_apply(
    entries: QuerySet[Entry],
    *,
    allowed: Collection[str],
    step: Callable[[Entry], Entry],
) -> BulkResult:
    """Run `step` on each entry whose status allows it; count the rest as skipped.

    Rows are re-read by primary key so that the caller's queryset may be sliced, ordered or
    distinct (as admin changelists are), and streamed so that a large selection stays in bounds.
    Each `step` runs in its own savepoint: one failing row does not undo the others.
    """
    total = entries.count()
    done = 0
    errors: list[str] = []
    candidates = Entry.objects.filter(pk__in=entries.values("pk"), status__in=allowed).order_by(
        "pk"
    )
    for entry in candidates.iterator(chunk_size=500):
        try:
            step(entry)
        except ApplicationError as exc:
            if len(errors) < MAX_REPORTED_ERRORS:
                errors.append(f"{entry.title}: {exc.message}")
        else:
            done += 1
    return BulkResult(done=done, skipped=total - done, errors=errors)


@transaction.atomic
def entries_publish(*, entries: QuerySet[Entry], by: User) -> BulkResult:
    _require_staff(by, "publish entries")
    return _entries_apply(
        entries, allowed=PUBLISHABLE, step=lambda entry: entry_publish(entry=entry, by=by)
    )


@transaction.atomic
def entries_archive(*, entries: QuerySet[Entry], by: User) -> BulkResult:
    _require_staff(by, "archive entries")
    return _entries_apply(
        entries,
        allowed=[Status.PUBLISHED],
        step=lambda entry: entry_archive(entry=entry, by=by),
    )


@transaction.atomic
def entries_return_to_draft(*, entries: QuerySet[Entry], by: User) -> BulkResult:
    _require_staff(by, "return entries to draft")
    return _entries_apply(
        entries,
        allowed=[Status.SUBMITTED],
        step=lambda entry: entry_return_to_draft(entry=entry, by=by),
    )


@transaction.atomic
def entries_confirm(*, entries: QuerySet[Entry], by: User) -> BulkResult:
    return _entries_apply(
        entries,
        allowed=[Status.PUBLISHED],
        step=lambda entry: entry_confirm(entry=entry, by=by),
    )

"""Moderation of catalogue entries: draft → submitted → published → archived.

The who/when fields record the last time each step happened; `status` says where an entry is now.
So an entry sent back to draft keeps its `submitted_at`, and a republished one its `archived_at`.
"""

import uuid
from collections.abc import Callable, Collection, Sequence
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from catalog.models import Entry, EntryLink, EntryProvider, EntryReview, Organization
from exchange.errors import ApplicationError
from matching.tasks import enqueue_entry_refresh
from notifications.models import Notification
from notifications.services import notify

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


def _lock(entry: Entry) -> None:
    """Lock the entry's row until the end of the transaction and read its status again, so that
    two requests for the same step (a double click) run one after the other and the second one
    sees what the first one did."""
    entry.status = (
        Entry.objects.select_for_update().filter(pk=entry.pk).values_list("status", flat=True).get()
    )


def entry_owners(entry: Entry) -> QuerySet[User]:
    """The active members of the organizations that lead the entry: who is told about it."""
    return User.objects.filter(
        is_active=True,
        memberships__organization__provider_links__entry=entry,
        memberships__organization__provider_links__role=EntryProvider.Role.LEAD,
    ).distinct()


def _programme_staff() -> QuerySet[User]:
    return User.objects.filter(is_active=True, is_staff=True)


def _review_url(entry: Entry) -> str:
    return reverse("catalog:moderation_review", kwargs={"pk": entry.pk})


def _contributor_url(entry: Entry) -> str:
    return reverse("catalog:contribute_edit", kwargs={"pk": entry.pk})


def _lead_names(entry: Entry) -> str:
    return ", ".join(
        str(link.organization)
        for link in entry.provider_links.filter(role=EntryProvider.Role.LEAD).select_related(
            "organization"
        )
    )


@transaction.atomic
def entry_submit(*, entry: Entry, by: User) -> Entry:
    """Send a draft to programme staff for moderation; staff are notified."""
    _lock(entry)
    if entry.status != Status.DRAFT:
        raise ApplicationError(
            f"Only a draft can be submitted; this entry is {entry.get_status_display().lower()}."
        )
    _save(
        entry,
        changes={"status": Status.SUBMITTED, "submitted_at": timezone.now(), "submitted_by": by},
        validation_failure="This entry cannot be submitted yet.",
    )
    notify(
        recipients=_programme_staff(),
        kind=Notification.Kind.SUBMISSION_RECEIVED,
        subject=_("Entry submitted for moderation: %(title)s") % {"title": entry.title},
        body=_("%(user)s submitted “%(title)s” (%(module)s) for %(organizations)s.")
        % {
            "user": by,
            "title": entry.title,
            "module": entry.get_module_display(),
            "organizations": _lead_names(entry) or "—",
        },
        url=_review_url(entry),
    )
    return entry


@transaction.atomic
def entry_publish(*, entry: Entry, by: User, comment: str = "") -> Entry:
    """Publish a draft, a submission or an archived entry. Staff only.

    Publishing is a review of the content, so it also counts as confirming the entry today. The
    decision is recorded (`EntryReview`) and the members of the lead organizations notified.
    """
    _require_staff(by, "publish entries")
    _lock(entry)
    if entry.status not in PUBLISHABLE:
        raise ApplicationError("This entry is already published.")
    _save(
        entry,
        changes={
            "status": Status.PUBLISHED,
            "published_at": timezone.now(),
            "published_by": by,
            "last_confirmed_on": timezone.localdate(),
            "reconfirm_reminded_at": None,
        },
        validation_failure="This entry cannot be published.",
    )
    EntryReview.objects.create(
        entry=entry, by=by, decision=EntryReview.Decision.PUBLISHED, comment=comment.strip()
    )
    notify(
        recipients=entry_owners(entry),
        kind=Notification.Kind.PUBLISHED,
        subject=_("Your entry is published: %(title)s") % {"title": entry.title},
        body=comment.strip(),
        url=reverse("catalog:entry_detail", kwargs={"module": entry.module, "pk": entry.pk}),
    )
    # The open needs it could serve get it among their suggestions.
    enqueue_entry_refresh(entry.pk)
    return entry


@transaction.atomic
def entry_return(*, entry: Entry, by: User, comment: str) -> Entry:
    """Send a submission back to its contributors with comments saying what to change. Staff
    only; the entry becomes a draft again and the members of the lead organizations see the
    comment on the entry's page and in their inbox."""
    _require_staff(by, "return entries")
    comment = comment.strip()
    if not comment:
        raise ApplicationError(_("Say what the contributor should change: a comment is required."))
    _lock(entry)
    if entry.status != Status.SUBMITTED:
        raise ApplicationError(
            _("Only a submitted entry can be returned; this entry is %(status)s.")
            % {"status": entry.get_status_display().lower()}
        )
    _save(entry, changes={"status": Status.DRAFT})
    EntryReview.objects.create(
        entry=entry, by=by, decision=EntryReview.Decision.RETURNED, comment=comment
    )
    notify(
        recipients=entry_owners(entry),
        kind=Notification.Kind.RETURNED,
        subject=_("Your entry was returned with comments: %(title)s") % {"title": entry.title},
        body=comment,
        url=_contributor_url(entry),
    )
    return entry


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
    _save(
        entry,
        changes={"status": Status.ARCHIVED, "archived_at": timezone.now(), "archived_by": by},
    )
    # Off the portal: it leaves the needs' suggestions.
    enqueue_entry_refresh(entry.pk)
    return entry


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
        changes={
            "last_confirmed_on": timezone.localdate(),
            "confirmed_by": by,
            # A new period starts: the next reminder comes when this confirmation is old.
            "reconfirm_reminded_at": None,
        },
    )


# Contributions by partners -------------------------------------------------------------------

# What a contributor fills in, by module: the other columns stay empty (dates only for
# opportunities and events, the venue only for events; `Entry.clean` holds the rules).
COMMON_FIELDS: tuple[str, ...] = (
    "kind",
    "title",
    "summary",
    "body",
    "language",
    "contact_name",
    "contact_email",
)
MODULE_FIELDS: dict[str, tuple[str, ...]] = {
    Entry.Module.OPPORTUNITY: ("deadline", "starts_on", "ends_on"),
    Entry.Module.EVENT: ("starts_on", "ends_on", "venue", "venue_country", "is_online"),
}
RELATED_FIELDS: tuple[str, ...] = (
    "themes",
    "sdg_goals",
    "sdg_targets",
    "countries_of_origin",
    "countries_applied",
    "support_kinds",
)
MAX_LINKS = 10


def contribution_fields(module: str) -> tuple[str, ...]:
    """The fields of the contribution form of `module`, in the order the form shows them."""
    return (*COMMON_FIELDS, *MODULE_FIELDS.get(module, ()), *RELATED_FIELDS)


Link = tuple[str, str]  # (url, label)


def _apply(entry: Entry, *, data: dict[str, Any], links: Sequence[Link], created: bool) -> bool:
    """Write the contributed fields, related rows and links; False when nothing changed.

    The history gets one record for the whole change (and the "created" record before it for a
    new entry), not one per many-to-many relation set.
    """
    fields = contribution_fields(entry.module)
    unknown = set(data) - set(fields)
    if unknown:
        raise ApplicationError(
            _("These fields are not part of this module: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    scalars = {name: value for name, value in data.items() if name not in RELATED_FIELDS}
    related = {
        name: {obj.pk for obj in value} for name, value in data.items() if name in RELATED_FIELDS
    }
    links = [(url.strip(), label.strip()) for url, label in links if url.strip()][:MAX_LINKS]

    changed = created
    changed_names: list[str] = []
    if not created:
        # Compared with the saved row: a ModelForm has already set the posted values on `entry`.
        saved = Entry.objects.get(pk=entry.pk)
        changed_names = [name for name, value in scalars.items() if getattr(saved, name) != value]
        changed_names += [
            name
            for name, pks in related.items()
            if set(getattr(entry, name).values_list("pk", flat=True)) != pks
        ]
        if list(entry.links.order_by("pk").values_list("url", "label")) != links:
            changed_names.append("links")
        changed = bool(changed_names)
    if not changed:
        return False

    for name, value in scalars.items():
        setattr(entry, name, value)
    try:
        entry.full_clean(exclude=["creation_key"])
    except ValidationError as exc:
        if not created:
            entry.refresh_from_db(fields=list(scalars))
        raise ApplicationError.from_validation_error(
            exc, prefix=_("This entry cannot be saved.")
        ) from exc

    entry.skip_history_when_saving = True  # type: ignore[attr-defined]
    try:
        for name, pks in related.items():
            getattr(entry, name).set(pks)
    finally:
        del entry.skip_history_when_saving  # type: ignore[attr-defined]
    entry.links.all().delete()
    EntryLink.objects.bulk_create(
        EntryLink(entry=entry, url=url, label=label) for url, label in links
    )
    entry.save()
    entry_mark_locally_edited(entry=entry, fields=changed_names)
    return True


@transaction.atomic
def entry_mark_locally_edited(*, entry: Entry, fields: Collection[str]) -> Entry:
    """Record that a person changed `fields` of an entry here, whatever the way (contribution
    form, API, admin). For an entry read from a partner source those fields are ours from now
    on: the next sync keeps our value and records a conflict where the source's differs
    (partners/sync/). Entries of no source are left as they are.

    Written with an UPDATE of that column alone: it is bookkeeping, not a new version of the
    entry for its history or the search index."""
    if entry.source_id is None or not fields:
        return entry
    saved = (
        Entry.objects.select_for_update()
        .filter(pk=entry.pk)
        .values_list("locally_edited_fields", flat=True)
        .get()
    )
    merged = sorted({*saved, *fields})
    if merged != sorted(saved):
        Entry.objects.filter(pk=entry.pk).update(locally_edited_fields=merged)
    entry.locally_edited_fields = merged
    return entry


def _may_contribute_for(by: User, organization: Organization) -> bool:
    return by.is_active and (
        by.is_staff or Membership.objects.filter(user=by, organization=organization).exists()
    )


@transaction.atomic
def entry_create(
    *,
    module: str,
    organization: Organization,
    by: User,
    data: dict[str, Any],
    links: Sequence[Link] = (),
    submit: bool = False,
    creation_key: uuid.UUID | None = None,
) -> Entry:
    """A new entry of `module` led by `organization`, as a draft (or submitted with `submit`).

    `creation_key` makes the call idempotent: a second call with the same key (the same form
    posted twice) returns the entry the first one created and changes nothing.
    """
    if not _may_contribute_for(by, organization):
        raise ApplicationError(
            _("You can only contribute entries for an organization you are a member of.")
        )
    if module not in Entry.Module.values:
        raise ApplicationError(_("There is no module “%(module)s”.") % {"module": module})
    if creation_key is not None:
        existing = Entry.objects.filter(creation_key=creation_key).first()
        if existing is not None:
            return existing

    entry = Entry(module=module, status=Status.DRAFT, creation_key=creation_key)
    entry._history_user = by  # type: ignore[attr-defined]
    for name, value in data.items():
        if name not in RELATED_FIELDS:
            setattr(entry, name, value)
    try:
        entry.full_clean(exclude=["creation_key"])
    except ValidationError as exc:
        raise ApplicationError.from_validation_error(
            exc, prefix=_("This entry cannot be saved.")
        ) from exc
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        # The same form posted at the same moment: the other request created the entry.
        existing = Entry.objects.filter(creation_key=creation_key).first()
        if creation_key is None or existing is None:
            raise
        return existing
    EntryProvider.objects.create(
        entry=entry, organization=organization, role=EntryProvider.Role.LEAD
    )
    _apply(entry, data=data, links=links, created=True)
    if submit:
        entry_submit(entry=entry, by=by)
    return entry


@transaction.atomic
def entry_update(
    *,
    entry: Entry,
    by: User,
    data: dict[str, Any],
    links: Sequence[Link] = (),
    submit: bool = False,
) -> Entry:
    """Change an entry's contributed fields and links (and submit it if it is a draft and
    `submit` is set).

    The rule for published entries: a change by its organization stays published at once, so
    the catalogue never loses an entry that a partner is correcting, and programme staff are
    notified with a link to the review page, where the history shows every field changed and
    lets them archive or correct it. Nothing is lost either way: each version is in the
    history. Archived entries are off the portal and only staff bring them back.
    """
    if not by.has_perm("entries.edit", entry):
        raise ApplicationError(_("You can only change the entries of your organization."))
    _lock(entry)
    if entry.status == Status.ARCHIVED:
        raise ApplicationError(
            _("An archived entry cannot be changed; ask programme staff to publish it again.")
        )
    entry._history_user = by  # type: ignore[attr-defined]
    changed = _apply(entry, data=data, links=links, created=False)
    if changed and entry.status == Status.PUBLISHED and not by.is_staff:
        notify(
            recipients=_programme_staff(),
            kind=Notification.Kind.SUBMISSION_RECEIVED,
            subject=_("Published entry changed by its organization: %(title)s")
            % {"title": entry.title},
            body=_("%(user)s changed “%(title)s”. The change is online; see it in the history.")
            % {"user": by, "title": entry.title},
            url=_review_url(entry),
        )
    if changed and entry.status == Status.PUBLISHED:
        enqueue_entry_refresh(entry.pk)
    if submit and entry.status == Status.DRAFT:
        entry_submit(entry=entry, by=by)
    return entry


# Reconfirmation --------------------------------------------------------------------------------

REMINDER_BATCH = 500
# A reminder lists this many entries by title; the link leads to all of them.
REMINDER_TITLES = 10


@transaction.atomic
def entries_remind_reconfirm(*, batch_size: int = REMINDER_BATCH) -> int:
    """Remind the members of the lead organizations of entries that are to be reconfirmed
    (published, not confirmed for ENTRY_RECONFIRM_AFTER_DAYS) and not yet reminded in this
    period: one inbox notification per person, listing their entries.

    Each entry is claimed by setting `reconfirm_reminded_at` on rows locked with SKIP LOCKED,
    so a second run, even at the same time, finds nothing left to remind. Entries that no one
    could be told about (no member of a lead organization) are left unclaimed; the moderation
    queue counts them among the entries to reconfirm.
    """
    owned = Membership.objects.filter(
        user__is_active=True,
        organization__provider_links__entry=OuterRef("pk"),
        organization__provider_links__role=EntryProvider.Role.LEAD,
    )
    now = timezone.now()
    claimed: list[int] = []
    while True:
        ids = list(
            Entry.objects.to_reconfirm()
            .filter(Exists(owned), reconfirm_reminded_at__isnull=True)
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        Entry.objects.filter(pk__in=ids).update(reconfirm_reminded_at=now)
        claimed += ids

    titles_by_user: dict[int, list[str]] = {}
    for start in range(0, len(claimed), batch_size):
        rows = (
            Membership.objects.filter(
                user__is_active=True,
                organization__provider_links__entry__in=claimed[start : start + batch_size],
                organization__provider_links__role=EntryProvider.Role.LEAD,
            )
            .values_list("user_id", "organization__provider_links__entry__title")
            .order_by("user_id", "organization__provider_links__entry__title")
        )
        for user_id, title in rows:
            titles = titles_by_user.setdefault(user_id, [])
            if title not in titles:
                titles.append(title)
    users = User.objects.in_bulk(titles_by_user)
    url = reverse("catalog:my_entries") + "?flag=to-reconfirm"
    for user_id, titles in titles_by_user.items():
        titles.sort()
        listed = "\n".join(f"- {title}" for title in titles[:REMINDER_TITLES])
        if len(titles) > REMINDER_TITLES:
            listed += "\n" + _("… and %(count)d more.") % {"count": len(titles) - REMINDER_TITLES}
        notify(
            recipients=[users[user_id]],
            kind=Notification.Kind.REMINDER,
            subject=_("Please confirm your entries are up to date"),
            body=_(
                "These entries of your organization have not been confirmed for a year. "
                "Check them and confirm them in one click, or correct them:\n%(titles)s"
            )
            % {"titles": listed},
            url=url,
        )
    return len(claimed)


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

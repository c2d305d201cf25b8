"""The life of a partner source's runs: request, claim, retry, succeed or fail, sweep, dispatch;
and staff's decisions on sync conflicts.

Every step is a conditional UPDATE on the run's status, so a message delivered twice, a worker
that died, or the stale sweep and a slow worker acting at once never move a run twice. At most
one run per source is queued or running: a partial unique constraint on `SyncRun` refuses the
second (PostgreSQL and SQLite alike), which is the lock that keeps runs of one source apart.
"""

import datetime
import logging
from typing import Literal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import Entry, EntryLink, EntryProvider, EntryTranslation
from exchange.errors import ApplicationError
from partners.models import PartnerSource, SyncConflict, SyncRun
from partners.sync import M2M_FIELDS, Counts, _through, archive_unseen
from search.changelog import log_entry_changes

logger = logging.getLogger(__name__)


@transaction.atomic
def sync_run_request(*, source: PartnerSource, trigger: str, by: User | None = None) -> SyncRun:
    """Queue a run of `source`; the task starts after the commit. Refused while the source has
    a run queued or running, or when it is disabled."""
    if not source.enabled:
        raise ApplicationError(
            _("The source “%(name)s” is disabled; enable it before running it.")
            % {"name": source.name}
        )
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(source=source, trigger=trigger, requested_by=by)
    except IntegrityError:
        active = source.runs.filter(status__in=SyncRun.ACTIVE).first()
        raise ApplicationError(
            _(
                "The source “%(name)s” already has a run %(status)s (since %(since)s); "
                "wait for it to finish."
            )
            % {
                "name": source.name,
                "status": active.get_status_display().lower() if active else _("queued"),
                "since": f"{active.created_at:%Y-%m-%d %H:%M} UTC" if active else "",
            }
        ) from None
    from partners.tasks import sync_source_run

    transaction.on_commit(lambda: sync_source_run.delay(run.pk), robust=True)
    return run


@transaction.atomic
def sync_run_claim(*, run_id: int) -> SyncRun | None:
    """Move a queued run to running; None when it is not queued (a message delivered twice, a
    run the sweep failed)."""
    now = timezone.now()
    claimed = SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.RUNNING,
        started_at=Coalesce(F("started_at"), now),
        heartbeat_at=now,
    )
    if not claimed:
        return None
    return SyncRun.objects.select_related("source").get(pk=run_id)


def retry_countdown(retries: int) -> int:
    """Seconds before retry number `retries + 1`: PARTNER_SYNC_RETRY_SECONDS, doubling."""
    return int(settings.PARTNER_SYNC_RETRY_SECONDS * 2**retries)


def sync_run_requeue(*, run: SyncRun, message: str, countdown: int) -> bool:
    """Put a running run back in the queue to be retried in `countdown` seconds; its heartbeat
    is set to then, so the sweep leaves it alone while it waits."""
    return bool(
        SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
            status=SyncRun.Status.QUEUED,
            retries=F("retries") + 1,
            heartbeat_at=timezone.now() + datetime.timedelta(seconds=countdown),
            error=message,
        )
    )


def sync_run_succeed(*, run: SyncRun, counts: Counts) -> bool:
    """Mark a running run succeeded. When it completed a full pass, the source's entries the
    pass did not list are archived first (counted in the run)."""
    source = PartnerSource.objects.get(pk=run.source_id)
    if source.pass_started_at is not None:
        unseen = archive_unseen(source=source, since=source.pass_started_at)
        counts.add(unseen)
        if unseen.archived:
            SyncRun.objects.filter(pk=run.pk).update(archived=F("archived") + unseen.archived)
    now = timezone.now()
    with transaction.atomic():
        done = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
            status=SyncRun.Status.SUCCEEDED, finished_at=now, heartbeat_at=now, error=""
        )
        if not done:
            return False
        PartnerSource.objects.filter(pk=source.pk).update(
            last_success_at=now, consecutive_failures=0, pass_started_at=None
        )
        if counts.catalogue_changed:
            from matching.tasks import refresh_open_needs

            transaction.on_commit(refresh_open_needs.delay, robust=True)
    return True


@transaction.atomic
def sync_run_fail(*, run_id: int, message: str) -> bool:
    """Mark a queued or running run failed with `message`; what its pages stored stays, and
    the source's checkpoint with it. Counts the source's failures in a row and, when they
    reach PARTNER_SYNC_FAILURES_BEFORE_EMAIL, mails its contact (once per streak)."""
    now = timezone.now()
    failed = SyncRun.objects.filter(pk=run_id, status__in=SyncRun.ACTIVE).update(
        status=SyncRun.Status.FAILED, finished_at=now, error=message
    )
    if not failed:
        return False
    run = SyncRun.objects.select_related("source").get(pk=run_id)
    PartnerSource.objects.filter(pk=run.source_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    source = PartnerSource.objects.get(pk=run.source_id)
    logger.warning("Sync run %s of %s failed: %s", run.pk, source, message)
    if source.consecutive_failures == settings.PARTNER_SYNC_FAILURES_BEFORE_EMAIL:
        transaction.on_commit(
            lambda: _mail_failures(source_id=source.pk, run_id=run.pk), robust=True
        )
    return True


def _admin_url(source: PartnerSource) -> str:
    try:
        path = reverse("admin:partners_partnersource_change", args=[source.pk])
    except NoReverseMatch:  # pragma: no cover - the admin is always installed
        path = "/admin/"
    return settings.SITE_URL.rstrip("/") + path


def _mail_failures(*, source_id: int, run_id: int) -> None:
    source = PartnerSource.objects.get(pk=source_id)
    run = SyncRun.objects.get(pk=run_id)
    if not source.contact_email:
        return
    context = {
        "source": source,
        "run": run,
        "failures": source.consecutive_failures,
        "recent": source.runs.filter(status=SyncRun.Status.FAILED)[:5],
        "url": _admin_url(source),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(
            render_to_string("emails/partner_sync_failing_subject.txt", context).split()
        )
        body = render_to_string("emails/partner_sync_failing.txt", context)
    send_mail(
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [source.contact_email],
    )


def sync_runs_sweep_stale(*, now: datetime.datetime | None = None) -> list[int]:
    """Fail runs left by a dead worker: running without a heartbeat for
    PARTNER_SYNC_STALE_SECONDS, or queued for longer than that plus a run's time limit (the
    message was lost). Returns the ids of the runs failed."""
    now = now or timezone.now()
    stale = datetime.timedelta(seconds=settings.PARTNER_SYNC_STALE_SECONDS)
    queued_too_long = stale + datetime.timedelta(seconds=settings.PARTNER_SYNC_TIME_LIMIT_SECONDS)
    candidates = SyncRun.objects.annotate(
        last_sign=Coalesce("heartbeat_at", "started_at", "created_at")
    ).filter(
        Q(status=SyncRun.Status.RUNNING, last_sign__lt=now - stale)
        | Q(status=SyncRun.Status.QUEUED, last_sign__lt=now - queued_too_long)
    )
    failed: list[int] = []
    for run_id, status in candidates.values_list("pk", "status"):
        message = (
            _(
                "The run stopped reporting progress (no heartbeat for %(minutes)d minutes): "
                "its worker probably died. What it stored is kept; the next run resumes there."
            )
            if status == SyncRun.Status.RUNNING
            else _("The run waited in the queue too long (its job was probably lost).")
        ) % {"minutes": stale.total_seconds() // 60}
        if sync_run_fail(run_id=run_id, message=message):
            failed.append(run_id)
    return failed


def sources_dispatch_due(*, now: datetime.datetime | None = None) -> list[SyncRun]:
    """Queue a run of each enabled source whose schedule is due: no run since its latest slot
    and none queued or running."""
    now = now or timezone.now()
    queued: list[SyncRun] = []
    sources = PartnerSource.objects.filter(enabled=True).exclude(
        schedule=PartnerSource.Schedule.OFF
    )
    for source in sources:
        due_at = source.last_due_at(now)
        if (
            due_at is None
            or source.runs.filter(Q(created_at__gte=due_at) | Q(status__in=SyncRun.ACTIVE)).exists()
        ):
            continue
        try:
            queued.append(sync_run_request(source=source, trigger=SyncRun.Trigger.SCHEDULE))
        except ApplicationError:
            continue  # queued meanwhile by a person or another dispatcher
    return queued


# --- Conflicts ------------------------------------------------------------------------------------


@transaction.atomic
def sync_conflict_resolve(
    *, conflict: SyncConflict, keep: Literal["ours", "source"], by: User
) -> SyncConflict:
    """Staff decide an open conflict. "ours" keeps our value, and the field stays ours;
    "source" takes the source's value as the next sync would, and gives the field back to the
    source (the content hash is cleared, so the next run stores the whole record again)."""
    if not by.is_staff:
        raise ApplicationError(_("Only programme staff can resolve sync conflicts."))
    conflict = SyncConflict.objects.select_for_update().get(pk=conflict.pk)
    if conflict.resolved:
        raise ApplicationError(_("This conflict was already resolved."))
    if keep not in ("ours", "source"):
        raise ApplicationError(_("Choose to keep our value or the source's."))
    if keep == "source":
        entry = Entry.objects.select_for_update().get(pk=conflict.entry_id)
        entry.locally_edited_fields = [
            name for name in entry.locally_edited_fields if name != conflict.field
        ]
        entry.content_hash = ""
        _apply_source_value(entry, conflict.field, conflict.source_value)
        entry._history_user = by  # type: ignore[attr-defined]
        entry.save()
        log_entry_changes([entry.pk])
    conflict.resolved = True
    conflict.resolved_at = timezone.now()
    conflict.resolved_by = by
    conflict.save(update_fields=["resolved", "resolved_at", "resolved_by", "updated_at"])
    return conflict


def _apply_source_value(entry: Entry, field: str, value: object) -> None:
    """Write a conflict's source value (as `SyncConflict.source_value` holds it) to the entry;
    the entry is saved by the caller."""
    rows = value if isinstance(value, list) else []
    if field in M2M_FIELDS:
        through, column = _through(field)
        through.objects.filter(entry_id=entry.pk).delete()
        through.objects.bulk_create(through(entry_id=entry.pk, **{column: pk}) for pk in rows)
    elif field == "providers":
        EntryProvider.objects.filter(entry=entry).delete()
        EntryProvider.objects.bulk_create(
            EntryProvider(entry=entry, organization_id=org, role=role) for org, role in rows
        )
    elif field == "links":
        EntryLink.objects.filter(entry=entry).delete()
        EntryLink.objects.bulk_create(EntryLink(entry=entry, url=u, label=lb) for u, lb in rows)
    elif field == "translations":
        EntryTranslation.objects.filter(entry=entry).delete()
        EntryTranslation.objects.bulk_create(
            EntryTranslation(entry=entry, language=lang, title=t, summary=s, body=b)
            for lang, t, s, b in rows
        )
    elif field in ("starts_on", "ends_on"):
        setattr(entry, field, datetime.date.fromisoformat(value) if value else None)  # type: ignore[arg-type]
    else:
        setattr(entry, field, value if value is not None else "")

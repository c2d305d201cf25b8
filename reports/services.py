"""Writes and workflows of the reports app: requesting a run (or reusing a recent one), building
it in a worker, saved definitions and their scheduled delivery by e-mail.

The web process never builds a report: it creates a queued run and enqueues `build_report_run`
(reports/tasks.py) once the transaction commits. Without a broker (`make run`), Celery runs the
task in-process, which is the only case where the web process does the work.
"""

import dataclasses
import datetime
import logging
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import ApiKey, User
from exchange.errors import ApplicationError
from reports import selectors
from reports.models import ReportRun, SavedReport, parameters_digest
from reports.rendering.csv import report_zip
from reports.rendering.pdf import report_pdf
from reports.rendering.serialization import (
    parameters_from_dict,
    report_from_dict,
    report_to_dict,
)
from reports.rendering.xlsx import report_xlsx
from reports.report import Parameters, Report

logger = logging.getLogger(__name__)

# A run still "running" this long after it started was left by a dead worker.
STALLED_AFTER = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 300)
# A run still queued this long after it was requested lost its message: it is enqueued again.
REQUEUE_AFTER = datetime.timedelta(minutes=15)
# Larger outputs are linked from the e-mail of a saved report rather than attached.
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


class ReportUnavailable(ApplicationError):
    pass


def _enqueue(run_id: int) -> None:
    from reports.tasks import build_report_run

    transaction.on_commit(lambda: build_report_run.delay(run_id))


@transaction.atomic
def report_run_request(
    *,
    type_slug: str,
    parameters: Parameters,
    user: User | None,
    key: ApiKey | None = None,
) -> tuple[ReportRun, bool]:
    """A run of `type_slug` with `parameters` (already validated, reports/forms.py), in the scope
    of who asks, and whether it is a recent run reused rather than a new one. An officer's
    region and a partner's organization replace what they asked for."""
    report_type = selectors.report_type_get(type_slug)
    if report_type is None:
        raise ApplicationError(
            _("There is no report type “%(slug)s”.") % {"slug": type_slug},
            extra={"code": "unknown_report_type"},
        )
    scope = selectors.scope_for(
        user=user, key=key, report_type=report_type, organization_id=parameters.organization_id
    )
    parameters = dataclasses.replace(parameters, **scope.forced())
    values = parameters.as_dict()
    since = timezone.now() - datetime.timedelta(minutes=settings.REPORT_REUSE_MINUTES)
    digest = parameters_digest(type_slug=type_slug, parameters=values, scope=scope.key)
    # Two identical requests in the same instant may both create a run: harmless (both are
    # built), and cheaper than a lock on every request.
    reused = ReportRun.objects.reusable(digest=digest, since=since).first()
    if reused is not None:
        return reused, True
    run = ReportRun.objects.create(
        type_slug=type_slug,
        parameters=values,
        scope=scope.key,
        requested_by=user,
        api_key=key,
        portal_version=settings.PORTAL_VERSION,
        progress_message=_("Waiting for a worker…"),
    )
    _enqueue(run.pk)
    return run, False


def _progress(run_id: int, percent: int, message: str) -> None:
    ReportRun.objects.filter(pk=run_id, status=ReportRun.Status.RUNNING).update(
        progress=percent, progress_message=message
    )


def _fail(run_id: int, message: str) -> None:
    ReportRun.objects.filter(pk=run_id).exclude(status=ReportRun.Status.SUCCEEDED).update(
        status=ReportRun.Status.FAILED,
        error=message,
        progress_message="",
        finished_at=timezone.now(),
    )


def report_run_build(*, run_id: int) -> bool:
    """Build the report of a queued run and store every format. Claims the run with a
    conditional UPDATE, so that a second delivery of the same message does nothing (False).
    A failure is recorded on the run with a message a person can act on."""
    from reports.types import InvalidParameters

    claimed = ReportRun.objects.filter(pk=run_id, status=ReportRun.Status.QUEUED).update(
        status=ReportRun.Status.RUNNING,
        started_at=timezone.now(),
        progress=5,
        progress_message=_("Reading the data…"),
    )
    if not claimed:
        return False
    run = ReportRun.objects.get(pk=run_id)
    report_type = selectors.report_type_get(run.type_slug)
    try:
        if report_type is None:
            raise ReportUnavailable(
                _("The report type “%(slug)s” no longer exists.") % {"slug": run.type_slug}
            )
        report = report_type.build(parameters_from_dict(run.parameters))
        _progress(run_id, 50, _("Drawing the charts and tables…"))
        version = run.portal_version or settings.PORTAL_VERSION
        stored = report_to_dict(report)
        files: dict[str, tuple[str, bytes]] = {}
        _progress(run_id, 60, _("Writing the CSV files…"))
        files["csv_file"] = (f"{run.type_slug}-{run.pk}.zip", report_zip(report, version=version))
        _progress(run_id, 70, _("Writing the spreadsheet…"))
        files["xlsx_file"] = (
            f"{run.type_slug}-{run.pk}.xlsx",
            report_xlsx(report, version=version),
        )
        _progress(run_id, 80, _("Laying out the PDF…"))
        try:
            files["pdf_file"] = (
                f"{run.type_slug}-{run.pk}.pdf",
                report_pdf(report, version=version),
            )
        except OSError:  # WeasyPrint without the system's Pango (`make system-deps`)
            logger.exception("No PDF for report run %s: is Pango installed?", run_id)
        for field, (name, content) in files.items():
            getattr(run, field).save(name, ContentFile(content), save=False)
    except InvalidParameters as exc:
        _fail(
            run_id,
            _("The report cannot be built with these parameters: %(errors)s")
            % {"errors": exc.message},
        )
        return True
    except ReportUnavailable as exc:
        _fail(run_id, exc.message)
        return True
    except SoftTimeLimitExceeded:
        _fail(
            run_id,
            _("Building the report took too long. Narrow the period or the region and try again."),
        )
        return True
    except Exception:
        logger.exception("Report run %s (%s) failed", run_id, run.type_slug)
        _fail(
            run_id,
            _(
                "The report could not be built because of an error on our side; it has been "
                "logged. Try again later, or ask programme staff if it keeps failing."
            ),
        )
        return True
    ReportRun.objects.filter(pk=run_id, status=ReportRun.Status.RUNNING).update(
        status=ReportRun.Status.SUCCEEDED,
        report=stored,
        read_at=report.read_at,
        csv_file=run.csv_file.name,
        xlsx_file=run.xlsx_file.name,
        pdf_file=run.pdf_file.name,
        progress=100,
        progress_message=_("Ready."),
        finished_at=timezone.now(),
    )
    return True


def report_of(run: ReportRun) -> Report:
    if run.report is None:
        raise ReportUnavailable(_("This report is not ready yet."))
    return report_from_dict(run.report)


def report_runs_sweep(*, now: datetime.datetime | None = None) -> tuple[int, list[int]]:
    """Fail the runs a dead worker left running; return their count and the ids of queued runs
    whose message seems lost, for the caller to enqueue again."""
    now = now or timezone.now()
    stalled = ReportRun.objects.filter(
        status=ReportRun.Status.RUNNING, started_at__lt=now - STALLED_AFTER
    ).update(
        status=ReportRun.Status.FAILED,
        error=_("The worker building this report stopped before it was done. Request it again."),
        progress_message="",
        finished_at=now,
    )
    lost = list(
        ReportRun.objects.filter(
            status=ReportRun.Status.QUEUED, created_at__lt=now - REQUEUE_AFTER
        ).values_list("pk", flat=True)[:100]
    )
    return stalled, lost


# --- saved definitions -------------------------------------------------------------------------


def _clean_recipients(recipients: list[str]) -> list[str]:
    cleaned: list[str] = []
    for address in recipients:
        address = address.strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except Exception as exc:
            raise ApplicationError(
                _("“%(address)s” is not an e-mail address.") % {"address": address},
                extra={"fields": {"recipients": [_("Check the addresses.")]}},
            ) from exc
        if address not in cleaned:
            cleaned.append(address)
    if not cleaned:
        raise ApplicationError(
            _("Give at least one e-mail address."),
            extra={"fields": {"recipients": [_("Give at least one e-mail address.")]}},
        )
    if len(cleaned) > SavedReport.MAX_RECIPIENTS:
        raise ApplicationError(
            _("At most %(count)s recipients.") % {"count": SavedReport.MAX_RECIPIENTS},
            extra={"fields": {"recipients": [_("Too many addresses.")]}},
        )
    return cleaned


def _full_clean(saved: SavedReport) -> None:
    try:
        saved.full_clean()
    except ValidationError as exc:
        raise ApplicationError.from_validation_error(
            exc, prefix=_("The saved report is not valid:")
        ) from exc


@transaction.atomic
def saved_report_create(
    *,
    owner: User,
    name: str,
    type_slug: str,
    parameters: Parameters,
    schedule: str,
    recipients: list[str],
    period: str = SavedReport.RollingPeriod.FIXED,
) -> SavedReport:
    """Save a definition; with a rolling `period` (SavedReport.RollingPeriod), each delivery
    reports on that period as of its own date instead of the period in `parameters`."""
    report_type = selectors.report_type_get(type_slug)
    if report_type is None:
        raise ApplicationError(_("There is no report type “%(slug)s”.") % {"slug": type_slug})
    scope = selectors.scope_for(
        user=owner, key=None, report_type=report_type, organization_id=parameters.organization_id
    )
    parameters = dataclasses.replace(parameters, **scope.forced())
    saved = SavedReport(
        owner=owner,
        name=name.strip()[:120] or str(report_type.title),
        type_slug=type_slug,
        parameters=parameters.as_dict(),
        schedule=schedule,
        period=period,
        recipients=_clean_recipients(recipients),
        next_run_at=timezone.now(),
    )
    saved.next_run_at = saved.next_delivery_after(timezone.now())
    _full_clean(saved)
    saved.save()
    return saved


@transaction.atomic
def saved_report_update(
    *,
    saved: SavedReport,
    name: str,
    schedule: str,
    recipients: list[str],
    period: str | None = None,
) -> SavedReport:
    """Change a definition; `period` None keeps its period as it is."""
    saved.name = name.strip()[:120] or saved.name
    if schedule != saved.schedule:
        saved.schedule = schedule
        saved.next_run_at = saved.next_delivery_after(timezone.now())
    if period is not None:
        saved.period = period
    saved.recipients = _clean_recipients(recipients)
    _full_clean(saved)
    saved.save(
        update_fields=["name", "schedule", "period", "next_run_at", "recipients", "updated_at"]
    )
    return saved


def saved_report_parameters(
    saved: SavedReport, *, run_date: datetime.date | None = None
) -> Parameters:
    """The parameters of a delivery on `run_date` (default: today in the portal's time zone):
    the saved ones, with a rolling period resolved against that date."""
    parameters = parameters_from_dict(saved.parameters)
    period = saved.period_on(run_date or timezone.localdate())
    if period is None:
        return parameters
    return dataclasses.replace(parameters, period_start=period[0], period_end=period[1])


def saved_report_delete(*, saved: SavedReport) -> None:
    saved.delete()


def saved_reports_claim_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Move each due definition's next delivery forward (a conditional UPDATE, so that two
    dispatchers never claim the same one) and return the ids claimed."""
    now = now or timezone.now()
    claimed: list[int] = []
    for saved in SavedReport.objects.filter(next_run_at__lte=now, owner__is_active=True)[:500]:
        following = saved.next_delivery_after(now)
        if SavedReport.objects.filter(pk=saved.pk, next_run_at=saved.next_run_at).update(
            next_run_at=following
        ):
            claimed.append(saved.pk)
    return claimed


def saved_report_deliver(*, saved_id: int, run_date: datetime.date | None = None) -> str:
    """Build (or reuse) the run of a saved definition and e-mail it to its recipients; a
    rolling period is resolved against `run_date` (default: today). Returns "sent", "failed",
    "waiting" (another worker is building the run: try later) or "gone"."""
    saved = SavedReport.objects.select_related("owner").filter(pk=saved_id).first()
    if saved is None or not saved.owner.is_active:
        return "gone"
    try:
        run, _reused = report_run_request(
            type_slug=saved.type_slug,
            parameters=saved_report_parameters(saved, run_date=run_date),
            user=saved.owner,
        )
    except Exception as exc:  # the owner lost the right to it, or the type is gone
        message = getattr(exc, "message", "") or _("You may no longer request this report.")
        SavedReport.objects.filter(pk=saved.pk).update(last_error=message)
        return "failed"
    if run.status == ReportRun.Status.QUEUED:
        report_run_build(run_id=run.pk)  # in this worker; the enqueued task then finds it done
    run.refresh_from_db()
    if not run.is_finished:
        return "waiting"
    _send_saved_report(saved, run)
    SavedReport.objects.filter(pk=saved.pk).update(
        last_run=run,
        last_sent_at=timezone.now(),
        last_error=run.error if run.status == ReportRun.Status.FAILED else "",
    )
    return "sent" if run.status == ReportRun.Status.SUCCEEDED else "failed"


def _send_saved_report(saved: SavedReport, run: ReportRun) -> None:
    language = saved.owner.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context: dict[str, Any] = {
            "saved": saved,
            "run": run,
            "run_url": settings.SITE_URL.rstrip("/") + reverse("reports:run", args=[run.pk]),
            "report": report_of(run) if run.status == ReportRun.Status.SUCCEEDED else None,
        }
        subject = _("Report: %(name)s") % {"name": saved.name}
        body = render_to_string("reports/emails/saved_report.txt", context)
    message = EmailMessage(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[saved.owner.email],
        bcc=[address for address in saved.recipients if address != saved.owner.email],
    )
    if run.status == ReportRun.Status.SUCCEEDED:
        for field, content_type in (
            (run.pdf_file, "application/pdf"),
            (run.xlsx_file, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ):
            if field and field.size <= MAX_ATTACHMENT_BYTES:
                with field.open("rb") as handle:
                    message.attach(str(field.name).rsplit("/", 1)[-1], handle.read(), content_type)
    message.send()

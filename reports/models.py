"""Report runs (one request of one report, built in the background) and saved definitions.

A run is what a person or an API client asked for: a report type, its parameters and the
*scope* it was asked in ("staff", "office:africa", "organization:12"), which says who may see
it (accounts/permissions.py, "Reports") and which earlier run may be reused for it
(reports/services.py). The outputs are stored once built: the report itself as JSON (the page
is drawn again from it) and the files to download.
"""

import datetime
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def parameters_digest(*, type_slug: str, parameters: dict[str, Any], scope: str) -> str:
    """What makes two requests the same: the type, the parameters that are set, the scope."""
    canonical = json.dumps([type_slug, parameters, scope], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _output_path(run: "ReportRun", filename: str) -> str:
    return f"reports/{run.created_at:%Y/%m}/run-{run.pk}/{filename}"


class ReportRunQuerySet(models.QuerySet["ReportRun"]):
    def reusable(self, *, digest: str, since: datetime.datetime) -> "ReportRunQuerySet":
        """Runs of the same request, not failed, asked for at or after `since`."""
        return self.filter(digest=digest, created_at__gte=since).exclude(
            status=ReportRun.Status.FAILED
        )

    def unfinished(self) -> "ReportRunQuerySet":
        return self.filter(status__in=(ReportRun.Status.QUEUED, ReportRun.Status.RUNNING))


class ReportRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Ready")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", _("CSV (zip of all tables)")
        XLSX = "xlsx", _("Spreadsheet (XLSX)")
        PDF = "pdf", _("PDF")
        JSON = "json", _("JSON")

    type_slug = models.CharField(_("report type"), max_length=60)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    scope = models.CharField(_("scope"), max_length=60)
    digest = models.CharField(max_length=64, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="report_runs",
        verbose_name=_("requested by"),
    )
    # Set when an API key asked for it (the key's creator is `requested_by`).
    api_key = models.ForeignKey(
        "accounts.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    progress_message = models.CharField(_("progress message"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    # The Report as JSON (reports/rendering/serialization.py): the page is drawn from it.
    report = models.JSONField(null=True, blank=True, editable=False)
    csv_file = models.FileField(upload_to=_output_path, blank=True, max_length=200)
    xlsx_file = models.FileField(upload_to=_output_path, blank=True, max_length=200)
    pdf_file = models.FileField(upload_to=_output_path, blank=True, max_length=200)
    portal_version = models.CharField(_("portal version"), max_length=40, blank=True)
    read_at = models.DateTimeField(_("data read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ReportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # ReportRunQuerySet.reusable(): the same request within the reuse window.
            models.Index(fields=["digest", "-created_at"], name="report_run_digest_created"),
            # "My recent runs" on /reports/.
            models.Index(
                fields=["requested_by", "-created_at"], name="report_run_requester_created"
            ),
            # The sweep of runs left running by a dead worker.
            models.Index(
                fields=["started_at"],
                condition=Q(status="running"),
                name="report_run_running_started",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="report_run_progress_at_most_100"
            ),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(report__isnull=False),
                name="report_run_succeeded_has_report",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type_slug} #{self.pk} ({self.get_status_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.digest = parameters_digest(
            type_slug=self.type_slug, parameters=self.parameters, scope=self.scope
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "digest" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "digest"]
        super().save(*args, **kwargs)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    def output_file(self, output_format: str) -> models.fields.files.FieldFile | None:
        """The stored file of `output_format` ("csv", "xlsx", "pdf"), if it was built."""
        field = {"csv": self.csv_file, "xlsx": self.xlsx_file, "pdf": self.pdf_file}.get(
            output_format
        )
        return field if field else None


def _month_start(day: datetime.date, months_back: int = 0) -> datetime.date:
    """The first day of the month `months_back` months before `day`'s."""
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


class SavedReport(models.Model):
    """A report definition its owner wants built and e-mailed on a schedule. It is built with
    the owner's rights at the time (a region officer's region, a partner's organization)."""

    class Schedule(models.TextChoices):
        WEEKLY = "weekly", _("Every Monday")
        MONTHLY = "monthly", _("On the first day of each month")

    class RollingPeriod(models.TextChoices):
        """A period that moves with each delivery, resolved on its date (`period_on`). Blank:
        the fixed period saved with the parameters."""

        FIXED = "", _("The period saved with the report")
        LAST_7_DAYS = "last-7-days", _("The last 7 days")
        LAST_MONTH = "last-month", _("The last month")
        LAST_QUARTER = "last-quarter", _("The last quarter")
        LAST_12_MONTHS = "last-12-months", _("The last 12 months")
        YEAR_TO_DATE = "year-to-date", _("The year to date")

    MAX_RECIPIENTS = 20

    name = models.CharField(_("name"), max_length=120)
    type_slug = models.CharField(_("report type"), max_length=60)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    schedule = models.CharField(_("schedule"), max_length=10, choices=Schedule.choices)
    period = models.CharField(
        _("period"),
        max_length=20,
        choices=RollingPeriod.choices,
        blank=True,
        default=RollingPeriod.FIXED,
        help_text=_("Worked out on the day of each delivery, over the complete days before it."),
    )
    recipients = models.JSONField(_("recipients"), default=list)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_reports",
        verbose_name=_("owner"),
    )
    next_run_at = models.DateTimeField(_("next delivery"))
    last_run = models.ForeignKey(
        ReportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            # The hourly dispatch: definitions whose delivery is due.
            models.Index(fields=["next_run_at"], name="saved_report_next_run"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from reports.types import REPORT_TYPES

        report_type = REPORT_TYPES.get(self.type_slug)
        if self.period and report_type and "period_start" not in report_type.parameters:
            raise ValidationError(
                {"period": _("This report has no period, so it cannot have a rolling one.")}
            )

    def period_on(self, run_date: datetime.date) -> tuple[datetime.date, datetime.date] | None:
        """The first and last day of the rolling period for a delivery on `run_date`, or None
        for a fixed period. Only complete days count: "the last 7 days" and "the year to date"
        end the day before `run_date` (on 1 January, the year to date is the whole year just
        ended); "the last month", "quarter" and "12 months" are the complete calendar months
        before `run_date`'s month or quarter ("the last month" run on 2026-12-01 or on
        2026-12-15 is 2026-11-01 to 2026-11-30)."""
        last = run_date - datetime.timedelta(days=1)
        if self.period == self.RollingPeriod.LAST_7_DAYS:
            return last - datetime.timedelta(days=6), last
        if self.period == self.RollingPeriod.LAST_MONTH:
            start = _month_start(run_date, 1)
            return start, _month_start(run_date) - datetime.timedelta(days=1)
        if self.period == self.RollingPeriod.LAST_QUARTER:
            quarter_start = _month_start(run_date, (run_date.month - 1) % 3)
            return _month_start(quarter_start, 3), quarter_start - datetime.timedelta(days=1)
        if self.period == self.RollingPeriod.LAST_12_MONTHS:
            return _month_start(run_date, 12), _month_start(run_date) - datetime.timedelta(days=1)
        if self.period == self.RollingPeriod.YEAR_TO_DATE:
            return datetime.date(last.year, 1, 1), last
        return None

    def next_delivery_after(self, moment: datetime.datetime) -> datetime.datetime:
        """The next Monday (weekly) or first of a month (monthly), at 06:00 UTC, after
        `moment`."""
        moment = moment.astimezone(datetime.UTC)
        at_six = moment.replace(hour=6, minute=0, second=0, microsecond=0)
        if self.schedule == self.Schedule.WEEKLY:
            candidate = at_six + datetime.timedelta(days=(7 - at_six.weekday()) % 7)
            return candidate if candidate > moment else candidate + datetime.timedelta(days=7)
        candidate = at_six.replace(day=1)
        if candidate > moment:
            return candidate
        year, month = (
            (candidate.year + 1, 1)
            if candidate.month == 12
            else (
                candidate.year,
                candidate.month + 1,
            )
        )
        return candidate.replace(year=year, month=month)

import datetime
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# What `PartnerSource.field_mapping` may hold (validated by `PartnerSource.clean`), e.g.
# {"module": "experience", "kind": "case-study", "themes": {"41010": "climate-action"},
#  "countries": {"KOS": "SRB"}, "oai_set": "unep:reports"}. The vocabulary mappings rename the
# codes a connector gives before they are looked up; connectors may also read them.
FIELD_MAPPING_KEYS = {
    "module": str,
    "kind": str,
    "themes": dict,
    "countries": dict,
    "sdg_targets": dict,
    "oai_set": str,
}

ENV_VAR_NAME = re.compile(r"\A[A-Z][A-Z0-9_]{0,99}\Z")


class PartnerSource(models.Model):
    """A partner database the portal synchronises with (partners/sync/, partners/tasks.py)."""

    class Schedule(models.TextChoices):
        OFF = "off", _("Off (run by hand only)")
        HOURLY = "hourly", _("Every hour")
        EVERY_6_HOURS = "6h", _("Every 6 hours")
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly (Mondays)")

    # The length of each schedule's period; runs are due from the period's start plus the
    # source's offset (UTC).
    SCHEDULE_PERIODS: dict[str, datetime.timedelta] = {
        Schedule.HOURLY: datetime.timedelta(hours=1),
        Schedule.EVERY_6_HOURS: datetime.timedelta(hours=6),
        Schedule.DAILY: datetime.timedelta(days=1),
        Schedule.WEEKLY: datetime.timedelta(days=7),
    }

    class Connector(models.TextChoices):
        IATI = "iati", _("IATI activity XML")
        OAI_PMH = "oai-pmh", _("OAI-PMH 2.0")
        CKAN = "ckan", _("CKAN action API")
        EXCHANGE = "exchange", _("Another South-South Exchange portal")
        SPREADSHEET = "spreadsheet", _("CSV/XLSX upload")
        DEMO = "demo", _("Demo content shipped with the portal")

    name = models.CharField(max_length=200, unique=True)
    organization = models.ForeignKey(
        "catalog.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partner_sources",
    )
    connector = models.CharField(max_length=20, choices=Connector.choices)
    endpoint = models.URLField(max_length=500, blank=True)
    # Credentials are never stored here: only the name of the environment variable of the
    # workers that holds them (an API key, "user:password").
    credentials_env = models.CharField(
        _("credentials variable"),
        max_length=100,
        blank=True,
        validators=[
            RegexValidator(
                ENV_VAR_NAME,
                _(
                    "Give the name of an environment variable (capital letters, digits and "
                    "underscores, starting with a letter), not the credentials themselves."
                ),
            )
        ],
        help_text=_("The name of the workers' environment variable that holds the credentials."),
    )
    schedule = models.CharField(
        _("schedule"), max_length=10, choices=Schedule.choices, default=Schedule.DAILY
    )
    schedule_offset_minutes = models.PositiveIntegerField(
        _("minutes after the start of each period"),
        default=0,
        help_text=_(
            "E.g. 150 with a daily schedule runs at 02:30 UTC; with an hourly one, it is taken "
            "modulo 60."
        ),
    )
    field_mapping = models.JSONField(
        _("field mapping"),
        default=dict,
        blank=True,
        help_text=_(
            'Optional: {"module": "experience", "kind": "case-study", "themes": {"source code": '
            '"theme code"}, "countries": {"source code": "ISO3"}, "sdg_targets": {...}, '
            '"oai_set": "set spec"}.'
        ),
    )
    publish_directly = models.BooleanField(
        _("publish new entries directly"),
        default=False,
        help_text=_("Otherwise new entries from this source wait for moderation."),
    )
    contact_email = models.EmailField(
        _("contact for failures"),
        blank=True,
        help_text=_("Told by e-mail when runs fail repeatedly."),
    )
    enabled = models.BooleanField(default=True)
    # Where the next run resumes: the checkpoint stored with the last committed page.
    checkpoint = models.JSONField(default=dict, blank=True, editable=False)
    # When the current full pass over the feed (a run started from an empty checkpoint, and the
    # runs resuming it) began: a pass that completes archives the entries it did not see.
    pass_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = field_mapping_errors(self.field_mapping)
        if errors:
            raise ValidationError({"field_mapping": errors})

    def last_due_at(self, now: datetime.datetime) -> datetime.datetime | None:
        """The latest moment at or before `now` when a scheduled run was due; None when the
        schedule is off."""
        period = self.SCHEDULE_PERIODS.get(self.schedule)
        if period is None:
            return None
        # Periods counted from Monday 1 January 2024, 00:00 UTC.
        epoch = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
        offset = datetime.timedelta(minutes=self.schedule_offset_minutes) % period
        slots = (now - epoch - offset) // period
        return epoch + offset + slots * period


def field_mapping_errors(mapping: Any) -> list[str]:
    """What is wrong with a source's field mapping, as messages for the admin form."""
    from catalog.models import Entry
    from catalog.models.entries import KINDS_BY_MODULE

    if not isinstance(mapping, dict):
        return [str(_("The field mapping must be a JSON object."))]
    errors: list[str] = []
    unknown = sorted(set(mapping) - set(FIELD_MAPPING_KEYS))
    if unknown:
        errors.append(
            str(_("Unknown keys: %(keys)s. Allowed: %(allowed)s."))
            % {"keys": ", ".join(unknown), "allowed": ", ".join(sorted(FIELD_MAPPING_KEYS))}
        )
    for key, kind in FIELD_MAPPING_KEYS.items():
        if key not in mapping:
            continue
        value = mapping[key]
        if not isinstance(value, kind):
            errors.append(
                str(_("“%(key)s” must be %(what)s."))
                % {"key": key, "what": _("an object") if kind is dict else _("a text")}
            )
        elif kind is dict and not all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in value.items()
        ):
            errors.append(
                str(_("“%(key)s” must map source codes to portal codes, both texts."))
                % {"key": key}
            )
    module = mapping.get("module")
    if isinstance(module, str) and module not in Entry.Module.values:
        errors.append(str(_("There is no module “%(module)s”.")) % {"module": module})
    kind_value = mapping.get("kind")
    if isinstance(kind_value, str):
        if kind_value not in Entry.Kind.values:
            errors.append(str(_("There is no kind “%(kind)s”.")) % {"kind": kind_value})
        elif isinstance(module, str) and module in KINDS_BY_MODULE:
            if kind_value not in KINDS_BY_MODULE[module]:
                errors.append(
                    str(_("The kind “%(kind)s” does not belong to the module “%(module)s”."))
                    % {"kind": kind_value, "module": module}
                )
    return errors


class SyncRun(models.Model):
    """One run of one source's connector (partners/tasks.py); its counts and errors are what
    staff see on the source's health page and in the sync-health report."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        MANUAL = "manual", _("Run now")
        API = "api", _("API")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    source = models.ForeignKey(PartnerSource, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.MANUAL)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written with each committed page: a run whose heartbeat stops was left by a dead worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    archived = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # Pages committed, and retries after retryable feed errors (with the last one's message in
    # `error` while the run waits, queued, for the next attempt).
    pages = models.PositiveIntegerField(default=0)
    retries = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["source", "-created_at"], name="sync_run_source_recent")]
        constraints = [
            # The lock that keeps two runs of one source from overlapping, on PostgreSQL and
            # SQLite alike: a second queued or running run cannot be inserted.
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(status__in=["queued", "running"]),
                name="sync_run_one_active_per_source",
                violation_error_message=_("This source already has a run queued or running."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} · {self.created_at:%Y-%m-%d %H:%M} · {self.get_status_display()}"


class SyncRecordError(models.Model):
    """A record a run skipped, and why."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="record_errors")
    external_id = models.CharField(max_length=255, blank=True)
    message = models.TextField()
    # A warning: the record was stored, but part of it was left out (a provider without a
    # country that matches no organization).
    is_warning = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.external_id or '?'}: {self.message[:80]}"


class SyncConflict(models.Model):
    """A field a person changed here that the source changed too: the sync kept our value and
    records the source's, for staff to decide (`partners.services.sync_conflict_resolve`).
    One open conflict per entry and field, holding the source's latest value."""

    entry = models.ForeignKey("catalog.Entry", on_delete=models.CASCADE, related_name="conflicts")
    field = models.CharField(max_length=50)
    our_value = models.JSONField(null=True)
    source_value = models.JSONField(null=True)
    run = models.ForeignKey(SyncRun, on_delete=models.SET_NULL, null=True, related_name="conflicts")
    resolved = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            # The sync upserts the open conflict of (entry, field).
            models.UniqueConstraint(
                fields=["entry", "field"],
                condition=Q(resolved=False),
                name="sync_conflict_one_open_per_field",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} · {self.field}"


class OrganizationAlias(models.Model):
    """Another name, acronym or website by which an organization is known: one of an
    organization merged into it (`partners.dedup.organization_merge`), or one staff added. The
    de-duplication lookup (`partners.dedup.find_organization_ids`) resolves a record that uses
    it to the organization, so a source that still spells the old name does not bring the
    duplicate back."""

    class Kind(models.TextChoices):
        NAME = "name", _("Name")
        ACRONYM = "acronym", _("Acronym")
        WEBSITE = "website", _("Website")

    class Origin(models.TextChoices):
        MERGE = "merge", _("Merge")
        MANUAL = "manual", _("Added by staff")

    organization = models.ForeignKey(
        "catalog.Organization", on_delete=models.CASCADE, related_name="aliases"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NAME)
    # The key de-duplication compares (partners.dedup: name_key, acronym_key, website_host).
    normalized = models.CharField(_("normalised"), max_length=255, editable=False)
    spelling = models.CharField(_("spelling"), max_length=255, help_text=_("As sources write it."))
    # Where the organization that used it is (for a merge: the one merged away). A record that
    # gives another country than this and the organization's own does not match; blank: any.
    country = models.ForeignKey(
        "catalog.Country", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "normalized"]
        verbose_name_plural = _("organization aliases")
        constraints = [
            # One organization per key: the lookup by (kind, normalised key) finds at most one.
            models.UniqueConstraint(
                fields=["kind", "normalized"],
                name="organization_alias_unique_key",
                violation_error_message=_("Another organization already has this alias."),
            )
        ]

    def __str__(self) -> str:
        return self.spelling

    def clean(self) -> None:
        from partners.dedup import alias_key

        self.normalized = alias_key(self.kind, self.spelling)
        if not self.normalized:
            raise ValidationError(
                {"spelling": _("This says nothing that could identify an organization.")}
            )
        taken = (
            OrganizationAlias.objects.filter(kind=self.kind, normalized=self.normalized)
            .exclude(pk=self.pk)
            .select_related("organization")
            .first()
        )
        if taken is not None:
            raise ValidationError(
                {
                    "spelling": _("“%(alias)s” is already an alias of %(organization)s.")
                    % {"alias": taken.spelling, "organization": taken.organization}
                }
            )

from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerSource(models.Model):
    """A partner database the portal synchronises with (connectors come with partner sync)."""

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
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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

    source = models.ForeignKey(PartnerSource, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.MANUAL)
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
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["source", "-created_at"], name="sync_run_source_recent")]

    def __str__(self) -> str:
        return f"{self.source} · {self.created_at:%Y-%m-%d %H:%M} · {self.get_status_display()}"


class SyncRecordError(models.Model):
    """A record a run skipped, and why."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="record_errors")
    external_id = models.CharField(max_length=255, blank=True)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.external_id or '?'}: {self.message[:80]}"

"""Partner sources in the admin: staff add and edit them, and run one now; runs are read-only,
with their counts and the records they skipped."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import staff_user
from catalog.models import Organization
from exchange.errors import ApplicationError
from partners.models import OrganizationAlias, PartnerSource, SyncRecordError, SyncRun
from partners.services import sync_run_request

# Record errors shown inline on a run: the run's page lists them too.
INLINE_ERRORS = 200


def request_run(request: HttpRequest, source: PartnerSource) -> SyncRun | None:
    """Queue a manual run of `source` (partners/services.py), telling the admin user why not
    when it cannot be queued."""
    try:
        return sync_run_request(
            source=source, trigger=SyncRun.Trigger.MANUAL, by=staff_user(request)
        )
    except ApplicationError as exc:
        messages.error(request, f"{source}: {exc.message}")
        return None


@admin.register(PartnerSource)
class PartnerSourceAdmin(admin.ModelAdmin[PartnerSource]):
    list_display = [
        "name",
        "connector",
        "enabled",
        "schedule",
        "organization",
        "last_run",
        "last_success_at",
        "health_link",
    ]
    list_select_related = ["organization"]
    list_filter = ["connector", "enabled", "schedule"]
    search_fields = ["name", "endpoint"]
    autocomplete_fields = ["organization"]
    # The credentials are never stored: only the name of the environment variable that holds
    # them on the workers, which is all this form shows and takes.
    fieldsets = [
        (None, {"fields": ["name", "organization", "connector", "endpoint", "credentials_env"]}),
        (
            _("Schedule and import"),
            {
                "fields": [
                    "enabled",
                    ("schedule", "schedule_offset_minutes"),
                    "field_mapping",
                    "publish_directly",
                    "contact_email",
                ]
            },
        ),
        (
            _("State"),
            {"fields": ["last_success_at", "consecutive_failures", "created_at", "updated_at"]},
        ),
    ]
    readonly_fields = ["last_success_at", "consecutive_failures", "created_at", "updated_at"]
    actions = ["run_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PartnerSource]:
        latest = SyncRun.objects.filter(source=OuterRef("pk")).order_by("-created_at", "-pk")
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_run_id=Subquery(latest.values("pk")[:1]),
                last_run_status=Subquery(latest.values("status")[:1]),
            )
        )

    @admin.display(description=_("last run"), ordering="last_run_status")
    def last_run(self, obj: PartnerSource) -> str:
        run_id = getattr(obj, "last_run_id", None)
        if run_id is None:
            return "—"
        status = SyncRun.Status(obj.last_run_status).label  # type: ignore[attr-defined]
        return format_html(
            '<a href="{}">{}</a>', reverse("partners:run_detail", args=[run_id]), status
        )

    @admin.display(description=_("health"))
    def health_link(self, obj: PartnerSource) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("partners:source_detail", args=[obj.pk]),
            _("Runs and errors"),
        )

    @admin.action(
        description=_("Run now"),
        description_plural=_("Run the selected sources now"),
        permissions=["change"],
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def run_now(
        self, request: HttpRequest, queryset: QuerySet[PartnerSource]
    ) -> HttpResponse | None:
        runs = [run for source in queryset.order_by("pk") if (run := request_run(request, source))]
        if len(runs) == 1:
            # One source (the change form's button): follow its run.
            return HttpResponseRedirect(reverse("partners:run_detail", args=[runs[0].pk]))
        if runs:
            self.message_user(
                request,
                _("Queued %(count)d runs; their progress is on the partner sources page.")
                % {"count": len(runs)},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("partners:source_list"))
        return None


class SyncRecordErrorInline(admin.TabularInline[SyncRecordError, SyncRun]):
    model = SyncRecordError
    extra = 0
    can_delete = False
    fields = ("external_id", "message", "is_warning", "created_at")
    readonly_fields = fields
    verbose_name_plural = _("records skipped (the first 200)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SyncRecordError]:
        # The first errors of each run: a run that skipped every record of a big feed has
        # as many rows as the feed.
        first = SyncRecordError.objects.filter(run=OuterRef("run")).order_by("pk")
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=Subquery(first.values("pk")[:INLINE_ERRORS]))
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin[SyncRun]):
    """Runs, read-only: the sync engine writes them (partners/tasks.py)."""

    inlines = [SyncRecordErrorInline]
    list_display = [
        "source",
        "status",
        "trigger",
        "created_at",
        "finished_at",
        "fetched",
        "created",
        "updated",
        "unchanged",
        "archived",
        "failed",
    ]
    list_select_related = ["source"]
    list_filter = ["status", "trigger", "source"]
    date_hierarchy = "created_at"
    fields = [
        "source",
        "progress_page",
        "status",
        "trigger",
        "requested_by",
        ("created_at", "started_at", "finished_at", "heartbeat_at"),
        ("fetched", "created", "updated", "unchanged", "archived", "failed"),
        ("pages", "retries"),
        "error",
    ]
    readonly_fields = [
        "source",
        "progress_page",
        "status",
        "trigger",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "fetched",
        "created",
        "updated",
        "unchanged",
        "archived",
        "failed",
        "pages",
        "retries",
        "error",
    ]

    @admin.display(description=_("progress page"))
    def progress_page(self, obj: SyncRun) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("partners:run_detail", args=[obj.pk]), _("Open")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrganizationAliasInline(admin.TabularInline[OrganizationAlias, Organization]):
    """On each organization's admin page (catalog/admin.py): the names, acronyms and websites
    that de-duplication resolves to it. Merges add them; staff add more or delete wrong ones."""

    model = OrganizationAlias
    fields = ["kind", "spelling", "country", "normalized", "origin", "created_at"]
    readonly_fields = ["normalized", "origin", "created_at"]
    autocomplete_fields = ["country"]
    extra = 0

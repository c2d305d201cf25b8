"""Runs are read-only in the admin (the pages and the API request them); saved definitions can
be looked at, have their schedule changed or be deleted."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reports.models import ReportRun, SavedReport


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin[ReportRun]):
    list_display = ["pk", "type_slug", "scope", "status", "progress", "requested_by", "created_at"]
    list_filter = ["status", "type_slug"]
    search_fields = ["type_slug", "scope", "requested_by__email"]
    date_hierarchy = "created_at"
    exclude = ["report"]
    list_select_related = ["requested_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SavedReport)
class SavedReportAdmin(admin.ModelAdmin[SavedReport]):
    list_display = [
        "name",
        "type_slug",
        "schedule",
        "period",
        "owner",
        "next_run_at",
        "last_sent_at",
    ]
    list_filter = ["schedule", "period", "type_slug"]
    search_fields = ["name", "owner__email"]
    readonly_fields = ["type_slug", "parameters", "owner", "last_run", "last_sent_at", "last_error"]
    list_select_related = ["owner"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from notifications.models import Notification


class _DoneFilter(admin.SimpleListFilter):
    """Yes/no on whether a date field is set."""

    field: str

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str | StrPromise]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "no"})
        return queryset


class ReadFilter(_DoneFilter):
    title = _("read")
    parameter_name = "read"
    field = "read_at"


class EmailedFilter(_DoneFilter):
    title = _("e-mailed")
    parameter_name = "emailed"
    field = "emailed_at"


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    """Notifications are written by the portal's workflows: staff look them up (did the e-mail
    go out? was it read?) and may delete one sent by mistake, but never write one."""

    list_display = ("subject", "recipient", "kind", "created_at", "read_at", "emailed_at")
    list_filter = ("kind", ReadFilter, EmailedFilter)
    search_fields = ("subject", "recipient__email")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "recipient",
        "kind",
        "subject",
        "body",
        "url",
        "created_at",
        "read_at",
        "emailed_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

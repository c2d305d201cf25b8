from django.contrib import admin
from django.http import HttpRequest

from search.models import ChangeLogHorizon, EntryChange, SavedSearch


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin[SavedSearch]):
    list_display = ("name", "user", "query_string", "email_digest", "last_sent_at", "created_at")
    list_filter = ("email_digest",)
    search_fields = ("name", "user__email", "query_string")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("last_sent_at", "created_at")


class ReadOnlyAdmin[M: EntryChange | ChangeLogHorizon](admin.ModelAdmin[M]):
    """The change log belongs to the indexer: staff may look, never write."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(EntryChange)
class EntryChangeAdmin(ReadOnlyAdmin[EntryChange]):
    list_display = ("id", "entry_id", "created_at")
    search_fields = ("=entry_id",)
    show_full_result_count = False


@admin.register(ChangeLogHorizon)
class ChangeLogHorizonAdmin(ReadOnlyAdmin[ChangeLogHorizon]):
    list_display = ("pruned_through", "updated_at")

from django.contrib import admin

from partners.models import PartnerSource


@admin.register(PartnerSource)
class PartnerSourceAdmin(admin.ModelAdmin[PartnerSource]):
    list_display = ["name", "connector", "enabled", "organization", "endpoint", "updated_at"]
    list_select_related = ["organization"]
    list_filter = ["connector", "enabled"]
    search_fields = ["name", "endpoint"]
    autocomplete_fields = ["organization"]
    fields = [
        "name",
        "organization",
        "connector",
        "endpoint",
        "enabled",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["created_at", "updated_at"]

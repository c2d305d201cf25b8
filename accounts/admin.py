from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from accounts.models import AccessRequest, ErasureRequest, Invitation, Membership, User


def staff_user(request: HttpRequest) -> User:
    """The signed-in user of an admin view, typed for the services it calls."""
    user = request.user
    # The admin site lets only active staff in, so this is never an AnonymousUser.
    assert isinstance(user, User)
    return user


class MembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    extra = 0
    autocomplete_fields = ("organization",)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    inlines = (MembershipInline,)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "preferred_language")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            "Portal",
            {"fields": ("preferred_language", "notification_mode", "regional_office")},
        ),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),
    )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "user__last_name", "organization__name")
    autocomplete_fields = ("user", "organization")
    list_select_related = ("user", "organization")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = (
        "email",
        "role",
        "organization",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
    )
    list_filter = ("role",)
    search_fields = ("email", "organization__name")
    list_select_related = ("organization", "invited_by")
    # Invitations are made on the portal's pages, which e-mail them; here they are only read.
    readonly_fields = (
        "email",
        "organization",
        "role",
        "regional_office",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "cancelled_at",
        "language",
    )
    exclude = ("key",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin[AccessRequest]):
    list_display = ("name", "email", "role", "organization", "status", "created_at")
    list_filter = ("status", "role")
    search_fields = ("name", "email", "organization_name", "organization__name")
    list_select_related = ("organization",)
    readonly_fields = ("status", "decided_by", "decided_at", "invitation", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin[ErasureRequest]):
    list_display = ("email", "created_at", "confirmed_at", "erased_at")
    search_fields = ("email",)
    readonly_fields = ("email", "created_at", "confirmed_at", "erased_at", "erased_by")
    exclude = ("key",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from accounts.models import User


def staff_user(request: HttpRequest) -> User:
    """The signed-in user of an admin view, typed for the services it calls."""
    user = request.user
    # The admin site lets only active staff in, so this is never an AnonymousUser.
    assert isinstance(user, User)
    return user


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "preferred_language")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Portal", {"fields": ("preferred_language",)}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),
    )

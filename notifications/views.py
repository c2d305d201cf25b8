from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from exchange.errors import ApplicationError
from notifications import selectors, services
from notifications.forms import NotificationSettingsForm
from notifications.models import Notification

PAGE_SIZE = 20


def _signed_in_user(request: HttpRequest) -> User:
    assert isinstance(request.user, User), "behind login_required"
    return request.user


def _get_notification_for_user(request: HttpRequest, pk: int) -> Notification:
    # Someone else's notification is not found, as if it did not exist.
    return get_object_or_404(selectors.notifications_of(_signed_in_user(request)), pk=pk)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = _signed_in_user(request)
    page = Paginator(selectors.notifications_of(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page_obj": page, "unread_count": selectors.notification_unread_count(user)},
    )


@login_required
@require_GET
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go where it leads: only ever a path on this site."""
    notification = services.notification_mark_read(
        notification=_get_notification_for_user(request, pk)
    )
    if notification.safe_url:
        return HttpResponseRedirect(notification.safe_url)
    if notification.url:
        messages.warning(
            request, _("This notification’s link does not lead to a page of the portal.")
        )
    return HttpResponseRedirect(reverse("notifications:inbox"))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(user=_signed_in_user(request))
    if count:
        messages.success(request, _("All your notifications are marked read."))
    return HttpResponseRedirect(reverse("notifications:inbox"))


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    user = _signed_in_user(request)
    # Bound on every POST, even an empty one, so that it says what is missing.
    form = NotificationSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={"notification_mode": user.notification_mode},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.notification_mode_update(
                    user=user, mode=form.cleaned_data["notification_mode"]
                )
            except ApplicationError as exc:
                form.add_error("notification_mode", exc.message)
            else:
                messages.success(request, _("Your e-mail preference is saved."))
                return HttpResponseRedirect(reverse("notifications:settings"))
        return render(request, "notifications/settings.html", {"form": form}, status=400)
    return render(request, "notifications/settings.html", {"form": form})

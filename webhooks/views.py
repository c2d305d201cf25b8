"""The webhooks page of an organization (/accounts/organizations/<pk>/webhooks/): its
administrators (and programme staff) register webhooks, see their recent deliveries, disable,
enable and delete them. A new webhook's secret is shown once, on the page the creation
redirects to (as for API keys, accounts/api_key_views.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from catalog.models import Organization
from exchange.errors import ApplicationError
from webhooks import selectors, services
from webhooks.forms import WebhookForm
from webhooks.models import Webhook

_NEW_SECRET_SESSION = "webhook_secret_shown_once"  # noqa: S105 - a session key


def _managed_organization(request: HttpRequest, pk: int) -> Organization:
    organization = get_object_or_404(Organization, pk=pk)
    if not request.user.has_perm("organizations.manage", organization):
        raise PermissionDenied
    return organization


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _managed_organization(request, pk)
    form = WebhookForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            assert isinstance(request.user, User)
            try:
                webhook, secret = services.webhook_create(
                    organization=organization,
                    by=request.user,
                    url=form.cleaned_data["url"],
                    event_types=form.cleaned_data["event_types"],
                    theme_codes=[theme.code for theme in form.cleaned_data["themes"]],
                    country_codes=[country.iso3 for country in form.cleaned_data["countries"]],
                    description=form.cleaned_data["description"],
                )
            except ApplicationError as error:
                fields = error.extra.get("fields", {})
                form.add_error("url" if "url" in fields else None, error.message)
            else:
                request.session[_NEW_SECRET_SESSION] = {"id": webhook.pk, "secret": secret}
                return redirect("webhooks:list", pk=organization.pk)
        status = 400
    webhooks = [
        (webhook, selectors.recent_deliveries(webhook))
        for webhook in organization.webhooks.select_related("created_by")
        .prefetch_related("themes", "countries")
        .order_by("created_at")
    ]
    return render(
        request,
        "webhooks/webhooks.html",
        {
            "organization": organization,
            "form": form,
            "webhooks": webhooks,
            "new_secret": request.session.pop(_NEW_SECRET_SESSION, None),
        },
        status=status,
    )


def _webhook(request: HttpRequest, pk: int, webhook_pk: int) -> Webhook:
    organization = _managed_organization(request, pk)
    return get_object_or_404(Webhook, pk=webhook_pk, organization=organization)


@login_required
@require_POST
def webhook_toggle(request: HttpRequest, pk: int, webhook_pk: int) -> HttpResponse:
    webhook = _webhook(request, pk, webhook_pk)
    services.webhook_update(webhook=webhook, changes={"is_active": not webhook.is_active})
    messages.success(
        request,
        _("The webhook is enabled.") if webhook.is_active else _("The webhook is disabled."),
    )
    return redirect("webhooks:list", pk=pk)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int, webhook_pk: int) -> HttpResponse:
    webhook = _webhook(request, pk, webhook_pk)
    services.webhook_delete(webhook=webhook)
    messages.success(request, _("The webhook is deleted."))
    return redirect("webhooks:list", pk=pk)

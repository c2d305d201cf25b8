"""The API keys page of an organization (/accounts/organizations/<pk>/api-keys/): its
administrators (and programme staff) create keys, see them listed and revoke them. A new key is
shown once, on the page the creation redirects to, and never again."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import api_keys
from accounts.models import ApiKey, User
from catalog.models import Organization
from exchange.errors import ApplicationError

_NEW_KEY_SESSION = "api_key_shown_once"


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the key is for, e.g. “Sync with our project database”."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("What the key may do"),
        choices=ApiKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiKey.Scope.READ],
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        required=False,
        help_text=gettext_lazy("At most a year from today; empty for a year."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def _signed_in(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # behind login_required
    return request.user


def _managed_organization(request: HttpRequest, pk: int) -> Organization:
    organization = get_object_or_404(Organization, pk=pk)
    if not request.user.has_perm("organizations.manage", organization):
        raise PermissionDenied
    return organization


@login_required
@require_http_methods(["GET", "POST"])
def api_key_list(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _managed_organization(request, pk)
    form = ApiKeyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            expires_on: datetime.date | None = form.cleaned_data["expires_on"]
            expires_at = (
                datetime.datetime.combine(expires_on, datetime.time(23, 59), tzinfo=datetime.UTC)
                if expires_on
                else None
            )
            try:
                key, secret = api_keys.api_key_create(
                    organization=organization,
                    by=_signed_in(request),
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=expires_at,
                )
            except ApplicationError as error:
                fields = error.extra.get("fields", {})
                form.add_error(
                    "expires_on" if "expires_at" in fields else "name" if fields else None,
                    error.message,
                )
            else:
                request.session[_NEW_KEY_SESSION] = {"id": key.pk, "secret": secret}
                return redirect("accounts:api_key_list", pk=organization.pk)
        status = 400
    shown = request.session.pop(_NEW_KEY_SESSION, None)
    keys = organization.api_keys.select_related("created_by", "revoked_by")
    return render(
        request,
        "accounts/api_keys.html",
        {
            "organization": organization,
            "form": form,
            "keys": keys,
            "new_key": shown,
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
@require_POST
def api_key_revoke(request: HttpRequest, pk: int, key_pk: int) -> HttpResponse:
    organization = _managed_organization(request, pk)
    key = get_object_or_404(ApiKey, pk=key_pk, organization=organization)
    api_keys.api_key_revoke(key=key, by=_signed_in(request))
    messages.success(request, _("The key “%(name)s” is revoked.") % {"name": key.name})
    return redirect("accounts:api_key_list", pk=organization.pk)

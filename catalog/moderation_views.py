"""Programme staff moderate contributions: the queue, and the review page of an entry where they
publish it or return it with comments, and see its history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import selectors, services
from catalog.contribute_forms import PublishForm, ReturnForm
from catalog.models import Entry
from catalog.pages import PAGE_BY_MODULE
from exchange.errors import ApplicationError


def _require_moderator(request: HttpRequest) -> None:
    if not request.user.has_perm("entries.moderate"):
        raise PermissionDenied(_("Only programme staff moderate entries."))


def _entry_or_404(pk: int) -> Entry:
    entry = selectors.entry_for_review(pk=pk)
    if entry is None:
        raise Http404(_("No entry with this number."))
    return entry


def _needs_screening_url() -> str:
    """The screening list of submitted needs, when the needs pages provide one."""
    try:
        return reverse("matching:screening_list")
    except NoReverseMatch:
        return ""


@login_required
def moderation_queue(request: HttpRequest) -> HttpResponse:
    _require_moderator(request)
    return render(
        request,
        "catalog/moderation_queue.html",
        {
            "counts": selectors.moderation_counts(),
            "entries": selectors.moderation_queue()[:200],
            "needs_url": _needs_screening_url(),
        },
    )


def _review_page(
    request: HttpRequest,
    entry: Entry,
    *,
    publish_form: PublishForm | None = None,
    return_form: ReturnForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "catalog/moderation_review.html",
        {
            "entry": entry,
            "module_page": PAGE_BY_MODULE[entry.module],
            "publish_form": publish_form or PublishForm(),
            "return_form": return_form or ReturnForm(),
            "reviews": selectors.entry_reviews(entry=entry),
            "history": selectors.entry_history(entry=entry)
            if request.user.has_perm("entries.view_history", entry)
            else None,
        },
        status=status,
    )


@login_required
def moderation_review(request: HttpRequest, pk: int) -> HttpResponse:
    _require_moderator(request)
    return _review_page(request, _entry_or_404(pk))


@login_required
@require_POST
def moderation_publish(request: HttpRequest, pk: int) -> HttpResponse:
    _require_moderator(request)
    entry = _entry_or_404(pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _review_page(request, entry, publish_form=form, status=400)
    try:
        services.entry_publish(
            entry=entry,
            by=request.user,  # type: ignore[arg-type]
            comment=form.cleaned_data["comment"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("catalog:moderation_review", pk=entry.pk)
    messages.success(request, _("“%(title)s” is published.") % {"title": entry.title})
    return redirect("catalog:moderation_queue")


@login_required
@require_POST
def moderation_return(request: HttpRequest, pk: int) -> HttpResponse:
    _require_moderator(request)
    entry = _entry_or_404(pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _review_page(request, entry, return_form=form, status=400)
    try:
        services.entry_return(
            entry=entry,
            by=request.user,  # type: ignore[arg-type]
            comment=form.cleaned_data["comment"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("catalog:moderation_review", pk=entry.pk)
    messages.success(
        request, _("“%(title)s” is returned to its contributors.") % {"title": entry.title}
    )
    return redirect("catalog:moderation_queue")

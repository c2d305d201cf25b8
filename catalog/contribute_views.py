"""Partners contribute entries for their organizations: "My entries", the module forms, submit
for moderation and reconfirm. Who may open which entry is decided in one place,
`selectors.entries_editable_by`: another organization's entry is a 404."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import organizations_of
from catalog import selectors, services
from catalog.contribute_forms import (
    EntryContributionForm,
    NewEntryForm,
    link_formset,
    links_of,
)
from catalog.models import Entry, EntryReview
from catalog.pages import MODULE_PAGES, PAGE_BY_MODULE
from exchange.errors import ApplicationError


def _require_contributor(request: HttpRequest) -> None:
    if not request.user.has_perm("entries.create"):
        raise PermissionDenied(_("Only members of a partner organization contribute entries."))


def _entry_or_404(request: HttpRequest, pk: int) -> Entry:
    entry = selectors.entry_for_contributor(user=request.user, pk=pk)
    if entry is None:
        raise Http404(_("None of your organizations' entries has this number."))
    return entry


def _add_errors(form: Any, error: ApplicationError) -> None:
    fields = error.extra.get("fields") or {}
    shown = False
    for field, field_messages in fields.items():
        if field in form.fields:
            for message in field_messages:
                form.add_error(field, message)
            shown = True
    if not shown:
        form.add_error(None, error.message)


@login_required
def my_entries(request: HttpRequest) -> HttpResponse:
    _require_contributor(request)
    status = request.GET.get("status", "")
    flag = request.GET.get("flag", "")
    entries = selectors.contributor_entries(user=request.user, status=status, flag=flag)
    page_obj = Paginator(entries, selectors.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/my_entries.html",
        {
            "counts": selectors.contributor_counts(user=request.user),
            "page_obj": page_obj,
            "status": status if status in Entry.Status.values else "",
            "flag": flag,
            "FLAG_TO_RECONFIRM": selectors.FLAG_TO_RECONFIRM,
            "FLAG_STALE": selectors.FLAG_STALE,
            "module_pages": MODULE_PAGES,
            "organizations": organizations_of(request.user),
        },
    )


@login_required
def entry_new(request: HttpRequest, module: str) -> HttpResponse:
    _require_contributor(request)
    organizations = organizations_of(request.user)
    if not organizations.exists():
        raise PermissionDenied(_("You are not a member of any organization."))
    form = NewEntryForm(
        request.POST or None, instance=Entry(module=module), organizations=organizations
    )
    links = link_formset(request.POST or None)
    if request.method == "POST" and form.is_valid() and links.is_valid():
        try:
            entry = services.entry_create(
                module=module,
                organization=form.cleaned_data["organization"],
                by=request.user,  # type: ignore[arg-type]
                data=form.entry_data(),
                links=links_of(links),
                submit="submit" in request.POST,
                creation_key=form.cleaned_data["creation_key"],
            )
        except ApplicationError as exc:
            _add_errors(form, exc)
        else:
            if entry.status == Entry.Status.SUBMITTED:
                messages.success(request, _("Your entry is submitted for moderation."))
            else:
                messages.success(request, _("Your entry is saved as a draft."))
            return redirect("catalog:contribute_edit", pk=entry.pk)
    return render(
        request,
        "catalog/entry_form.html",
        {"form": form, "links": links, "module_page": PAGE_BY_MODULE[module], "entry": None},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_or_404(request, pk)
    form = EntryContributionForm(request.POST or None, instance=entry)
    links = link_formset(request.POST or None, entry=entry)
    if request.method == "POST" and form.is_valid() and links.is_valid():
        try:
            entry = services.entry_update(
                entry=entry,
                by=request.user,  # type: ignore[arg-type]
                data=form.entry_data(),
                links=links_of(links),
                submit="submit" in request.POST,
            )
        except ApplicationError as exc:
            _add_errors(form, exc)
        else:
            if entry.status == Entry.Status.SUBMITTED and "submit" in request.POST:
                messages.success(request, _("Your entry is submitted for moderation."))
            elif entry.status == Entry.Status.PUBLISHED:
                messages.success(request, _("Your changes are saved and online."))
            else:
                messages.success(request, _("Your changes are saved."))
            return redirect("catalog:contribute_edit", pk=entry.pk)
    if request.method == "POST":
        entry.refresh_from_db()  # the status panel shows what is saved, not what was posted
    review = selectors.latest_review(entry=entry)
    return render(
        request,
        "catalog/entry_form.html",
        {
            "form": form,
            "links": links,
            "module_page": PAGE_BY_MODULE[entry.module],
            "entry": entry,
            "returned_review": review
            if review is not None
            and review.decision == EntryReview.Decision.RETURNED
            and entry.status == Entry.Status.DRAFT
            else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def entry_submit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_or_404(request, pk)
    if entry.status == Entry.Status.SUBMITTED:
        # A second click on the button: the first one did it.
        messages.info(request, _("This entry is already waiting for moderation."))
        return redirect("catalog:contribute_edit", pk=entry.pk)
    if not request.user.has_perm("entries.submit", entry):
        raise PermissionDenied(_("Only a draft can be submitted."))
    try:
        services.entry_submit(entry=entry, by=request.user)  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your entry is submitted for moderation."))
    return redirect("catalog:contribute_edit", pk=entry.pk)


@login_required
@require_POST
def entry_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_or_404(request, pk)
    if not request.user.has_perm("entries.edit", entry):
        raise PermissionDenied
    try:
        services.entry_confirm(entry=entry, by=request.user)  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Thank you: “%(title)s” is confirmed as up to date.") % {"title": entry.title},
        )
    return redirect("catalog:my_entries")

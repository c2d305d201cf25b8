from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from exchange.errors import ApplicationError
from search import engine, export, pages, selectors, services
from search.forms import SORT_CHOICES, SavedSearchForm, SearchForm, SearchState
from search.models import SavedSearch
from search.store import IndexUnavailable


def _wants_partial(request: HttpRequest) -> bool:
    # A history restore after a cache miss must get the whole page, HX-Request or not.
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    state = form.state()
    context: dict[str, Any] = {
        "state": state,
        "sort_choices": SORT_CHOICES,
        "notices": form.notices,
        "query_string": state.query_string(),
        "partial": _wants_partial(request),
    }
    status, page = 200, state.page
    try:
        found = selectors.search_page(state.request())
    except IndexUnavailable:
        context["unavailable"] = True
        status = 503
    else:
        context.update(_results_context(state, found, form.labels))
        context["notices"] = form.notices + found.result.notices + found.notices
        page = found.result.page
    template = "includes/_search_results.html" if context["partial"] else "search/search.html"
    response = render(request, template, context, status=status)
    if status == 503:
        response["Retry-After"] = "60"
    if context["partial"]:
        # htmx pushes this URL rather than the form's raw one (which carries empty dates and
        # the default sort): the address bar shows the search as the page understood it.
        response["HX-Push-Url"] = pages.search_url(state, page=page)
    # The same URL answers a page or a fragment: caches (and the back button) must keep both.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _results_context(
    state: SearchState, found: selectors.SearchPage, labels: dict[str, dict[str, str]]
) -> dict[str, Any]:
    result = found.result
    suggestion = result.suggestion
    return {
        "rows": found.rows,
        "total": result.total,
        "page_number": result.page,
        "page_count": result.page_count,
        "previous_url": pages.search_url(state, page=result.page - 1) if result.page > 1 else None,
        "next_url": pages.search_url(state, page=result.page + 1)
        if result.page < min(result.page_count, selectors.MAX_PAGE)
        else None,
        "facet_groups": pages.facet_groups(state, result.facets, labels),
        "active_filters": pages.active_filters(state, labels),
        "without_text_url": pages.search_url(state, text="") if state.text else None,
        "suggestion": suggestion,
        "suggestion_url": pages.search_url(state, text=suggestion) if suggestion else None,
        "export_url": reverse("search:export") + (f"?{q}" if (q := state.query_string()) else ""),
    }


@require_GET
def export_csv(request: HttpRequest) -> HttpResponseBase:
    """The result set of the search in the query string, up to export.MAX_ROWS rows, as CSV."""
    search_request = (
        SearchForm(request.GET).state().request(page_size=export.BATCH, page=1, facets=())
    )
    try:
        first = engine.search(search_request)
    except IndexUnavailable:
        context = {"unavailable": True, "state": SearchState(), "notices": []}
        return render(request, "search/search.html", context, status=503)
    response = StreamingHttpResponse(
        export.csv_lines(first, search_request, absolute_url=request.build_absolute_uri),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="south-south-exchange-search.csv"'
    return response


# Saved searches


def _signed_in_user(request: HttpRequest) -> User:
    assert isinstance(request.user, User), "behind login_required"
    return request.user


def _get_saved_search_for_user(request: HttpRequest, pk: int) -> SavedSearch:
    return get_object_or_404(SavedSearch, pk=pk, user=_signed_in_user(request))


@login_required
@require_http_methods(["GET", "POST"])
def saved_list(request: HttpRequest) -> HttpResponse:
    """The user's saved searches; a POST saves the search in `query_string` under a name."""
    user = _signed_in_user(request)
    form = SavedSearchForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.saved_search_create(
                    user=user,
                    name=form.cleaned_data["name"],
                    query_string=form.cleaned_data["query_string"],
                    email_digest=form.cleaned_data["email_digest"],
                )
            except ApplicationError as exc:
                form.add_error("name", exc.message)
            else:
                messages.success(
                    request,
                    _("The search “%(name)s” is saved.") % {"name": form.cleaned_data["name"]},
                )
                return HttpResponseRedirect(reverse("search:saved_list"))
        status = 400
    saved_searches = SavedSearch.objects.filter(user=user).order_by("name")
    return render(
        request,
        "search/saved_list.html",
        {"form": form, "saved_searches": saved_searches},
        status=status,
    )


@login_required
@require_POST
def saved_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved_search = _get_saved_search_for_user(request, pk)
    services.saved_search_delete(saved_search=saved_search)
    messages.success(request, _("The search “%(name)s” is deleted.") % {"name": saved_search.name})
    return HttpResponseRedirect(reverse("search:saved_list"))

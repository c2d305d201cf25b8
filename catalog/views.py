from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from catalog import selectors, structured_data
from catalog.forms import EntryFilterForm, OrganizationFilterForm
from catalog.pages import PAGE_BY_MODULE
from search import selectors as search_selectors


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/home.html", {"counts": selectors.home_counts()})


def entry_list(request: HttpRequest, module: str) -> HttpResponse:
    form = EntryFilterForm(request.GET)
    filters = form.filters()
    entries = selectors.entries_for_list(module=module, **filters)
    page_obj = Paginator(entries, selectors.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/entry_list.html",
        {
            "module_page": PAGE_BY_MODULE[module],
            "form": form,
            "is_filtered": bool(filters),
            "page_obj": page_obj,
        },
    )


def entry_detail(request: HttpRequest, module: str, pk: int) -> HttpResponse:
    entry = selectors.entry_get(module=module, pk=pk)
    if entry is None:
        raise Http404(_("No published entry with this number in this module."))
    return render(
        request,
        "catalog/entry_detail.html",
        {
            "module_page": PAGE_BY_MODULE[module],
            "entry": entry,
            "similar_entries": search_selectors.similar_entries(entry=entry),
            "provider_entries": selectors.entries_of_same_providers(entry=entry),
            "json_ld": structured_data.json_ld_script(
                structured_data.entry_json_ld(entry, request)
            ),
        },
    )


def organization_list(request: HttpRequest) -> HttpResponse:
    form = OrganizationFilterForm(request.GET)
    filters = form.filters()
    organizations = selectors.organizations_for_list(**filters)
    page_obj = Paginator(organizations, selectors.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/organization_list.html",
        {"form": form, "is_filtered": bool(filters), "page_obj": page_obj},
    )


def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = selectors.organization_get(pk=pk)
    if organization is None:
        raise Http404(_("No organization with this number."))
    entries = selectors.entries_for_organization(organization=organization)
    page_obj = Paginator(entries, selectors.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/organization_detail.html",
        {
            "organization": organization,
            "page_obj": page_obj,
            "networks": selectors.networks_of_organization(organization=organization),
            "json_ld": structured_data.json_ld_script(
                structured_data.organization_json_ld(organization, request)
            ),
        },
    )

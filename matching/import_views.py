"""Bulk registration of needs: template, upload, preview, confirmation, status.

The work is done by matching/imports.py; these views check who asks, call it and render. The
confirmation only queues the import (matching/tasks.py); the status page follows it.
Everything here is for those who may create needs (officers and programme staff).
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from catalog.models import RegionalOffice
from exchange.spreadsheets import spreadsheet_download
from matching import imports
from matching.models import Need

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class NeedsImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.xlsx or .csv)"),
        allow_empty_file=True,  # refused by parse_needs_file, with the file's name
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,.csv,{XLSX_TYPE},text/csv"}),
    )
    regional_office = forms.ModelChoiceField(
        queryset=RegionalOffice.objects.all(),
        label=gettext_lazy("For the regional office"),
        help_text=gettext_lazy("Every need of the file is registered for this office."),
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Officers import for their own office; only staff choose.
        if not user.is_staff:
            del self.fields["regional_office"]
        elif user.regional_office_id is not None:
            self.fields["regional_office"].initial = user.regional_office_id


def _importer(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.has_perm("needs.create"):
        raise PermissionDenied(
            _("Only regional office officers and programme staff can import needs.")
        )
    return user


def _upload_for(request: HttpRequest, token: str) -> tuple[User, imports.StoredUpload]:
    user = _importer(request)
    upload = imports.upload_load(token, by=user)
    if upload is None:
        raise Http404(_("No import with this address: it expired or it is not yours."))
    return user, upload


@login_required
@require_GET
def template_csv(request: HttpRequest) -> HttpResponse:
    _importer(request)
    return spreadsheet_download(
        imports.template_csv(),
        filename="needs-import-template.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
@require_GET
def template_xlsx(request: HttpRequest) -> HttpResponse:
    user = _importer(request)
    office = None if user.is_staff else user.regional_office
    return spreadsheet_download(
        imports.template_xlsx(office=office),
        filename="needs-import-template.xlsx",
        content_type=XLSX_TYPE,
    )


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    user = _importer(request)
    bound = request.method == "POST"
    form = NeedsImportForm(
        request.POST if bound else None, request.FILES if bound else None, user=user
    )
    file_error = None
    if request.method == "POST" and form.is_valid():
        office = form.cleaned_data.get("regional_office") or user.regional_office
        assert office is not None, "officers have an office; staff choose one"
        file = form.cleaned_data["file"]
        try:
            parsed = imports.parse_needs_file(file, name=file.name, size=file.size)
        except imports.ImportFileError as exc:
            file_error = exc.message
        else:
            imports.validate_needs_rows(parsed.rows, office=office)
            stored = imports.upload_store(parsed=parsed, by=user, office=office, name=file.name)
            return HttpResponseRedirect(reverse("needs_import:preview", args=[stored.token]))
    context = {
        "form": form,
        "file_error": file_error,
        "columns": imports.COLUMNS,
        "max_rows": imports.MAX_ROWS,
        "max_mb": f"{settings.NEEDS_IMPORT_MAX_BYTES / (1024 * 1024):g}",
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "matching/import_upload.html", context, status=status)


@login_required
@require_GET
def preview(request: HttpRequest, token: str) -> HttpResponse:
    user, stored = _upload_for(request, token)
    if stored.imported or stored.in_progress:
        return HttpResponseRedirect(reverse("needs_import:done", args=[token]))
    office = RegionalOffice.objects.get(pk=stored.office_id)
    return render(
        request,
        "matching/import_preview.html",
        {"upload": stored, "office": office, "valid_count": len(stored.valid_rows)},
    )


@login_required
@require_POST
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    user, stored = _upload_for(request, token)
    # Only the rows stored on the server are imported; the form says only which choice was made.
    if request.POST.get("rows") != "valid" and stored.invalid_rows:
        messages.error(request, _("Some rows have errors: fix the file or import the valid rows."))
        return HttpResponseRedirect(reverse("needs_import:preview", args=[token]))
    if not stored.valid_rows:
        messages.error(request, _("There is no valid row to import."))
        return HttpResponseRedirect(reverse("needs_import:preview", args=[token]))
    if not imports.upload_confirm(upload=stored):
        messages.info(
            request,
            _("This file has already been imported; nothing was added.")
            if stored.imported
            else _("This file is already being imported; it will be imported once."),
        )
    return HttpResponseRedirect(reverse("needs_import:done", args=[token]))


# At most this many imported needs are listed by name; "My needs" lists them all.
LISTED_NEEDS = 100


@login_required
@require_GET
def status(request: HttpRequest, token: str) -> HttpResponse:
    """How the import goes: in progress (the page reloads itself), imported, or failed."""
    user, stored = _upload_for(request, token)
    if not (stored.imported or stored.failed or stored.in_progress):
        return HttpResponseRedirect(reverse("needs_import:preview", args=[token]))
    imported = Need.objects.filter(pk__in=stored.imported_ids or [])
    context = {
        "upload": stored,
        "office": RegionalOffice.objects.get(pk=stored.office_id),
        "valid_count": len(stored.valid_rows),
        "count": imported.count(),
        "needs": imported.prefetch_related("countries").order_by("pk")[:LISTED_NEEDS],
        "rows_choice": "valid" if stored.invalid_rows else "all",
    }
    return render(request, "matching/import_status.html", context)

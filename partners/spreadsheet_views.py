"""Programme staff upload a spreadsheet of entries for a partner source: template, upload,
preview, confirmation (which queues a run and leads to its progress page). The work is done by
partners/spreadsheet_uploads.py."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.models import Organization
from exchange.errors import ApplicationError
from exchange.spreadsheets import XLSX_TYPE, spreadsheet_download
from partners import spreadsheet_uploads as uploads
from partners.connectors.spreadsheet import ENTRY_COLUMNS, MAX_ROWS, current_upload
from partners.views import _staff


class SpreadsheetUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.xlsx or .csv)"),
        allow_empty_file=True,  # refused by the upload, with the file's name
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,.csv,{XLSX_TYPE},text/csv"}),
    )
    source = forms.ModelChoiceField(
        queryset=uploads.spreadsheet_sources(),
        required=False,
        label=gettext_lazy("For the spreadsheet source"),
        empty_label=gettext_lazy("— a new source, for the organization below —"),
    )
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.order_by("name"),
        required=False,
        label=gettext_lazy("Or create a spreadsheet source for the organization"),
        help_text=gettext_lazy("The source is created when you confirm the preview."),
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("source")) == bool(cleaned.get("organization")):
            raise forms.ValidationError(
                _("Choose a spreadsheet source, or an organization to create one for.")
            )
        return cleaned


@login_required
@require_GET
def template_xlsx(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return spreadsheet_download(
        uploads.entries_template_xlsx(),
        filename="entries-upload-template.xlsx",
        content_type=XLSX_TYPE,
    )


@login_required
@require_GET
def template_csv(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return spreadsheet_download(
        uploads.entries_template_csv(),
        filename="entries-upload-template.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    by = _staff(request)
    bound = request.method == "POST"
    initial = {"source": request.GET.get("source")} if request.GET.get("source") else None
    form = SpreadsheetUploadForm(
        request.POST if bound else None, request.FILES if bound else None, initial=initial
    )
    file_error = None
    if bound and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            pending = uploads.spreadsheet_upload_store(
                file=file,
                name=file.name,
                size=file.size,
                by=by,
                source=form.cleaned_data["source"],
                organization=form.cleaned_data["organization"],
            )
        except ApplicationError as exc:
            file_error = exc.message
        else:
            return redirect("partners:spreadsheet_preview", token=pending.token)
    context = {
        "form": form,
        "file_error": file_error,
        "columns": ENTRY_COLUMNS,
        "max_rows": MAX_ROWS,
        "max_mb": f"{uploads.entries_spec().max_bytes / (1024 * 1024):g}",
    }
    return render(
        request, "partners/spreadsheet_upload.html", context, status=400 if bound else 200
    )


def _pending(request: HttpRequest, token: str) -> uploads.PendingUpload:
    pending = uploads.spreadsheet_upload_load(token, by=_staff(request))
    if pending is None:
        raise Http404(_("No upload with this address: it expired, was confirmed or is not yours."))
    return pending


@login_required
@require_GET
def preview(request: HttpRequest, token: str) -> HttpResponse:
    pending = _pending(request, token)
    source = pending.source()
    context = {
        "upload": pending,
        "source": source,
        "organization": pending.organization(),
        "current": current_upload(source.pk) if source else None,
        "preview": uploads.spreadsheet_preview(pending),
        "shown": uploads.PREVIEW_ROWS,
    }
    return render(request, "partners/spreadsheet_preview.html", context)


@login_required
@require_POST
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    by = _staff(request)
    pending = _pending(request, token)
    try:
        run = uploads.spreadsheet_upload_confirm(upload=pending, by=by)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("partners:spreadsheet_preview", token=token)
    messages.success(request, _("The upload is confirmed: its run is queued."))
    return redirect("partners:run_detail", pk=run.pk)

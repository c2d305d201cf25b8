"""Report pages: the report types one may request, the parameter form, a run's progress and
result, downloads, saved definitions; and the public statistics page."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from exchange.errors import ApplicationError
from reports import selectors, services
from reports.forms import ReportParametersForm, SavedReportForm
from reports.models import ReportRun, SavedReport
from reports.rendering.csv import table_csv
from reports.rendering.html import parameter_rows, report_context
from reports.rendering.serialization import parameters_from_dict
from reports.report import ReportType

CONTENT_TYPES = {
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _requester(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.has_perm("reports.request"):
        raise PermissionDenied(
            _("Reports are for programme staff, regional office officers and partners.")
        )
    return user


def _report_type_for(user: User, slug: str) -> ReportType:
    report_type = selectors.report_type_get(slug)
    if report_type is None:
        raise Http404(_("There is no report type with this name."))
    if not selectors.may_request(user=user, key=None, report_type=report_type):
        raise PermissionDenied(_("You may not request this report."))
    return report_type


def _run_for(request: HttpRequest, pk: int) -> tuple[User, ReportRun]:
    user = _requester(request)
    run = selectors.run_get(pk=pk, user=user)
    if run is None:
        raise Http404(_("No report run with this number, or not one you may see."))
    return user, run


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    user = _requester(request)
    return render(
        request,
        "reports/report_list.html",
        {
            "report_types": selectors.report_types_for(user=user),
            "runs": selectors.recent_runs(user=user),
            "saved_count": selectors.saved_reports_of(user=user).count(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_request(request: HttpRequest, slug: str) -> HttpResponse:
    user = _requester(request)
    report_type = _report_type_for(user, slug)
    bound = request.method == "POST"
    form = ReportParametersForm(request.POST if bound else None, report_type=report_type, user=user)
    if bound and form.is_valid():
        try:
            run, reused = services.report_run_request(
                type_slug=report_type.slug, parameters=form.parameters(), user=user
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if reused:
                messages.info(
                    request,
                    _("The same report was requested a short while ago: here it is."),
                )
            return HttpResponseRedirect(reverse("reports:run", args=[run.pk]))
    return render(
        request,
        "reports/report_request.html",
        {"report_type": report_type, "form": form},
        status=400 if bound else 200,
    )


def _run_summary(run: ReportRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "progress": run.progress,
        "message": run.progress_message,
        "error": run.error,
        "finished": run.is_finished,
        "url": reverse("reports:run", args=[run.pk]),
    }


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, run = _run_for(request, pk)
    report_type = selectors.report_type_get(run.type_slug)
    context: dict[str, Any] = {
        "run": run,
        "report_type": report_type,
        "summary": _run_summary(run),
        "parameters": parameter_rows(parameters_from_dict(run.parameters)),
    }
    if run.status == ReportRun.Status.SUCCEEDED:
        report = services.report_of(run)
        context.update(report_context(report, version=run.portal_version))
        context["save_form"] = SavedReportForm(
            initial={"name": report.title, "recipients": user.email}
        )
        context["can_save"] = True
    return render(request, "reports/run_detail.html", context)


@login_required
@require_GET
def run_status(request: HttpRequest, pk: int) -> JsonResponse:
    _user, run = _run_for(request, pk)
    response = JsonResponse(_run_summary(run))
    response["Cache-Control"] = "no-store"
    return response


def _not_ready(request: HttpRequest, run: ReportRun) -> HttpResponse:
    messages.error(request, _("This report is not ready, so there is nothing to download yet."))
    return HttpResponseRedirect(reverse("reports:run", args=[run.pk]))


@login_required
@require_GET
def run_download(request: HttpRequest, pk: int, output_format: str) -> HttpResponseBase:
    _user, run = _run_for(request, pk)
    if output_format not in CONTENT_TYPES:
        raise Http404(_("No such format."))
    stored = run.output_file(output_format) if run.status == ReportRun.Status.SUCCEEDED else None
    if stored is None:
        return _not_ready(request, run)
    response = FileResponse(
        stored.open("rb"),
        as_attachment=True,
        filename=str(stored.name).rsplit("/", 1)[-1],
        content_type=CONTENT_TYPES[output_format],
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def table_download(request: HttpRequest, pk: int, table: str) -> HttpResponse:
    _user, run = _run_for(request, pk)
    if run.status != ReportRun.Status.SUCCEEDED:
        return _not_ready(request, run)
    report = services.report_of(run)
    found = next((item for item in report.tables if item.slug == table), None)
    if found is None:
        raise Http404(_("This report has no table with this name."))
    response = HttpResponse(
        table_csv(report, found, version=run.portal_version),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{run.type_slug}-{run.pk}-{table}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- saved definitions -------------------------------------------------------------------------


@login_required
@require_GET
def saved_list(request: HttpRequest) -> HttpResponse:
    user = _requester(request)
    saved = list(selectors.saved_reports_of(user=user))
    types = selectors.report_types()
    rows = [(item, types.get(item.type_slug), _saved_parameter_rows(item)) for item in saved]
    return render(request, "reports/saved_list.html", {"rows": rows})


@login_required
@require_POST
def saved_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the definition of run `pk` (its type and parameters) with a schedule."""
    user, run = _run_for(request, pk)
    form = SavedReportForm(request.POST)
    if form.is_valid():
        try:
            services.saved_report_create(
                owner=user,
                name=form.cleaned_data["name"],
                type_slug=run.type_slug,
                parameters=parameters_from_dict(run.parameters),
                schedule=form.cleaned_data["schedule"],
                recipients=form.recipient_list(),
                period=form.cleaned_data["period"],
            )
        except (ApplicationError, PermissionDenied) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
            return HttpResponseRedirect(reverse("reports:run", args=[run.pk]) + "#save")
        messages.success(request, _("Saved. It will be built and e-mailed on schedule."))
        return HttpResponseRedirect(reverse("reports:saved_list"))
    errors = " ".join(str(message) for messages_ in form.errors.values() for message in messages_)
    messages.error(request, errors)
    return HttpResponseRedirect(reverse("reports:run", args=[run.pk]) + "#save")


def _saved_parameter_rows(saved: SavedReport) -> list[tuple[str, str]]:
    """The saved parameters in words; a rolling period replaces the saved one (the first row)."""
    rows = parameter_rows(parameters_from_dict(saved.parameters))
    if saved.period:
        return [(_("Period"), saved.get_period_display()), *rows[1:]]
    return rows


def _saved_for(request: HttpRequest, pk: int) -> tuple[User, SavedReport]:
    user = _requester(request)
    saved = selectors.saved_report_get(pk=pk, user=user)
    if saved is None:
        raise Http404(_("No saved report with this number, or not one of yours."))
    return user, saved


@login_required
@require_http_methods(["GET", "POST"])
def saved_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _user, saved = _saved_for(request, pk)
    bound = request.method == "POST"
    form = SavedReportForm(
        request.POST if bound else None,
        initial={
            "name": saved.name,
            "schedule": saved.schedule,
            "period": saved.period,
            "recipients": "\n".join(saved.recipients),
        },
    )
    if bound and form.is_valid():
        try:
            services.saved_report_update(
                saved=saved,
                name=form.cleaned_data["name"],
                schedule=form.cleaned_data["schedule"],
                recipients=form.recipient_list(),
                period=form.cleaned_data["period"],
            )
        except ApplicationError as exc:
            form.add_error("recipients", exc.message)
        else:
            messages.success(request, _("Saved report updated."))
            return HttpResponseRedirect(reverse("reports:saved_list"))
    return render(
        request,
        "reports/saved_edit.html",
        {
            "saved": saved,
            "form": form,
            "report_type": selectors.report_type_get(saved.type_slug),
            "parameters": _saved_parameter_rows(saved),
        },
        status=400 if bound else 200,
    )


@login_required
@require_POST
def saved_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _user, saved = _saved_for(request, pk)
    services.saved_report_delete(saved=saved)
    messages.success(request, _("Saved report deleted: it will not be sent any more."))
    return HttpResponseRedirect(reverse("reports:saved_list"))


# --- public ------------------------------------------------------------------------------------


@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """Aggregate, anonymous figures for everyone (cached: reports/selectors.py)."""
    return render(request, "reports/statistics.html", {"stats": selectors.public_statistics()})

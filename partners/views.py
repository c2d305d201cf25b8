"""Programme staff follow partner synchronisation: a run's progress, each source's health, and
the organizations that several sources describe, which they merge."""

from typing import Any, Literal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import is_programme_staff
from catalog.models import Organization
from exchange.errors import ApplicationError
from partners import dedup, health
from partners.models import PartnerSource, SyncConflict, SyncRun
from partners.services import sync_conflict_resolve

COUNTS = ("fetched", "created", "updated", "unchanged", "archived", "failed")


def _staff(request: HttpRequest) -> User:
    if not is_programme_staff(request.user):
        raise PermissionDenied(_("Only programme staff follow partner synchronisation."))
    assert isinstance(request.user, User)
    return request.user


def run_state(run: SyncRun) -> dict[str, Any]:
    """What the progress page shows and polls (`run_status`)."""
    return {
        "id": run.pk,
        "source": run.source.name,
        "status": run.status,
        "status_label": run.get_status_display(),
        "active": run.status in SyncRun.ACTIVE,
        "counts": {name: getattr(run, name) for name in COUNTS},
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "heartbeat_at": run.heartbeat_at.isoformat() if run.heartbeat_at else None,
        "error": run.error,
        "record_errors": run.record_errors.count(),
    }


def _run_or_404(pk: int) -> SyncRun:
    return get_object_or_404(SyncRun.objects.select_related("source"), pk=pk)


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    run = _run_or_404(pk)
    errors, error_count = health.run_errors(run=run)
    return render(
        request,
        "partners/run_detail.html",
        {
            "run": run,
            "state": run_state(run),
            "counts": [(name, getattr(run, name)) for name in COUNTS],
            "errors": errors,
            "error_count": error_count,
        },
    )


@login_required
def run_status(request: HttpRequest, pk: int) -> JsonResponse:
    _staff(request)
    response = JsonResponse(run_state(_run_or_404(pk)))
    response["Cache-Control"] = "no-store"
    return response


@login_required
def source_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return render(
        request,
        "partners/source_list.html",
        {"sources": health.sources_health(), "trend_runs": health.TREND_RUNS, "chart": _chart()},
    )


def _chart() -> dict[str, int]:
    return {"width": health.CHART_WIDTH, "height": health.CHART_HEIGHT}


@login_required
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    source = get_object_or_404(PartnerSource, pk=pk)
    (source_health,) = health.sources_health(PartnerSource.objects.filter(pk=source.pk))
    conflicts = (
        SyncConflict.objects.filter(entry__source=source, resolved=False)
        .select_related("entry", "run")
        .order_by("-updated_at", "-pk")[:200]
    )
    return render(
        request,
        "partners/source_detail.html",
        {
            "source": source,
            "health": source_health,
            "runs": health.source_runs(source=source),
            "failed_runs": health.failed_runs_errors(source=source),
            "conflicts": conflicts,
            "chart": _chart(),
        },
    )


@login_required
@require_POST
def conflict_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    by = _staff(request)
    conflict = get_object_or_404(SyncConflict.objects.select_related("entry"), pk=pk)
    choice = request.POST.get("keep")
    if choice not in ("ours", "source"):
        messages.error(request, _("Choose to keep our value or the source's."))
    else:
        try:
            keep: Literal["ours", "source"] = "ours" if choice == "ours" else "source"
            sync_conflict_resolve(conflict=conflict, keep=keep, by=by)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Conflict resolved."))
    source_id = conflict.entry.source_id
    if source_id is None:
        return redirect("partners:source_list")
    return redirect("partners:source_detail", pk=source_id)


@login_required
def duplicate_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return render(
        request,
        "partners/duplicates.html",
        {"groups": dedup.duplicate_candidates()},
    )


@login_required
@require_POST
def organization_merge(request: HttpRequest) -> HttpResponse:
    """Merge the organizations ticked in one candidate group into the one chosen to keep."""
    by = _staff(request)
    try:
        keep_id = int(request.POST.get("keep", ""))
        merge_ids = sorted({int(value) for value in request.POST.getlist("merge")} - {keep_id})
    except ValueError:
        messages.error(request, _("Choose the organization to keep and those to merge into it."))
        return redirect("partners:duplicates")
    if not merge_ids:
        messages.error(request, _("Tick at least one organization to merge into the one kept."))
        return redirect("partners:duplicates")
    organizations = Organization.objects.in_bulk([keep_id, *merge_ids])
    if len(organizations) != len(merge_ids) + 1:
        messages.error(request, _("One of these organizations no longer exists."))
        return redirect("partners:duplicates")
    keep = organizations[keep_id]
    try:
        with transaction.atomic():  # the whole group, or nothing
            for merge_id in merge_ids:
                dedup.organization_merge(keep=keep, merge=organizations[merge_id], by=by)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("partners:duplicates")
    messages.success(
        request,
        ngettext(
            "Merged %(count)d organization into “%(name)s”.",
            "Merged %(count)d organizations into “%(name)s”.",
            len(merge_ids),
        )
        % {"count": len(merge_ids), "name": keep},
    )
    return redirect(reverse("partners:duplicates"))

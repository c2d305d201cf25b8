"""Sync health: for each partner source, its runs in the period, the records they read and
wrote (sums of the runs' counts), the records they skipped with an error, and its freshness:
the end of its last successful run by the end of the period."""

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.models import PartnerSource, SyncRecordError, SyncRun
from reports.report import Chart, Column, Figure, Parameters, Report, ReportType, Table
from reports.scoping import (
    PERIOD,
    grouped,
    lazy_str,
    parameters_check,
    period_of,
    report_statements,
)

SLUG = "sync-health"
USES = (*PERIOD, "organization_id")
RECORD_COUNTS = ("fetched", "created", "updated", "unchanged", "archived", "failed")


@report_statements
def build(parameters: Parameters) -> Report:
    parameters_check(parameters, uses=USES)
    read_at = timezone.now()
    period = period_of(parameters, read_at=read_at)
    sources = PartnerSource.objects.order_by("name")
    if parameters.organization_id is not None:
        sources = sources.filter(organization_id=parameters.organization_id)
    runs = SyncRun.objects.order_by().filter(period.q("created_at"), source__in=sources)
    by_source = grouped(
        runs.values("source_id").annotate(
            runs=Count("pk"),
            succeeded=Count("pk", filter=Q(status=SyncRun.Status.SUCCEEDED)),
            failed_runs=Count("pk", filter=Q(status=SyncRun.Status.FAILED)),
            **{f"records_{name}": Sum(name) for name in RECORD_COUNTS},
        ),
        "source_id",
    )
    errors = dict(
        SyncRecordError.objects.order_by()
        .filter(run__in=runs.values("pk"))
        .values_list("run__source_id")
        .annotate(n=Count("pk"))
    )
    last_success = dict(
        SyncRun.objects.order_by()
        .filter(source__in=sources, status=SyncRun.Status.SUCCEEDED, finished_at__lt=period.at)
        .values_list("source_id")
        .annotate(last=Max("finished_at"))
    )
    rows = []
    for source in sources.values("pk", "name", "connector", "enabled"):
        counts = by_source.get(source["pk"], {})
        last = last_success.get(source["pk"])
        rows.append(
            (
                source["name"],
                str(PartnerSource.Connector(source["connector"]).label),
                _("yes") if source["enabled"] else _("no"),
                counts.get("runs", 0),
                counts.get("succeeded", 0),
                counts.get("failed_runs", 0),
                *(counts.get(f"records_{name}") or 0 for name in RECORD_COUNTS),
                errors.get(source["pk"], 0),
                timezone.localdate(last) if last else None,
                round((period.at - last).total_seconds() / 86400, 1) if last else None,
            )
        )
    table = Table(
        slug="sources",
        title=_("Partner sources"),
        columns=(
            Column("source", _("Source")),
            Column("connector", _("Connector")),
            Column("enabled", _("Enabled")),
            Column("runs", _("Runs"), "integer"),
            Column("succeeded", _("Succeeded"), "integer"),
            Column("failed_runs", _("Failed"), "integer"),
            Column("fetched", _("Records read"), "integer"),
            Column("created", _("Created"), "integer"),
            Column("updated", _("Updated"), "integer"),
            Column("unchanged", _("Unchanged"), "integer"),
            Column("archived", _("Archived"), "integer"),
            Column("failed", _("Records failed"), "integer"),
            Column("errors", _("Record errors"), "integer"),
            Column("last_success", _("Last success"), "date"),
            Column("days_since_success", _("Days since the last success"), "days"),
        ),
        rows=tuple(rows),
        note=_("Runs started in the period; the last success is the latest by its end."),
    )
    column = {c.key: index for index, c in enumerate(table.columns)}
    figures = (
        Figure(_("Partner sources"), len(rows)),
        Figure(_("Runs in the period"), sum(r[column["runs"]] for r in rows)),
        Figure(_("Failed runs"), sum(r[column["failed_runs"]] for r in rows)),
        Figure(_("Records read"), sum(r[column["fetched"]] for r in rows)),
        Figure(_("Record errors"), sum(r[column["errors"]] for r in rows)),
        Figure(
            _("Sources without a successful run in the period"),
            sum(1 for r in rows if not r[column["succeeded"]]),
        ),
    )
    notes = []
    if not rows:
        notes.append(_("There are no partner sources for these parameters."))
    elif not by_source:
        notes.append(_("No source ran in this period."))
    return Report(
        type_slug=SLUG,
        title=_("Sync health"),
        parameters=parameters,
        read_at=read_at,
        figures=figures,
        tables=(table,),
        charts=(
            Chart(
                _("Runs by partner source"),
                "bar",
                "sources",
                "source",
                ("succeeded", "failed_runs"),
            ),
            Chart(
                _("Records by partner source"),
                "bar",
                "sources",
                "source",
                ("created", "updated", "failed"),
            ),
        ),
        notes=tuple(notes),
    )


REPORT_TYPE = ReportType(
    slug=SLUG,
    title=lazy_str(gettext_lazy("Sync health")),
    description=lazy_str(
        gettext_lazy(
            "For each partner source: its runs, the records they read and wrote, the errors "
            "and when it last succeeded."
        )
    ),
    build=build,
    parameters=USES,
)

"""Partner contribution: one organization's entries, the needs they matched and the outcomes.

Its entries are those it provides (any role), whatever their status; the counts of matches are
of the matches of those entries. The needs matched are the needs of its matches agreed, running
or completed in the period (the cooperation tracker's rule); the outcomes are those of its
matches completed in the period.
"""

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Entry, EntryProvider
from matching.models import Match
from reports.report import Chart, Column, Figure, Parameters, Report, ReportType, Table
from reports.scoping import (
    PERIOD,
    grouped,
    lazy_str,
    organization_name,
    parameters_check,
    period_of,
    report_statements,
)
from reports.types.cooperation_tracker import (
    LIST_LIMIT,
    cooperation_flags,
    cooperation_list,
    cooperation_matches,
    flag_counts,
)

SLUG = "partner-contribution"
USES = (*PERIOD, "module", "organization_id")


@report_statements
def build(parameters: Parameters) -> Report:
    parameters_check(parameters, uses=USES, required=("organization_id",))
    assert parameters.organization_id is not None  # checked above
    read_at = timezone.now()
    period = period_of(parameters, read_at=read_at)
    entries = Entry.objects.order_by().filter(
        Exists(
            EntryProvider.objects.filter(
                entry=OuterRef("pk"), organization_id=parameters.organization_id
            )
        )
    )
    if parameters.module:
        entries = entries.filter(module=parameters.module)
    matches = Match.objects.order_by().filter(entry__in=entries.values("pk"))
    cooperation = cooperation_matches(matches, period)

    by_module = grouped(
        entries.values("module").annotate(
            entries=Count("pk", distinct=True),
            published=Count("pk", filter=Q(status=Entry.Status.PUBLISHED), distinct=True),
        ),
        "module",
    )
    matches_by_module = grouped(
        matches.values("entry__module").annotate(
            suggested=Count("pk"),
            **{name: Count("pk", filter=q) for name, q in cooperation_flags(period).items()},
        ),
        "entry__module",
    )
    modules = [parameters.module] if parameters.module else list(Entry.Module.values)
    module_rows = []
    for module in modules:
        counts = by_module.get(module, {"entries": 0, "published": 0})
        steps = matches_by_module.get(
            module, {"suggested": 0, "agreed": 0, "running": 0, "completed": 0}
        )
        module_rows.append(
            (
                str(Entry.Module(module).label),
                counts["entries"],
                counts["published"],
                steps["suggested"],
                steps["agreed"],
                steps["running"],
                steps["completed"],
            )
        )
    module_table = Table(
        slug="entries-by-module",
        title=_("Entries and their matches, by module"),
        columns=(
            Column("module", _("Module")),
            Column("entries", _("Entries"), "integer"),
            Column("published", _("Published"), "integer"),
            Column("matches", _("Matches"), "integer"),
            Column("agreed", _("Agreed in the period"), "integer"),
            Column("running", _("Running at the end of the period"), "integer"),
            Column("completed", _("Completed in the period"), "integer"),
        ),
        rows=tuple(module_rows),
    )

    annotated: QuerySet[Any] = entries.annotate(
        n_matches=Count("matches"),
        **{
            name: Count("matches", filter=q)
            for name, q in cooperation_flags(period, "matches__").items()
        },
    )
    entry_rows = list(
        annotated.order_by("-completed", "-running", "-agreed", "-n_matches", "title", "pk").values(
            "title",
            "module",
            "status",
            "published_at",
            "n_matches",
            "agreed",
            "running",
            "completed",
        )[:LIST_LIMIT]
    )
    total_entries = sum(row[1] for row in module_rows)
    entry_note = ""
    if total_entries > len(entry_rows):
        entry_note = _("The first %(shown)s of %(total)s are listed.") % {
            "shown": f"{len(entry_rows):,}",
            "total": f"{total_entries:,}",
        }
    entry_table = Table(
        slug="entries",
        title=_("Entries"),
        columns=(
            Column("entry", _("Entry")),
            Column("module", _("Module")),
            Column("status", _("Status")),
            Column("published_on", _("Published on"), "date"),
            Column("matches", _("Matches"), "integer"),
            Column("agreed", _("Agreed in the period"), "integer"),
            Column("running", _("Running at the end of the period"), "integer"),
            Column("completed", _("Completed in the period"), "integer"),
        ),
        rows=tuple(
            (
                row["title"],
                str(Entry.Module(row["module"]).label),
                str(Entry.Status(row["status"]).label),
                timezone.localdate(row["published_at"]) if row["published_at"] else None,
                row["n_matches"],
                row["agreed"],
                row["running"],
                row["completed"],
            )
            for row in entry_rows
        ),
        note=entry_note,
    )

    totals = cooperation.aggregate(
        needs=Count("need_id", distinct=True),
        **flag_counts(period),
    )
    needs_table = cooperation_list(
        cooperation, period, total=totals["matches"], slug="needs-matched"
    )
    figures = (
        Figure(_("Entries"), sum(row[1] for row in module_rows)),
        Figure(_("Published entries"), sum(row[2] for row in module_rows)),
        Figure(_("Matches of its entries"), sum(row[3] for row in module_rows)),
        Figure(_("Needs matched (agreed, running or completed in the period)"), totals["needs"]),
        Figure(_("Cooperation agreed in the period"), totals["agreed"]),
        Figure(_("Cooperation running at the end of the period"), totals["running"]),
        Figure(_("Cooperation completed in the period"), totals["completed"]),
    )
    notes = []
    if not total_entries:
        notes.append(_("This organization provides no entries."))
    elif not totals["matches"]:
        notes.append(_("None of its entries was agreed, running or completed in this period."))
    return Report(
        type_slug=SLUG,
        title=_("Contribution of %(organization)s")
        % {"organization": organization_name(parameters.organization_id)},
        parameters=parameters,
        read_at=read_at,
        figures=figures,
        tables=(module_table, entry_table, needs_table),
        charts=(
            Chart(
                _("Entries by module"), "bar", "entries-by-module", "module", ("entries", "matches")
            ),
            Chart(
                _("Cooperation by module"),
                "bar",
                "entries-by-module",
                "module",
                ("agreed", "running", "completed"),
            ),
        ),
        notes=tuple(notes),
    )


REPORT_TYPE = ReportType(
    slug=SLUG,
    title=lazy_str(gettext_lazy("Partner contribution")),
    description=lazy_str(
        gettext_lazy("For one organization: its entries, the needs they matched and the outcomes.")
    ),
    build=build,
    parameters=USES,
)

"""What staff read about the health of partner sources (the pages in partners/views.py): the
last success, the last run, the error rate and freshness of each source, and a small trend of
its last runs drawn as an inline SVG bar chart."""

import datetime
from dataclasses import dataclass, field

from django.db.models import F, Max, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import PartnerSource, SyncRecordError, SyncRun

# How many of its last runs a source's error rate and trend are computed over.
TREND_RUNS = 20
# A source whose last success is older than this many schedule periods is "stale" (a source
# run by hand only: older than FRESH_WITHOUT_SCHEDULE).
STALE_AFTER_PERIODS = 2
FRESH_WITHOUT_SCHEDULE = datetime.timedelta(days=30)

CHART_WIDTH = 200
CHART_HEIGHT = 40
_BAR_STEP = CHART_WIDTH // TREND_RUNS


@dataclass
class Bar:
    """One run in the trend chart: three stacked rectangles (y and height in SVG units)."""

    x: int
    width: int
    label: str
    segments: list[tuple[str, int, int]]  # (css class, y, height)


@dataclass
class SourceHealth:
    source: PartnerSource
    runs: list[SyncRun]  # newest first, at most TREND_RUNS
    last_success_at: datetime.datetime | None
    bars: list[Bar] = field(default_factory=list)

    @property
    def last_run(self) -> SyncRun | None:
        return self.runs[0] if self.runs else None

    @property
    def finished_runs(self) -> list[SyncRun]:
        return [run for run in self.runs if run.status not in SyncRun.ACTIVE]

    @property
    def run_error_rate(self) -> float | None:
        """The share of the last finished runs that failed."""
        finished = self.finished_runs
        if not finished:
            return None
        return sum(run.status == SyncRun.Status.FAILED for run in finished) / len(finished)

    @property
    def record_error_rate(self) -> float | None:
        """The share of the records those runs read that could not be stored."""
        fetched = sum(run.fetched for run in self.finished_runs)
        if not fetched:
            return None
        return sum(run.failed for run in self.finished_runs) / fetched

    @property
    def is_stale(self) -> bool:
        """No success for longer than the schedule allows (never run counts as stale)."""
        if self.last_success_at is None:
            return True
        period = PartnerSource.SCHEDULE_PERIODS.get(getattr(self.source, "schedule", ""))
        allowed = period * STALE_AFTER_PERIODS if period else FRESH_WITHOUT_SCHEDULE
        return timezone.now() - self.last_success_at > allowed

    @property
    def freshness(self) -> str:
        if self.last_success_at is None:
            return _("never synchronised")
        return _("stale") if self.is_stale else _("fresh")


def _bars(runs: list[SyncRun]) -> list[Bar]:
    """Oldest run on the left; bar heights scaled to the largest run of the chart."""
    chronological = list(reversed(runs))
    tallest = max((run.created + run.updated + run.failed for run in chronological), default=0)
    scale = (CHART_HEIGHT - 2) / tallest if tallest else 0
    bars = []
    for index, run in enumerate(chronological):
        y = CHART_HEIGHT
        segments = []
        for css, count in (
            ("bar-created", run.created),
            ("bar-updated", run.updated),
            ("bar-failed", run.failed),
        ):
            height = round(count * scale)
            if count and not height:
                height = 1  # a run with a few failures among thousands still shows them
            if height:
                y -= height
                segments.append((css, y, height))
        if run.status == SyncRun.Status.FAILED and not segments:
            segments.append(("bar-failed", CHART_HEIGHT - 2, 2))
        bars.append(
            Bar(
                x=index * _BAR_STEP,
                width=_BAR_STEP - 2,
                label=_(
                    "%(when)s, %(status)s: %(created)d created, %(updated)d updated, "
                    "%(failed)d failed"
                )
                % {
                    "when": timezone.localtime(run.created_at).strftime("%Y-%m-%d %H:%M"),
                    "status": run.get_status_display(),
                    "created": run.created,
                    "updated": run.updated,
                    "failed": run.failed,
                },
                segments=segments,
            )
        )
    return bars


def _last_successes(sources: list[PartnerSource]) -> dict[int, datetime.datetime]:
    return {
        row["source_id"]: row["last"]
        for row in SyncRun.objects.filter(source__in=sources, status=SyncRun.Status.SUCCEEDED)
        .order_by()
        .values("source_id")
        .annotate(last=Max("finished_at"))
        if row["last"] is not None
    }


def sources_health(sources: QuerySet[PartnerSource] | None = None) -> list[SourceHealth]:
    """Each source with its last TREND_RUNS runs, in one query for the runs."""
    sources_list = list(
        (sources if sources is not None else PartnerSource.objects.all()).select_related(
            "organization"
        )
    )
    ranked = SyncRun.objects.filter(source__in=sources_list).annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("source_id")],
            order_by=[F("created_at").desc(), F("pk").desc()],
        )
    )
    runs_by_source: dict[int, list[SyncRun]] = {source.pk: [] for source in sources_list}
    for run in ranked.filter(rank__lte=TREND_RUNS).order_by("source_id", "-created_at", "-pk"):
        runs_by_source[run.source_id].append(run)
    successes = _last_successes(sources_list)
    health = []
    for source in sources_list:
        last_success = getattr(source, "last_success_at", None) or successes.get(source.pk)
        runs = runs_by_source[source.pk]
        health.append(
            SourceHealth(source=source, runs=runs, last_success_at=last_success, bars=_bars(runs))
        )
    return health


def source_runs(*, source: PartnerSource, limit: int = 50) -> list[SyncRun]:
    return list(source.runs.select_related("requested_by").order_by("-created_at", "-pk")[:limit])


def failed_runs_errors(
    *, source: PartnerSource, runs: int = 3, per_run: int = 50
) -> list[tuple[SyncRun, list[SyncRecordError], int]]:
    """The record errors of the source's last runs that failed or skipped records: (run, its
    first `per_run` errors, how many it has)."""
    found = []
    for run in source.runs.filter(Q(status=SyncRun.Status.FAILED) | Q(failed__gt=0)).order_by(
        "-created_at", "-pk"
    )[:runs]:
        errors = list(run.record_errors.order_by("pk")[:per_run])
        found.append((run, errors, run.record_errors.count()))
    return found


def run_errors(*, run: SyncRun, limit: int = 200) -> tuple[list[SyncRecordError], int]:
    return list(run.record_errors.order_by("pk")[:limit]), run.record_errors.count()

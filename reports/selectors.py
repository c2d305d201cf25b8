"""Reads of the reports app: which report types someone may request and in which scope, the runs
they may see, their saved definitions, and the public statistics page."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import ApiKey, Membership, User
from accounts.permissions import organizations_of
from catalog.models import Entry, SdgGoal
from catalog.models.reference import language_suffix
from catalog.selectors import home_counts
from exchange.errors import ApplicationError
from matching.models import Match, Need
from reports.models import ReportRun, SavedReport
from reports.rendering import charts
from reports.rendering.html import format_value
from reports.report import ReportType

STAFF_SCOPE = "staff"
STATISTICS_CACHE_SECONDS = 300


def report_types() -> dict[str, ReportType]:
    """The registry (reports/types/), imported when first needed."""
    from reports.types import REPORT_TYPES

    return REPORT_TYPES


def report_type_get(slug: str) -> ReportType | None:
    return report_types().get(slug)


def may_request(*, user: User | None, key: ApiKey | None, report_type: ReportType) -> bool:
    if key is not None:
        from accounts.permissions import api_key_may

        return api_key_may(key, "reports.request_type", report_type)
    return user is not None and user.has_perm("reports.request_type", report_type)  # type: ignore[arg-type]


def report_types_for(*, user: User | None, key: ApiKey | None = None) -> list[ReportType]:
    """The report types `user` (or `key`) may request, in the registry's order."""
    return [
        report_type
        for report_type in report_types().values()
        if may_request(user=user, key=key, report_type=report_type)
    ]


@dataclass(frozen=True)
class Scope:
    """Who a run is for ("staff", "office:africa", "organization:12") and the parameters it
    forces: an officer's region, a partner's organization."""

    key: str
    region: str = ""
    organization_id: int | None = None

    def forced(self) -> dict[str, Any]:
        forced: dict[str, Any] = {}
        if self.region:
            forced["region"] = self.region
        if self.organization_id is not None:
            forced["organization_id"] = self.organization_id
        return forced


def scope_for(
    *,
    user: User | None,
    key: ApiKey | None,
    report_type: ReportType,
    organization_id: int | None = None,
) -> Scope:
    """The scope a request of `report_type` is made in. `organization_id` is the organization a
    partner asked for (among theirs). PermissionDenied when they may not request it at all."""
    if not may_request(user=user, key=key, report_type=report_type):
        raise PermissionDenied(_("You may not request this report."))
    if key is not None:
        return Scope(key=f"organization:{key.organization_id}", organization_id=key.organization_id)
    assert user is not None
    if user.is_staff:
        return Scope(key=STAFF_SCOPE)
    if user.regional_office_id is not None and "region" in report_type.parameters:
        office = user.regional_office
        assert office is not None
        return Scope(key=f"office:{office.code}", region=office.code)
    own = list(organizations_of(user).order_by("name", "pk").values_list("pk", flat=True))
    if organization_id is None and len(own) == 1:
        organization_id = own[0]
    if organization_id not in own:
        raise ApplicationError(
            _("Choose one of your organizations."),
            extra={
                "code": "organization_required",
                "fields": {"organization_id": [_("Choose one of your organizations.")]},
            },
        )
    return Scope(key=f"organization:{organization_id}", organization_id=organization_id)


def scopes_of(user: User | None) -> list[str]:
    """The scopes whose runs `user` sees (staff see every run)."""
    if user is None or not user.is_active:
        return []
    scopes = [
        f"organization:{pk}"
        for pk in Membership.objects.filter(user=user).values_list("organization_id", flat=True)
    ]
    if user.regional_office_id is not None and user.regional_office is not None:
        scopes.append(f"office:{user.regional_office.code}")
    return scopes


def runs_visible_to(*, user: User | None, key: ApiKey | None = None) -> QuerySet[ReportRun]:
    """Every run view starts from this queryset (accounts/permissions.py, "reports.view_run")."""
    if key is not None:
        if not key.is_active or not key.has_scope(ApiKey.Scope.READ):
            return ReportRun.objects.none()
        return ReportRun.objects.filter(scope=f"organization:{key.organization_id}")
    if user is None or not user.is_active:
        return ReportRun.objects.none()
    if user.is_staff:
        return ReportRun.objects.all()
    return ReportRun.objects.filter(scope__in=scopes_of(user))


def run_get(*, pk: int, user: User | None, key: ApiKey | None = None) -> ReportRun | None:
    return runs_visible_to(user=user, key=key).select_related("requested_by").filter(pk=pk).first()


def recent_runs(*, user: User, limit: int = 20) -> list[ReportRun]:
    """The runs `user` requested, newest first."""
    return list(runs_visible_to(user=user).filter(requested_by=user).defer("report")[:limit])


def saved_reports_of(*, user: User) -> QuerySet[SavedReport]:
    return SavedReport.objects.filter(owner=user).select_related("last_run")


def saved_report_get(*, pk: int, user: User) -> SavedReport | None:
    return saved_reports_of(user=user).filter(pk=pk).first()


# --- the public statistics page ----------------------------------------------------------------


@dataclass(frozen=True)
class StatisticsRow:
    label: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class PublicStatistics:
    computed_at: Any
    entries: int
    by_module: list[StatisticsRow]
    by_office: list[StatisticsRow]
    by_region: list[StatisticsRow]
    by_sdg: list[StatisticsRow]  # (entries, public needs)
    needs_registered: int
    needs_open: int
    needs_matched: int
    cooperation_agreed: int
    cooperation_completed: int
    charts: list[charts.DrawnChart]


def _public_statistics() -> PublicStatistics:
    counts = home_counts()
    suffix = language_suffix()
    published = Entry.objects.published()
    public_needs = Need.objects.filter(status__in=(Need.Status.OPEN, Need.Status.MATCHED))
    entries_by_goal = dict(
        Entry.sdg_goals.through.objects.filter(entry__in=published)
        .values_list("sdggoal_id")
        .annotate(n=Count("entry_id", distinct=True))
        .order_by()
    )
    needs_by_goal = dict(
        Need.sdg_goals.through.objects.filter(need__in=public_needs)
        .values_list("sdggoal_id")
        .annotate(n=Count("need_id", distinct=True))
        .order_by()
    )
    by_sdg = [
        StatisticsRow(
            label=f"{number} · {short or short_en}",
            values=(entries_by_goal.get(pk, 0), needs_by_goal.get(pk, 0)),
        )
        for pk, number, short, short_en in SdgGoal.objects.order_by("number").values_list(
            "pk", "number", f"short_{suffix}", "short_en"
        )
    ]
    # Needs past screening (validated, open, matched or closed): drafts and submissions are
    # the offices' and staff's work in progress.
    registered = Need.objects.exclude(status__in=(Need.Status.DRAFT, Need.Status.SUBMITTED))
    engaged = Match.objects.filter(status__in=Match.ENGAGED)
    needs = registered.aggregate(
        registered=Count("pk"),
        open=Count("pk", filter=Q(status=Need.Status.OPEN)),
        matched=Count("pk", filter=Q(pk__in=engaged.values("need_id"))),
    )
    cooperation = engaged.aggregate(
        agreed=Count("pk"), completed=Count("pk", filter=Q(status=Match.Status.COMPLETED))
    )
    by_module = [StatisticsRow(label=row.label, values=(row.count,)) for row in counts.by_module]

    def integer(value: Any) -> str:
        return format_value(value, "integer")

    drawn = [
        charts.DrawnChart(
            title=_("Published entries by module"),
            kind="bar",
            svg=charts.bar_chart(
                title=_("Published entries by module"),
                labels=[row.label for row in by_module],
                series=[(_("Entries"), [row.values[0] for row in by_module])],
                formatter=integer,
            ),
        ),
        charts.DrawnChart(
            title=_("Entries and open needs by SDG goal"),
            kind="bar",
            svg=charts.bar_chart(
                title=_("Entries and open needs by SDG goal"),
                labels=[row.label for row in by_sdg],
                series=[
                    (_("Published entries"), [row.values[0] for row in by_sdg]),
                    (_("Open and matched needs"), [row.values[1] for row in by_sdg]),
                ],
                formatter=integer,
            ),
        ),
    ]
    return PublicStatistics(
        computed_at=timezone.now(),
        entries=counts.entries,
        by_module=by_module,
        by_office=[StatisticsRow(label=row.label, values=(row.count,)) for row in counts.by_office],
        by_region=[StatisticsRow(label=row.label, values=(row.count,)) for row in counts.by_region],
        by_sdg=by_sdg,
        needs_registered=needs["registered"],
        needs_open=needs["open"],
        needs_matched=needs["matched"],
        cooperation_agreed=cooperation["agreed"],
        cooperation_completed=cooperation["completed"],
        charts=drawn,
    )


def public_statistics() -> PublicStatistics:
    """Aggregate, anonymous figures, cached for a few minutes (one copy per language)."""
    key = f"reports:public-statistics:{translation.get_language()}:{settings.PORTAL_VERSION}"
    statistics = cache.get_or_set(key, _public_statistics, STATISTICS_CACHE_SECONDS)
    assert isinstance(statistics, PublicStatistics)
    return statistics

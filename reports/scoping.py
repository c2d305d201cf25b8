"""What the report types share: checking `Parameters`, the period as moments, the needs, entries
and matches a report's parameters select, labels in the active language and percentiles.

Rules every report type follows (the report tests check each against plain loops):

* The period runs from the start of `period_start` to the end of `period_end` (days in the
  portal's time zone); "at the end of the period" is the earlier of that end and the moment the
  data were read. Without a period, everything up to now counts.
* A need is in a region when its regional office is; in a sub-region or country when one of its
  countries is; it has a theme or an SDG goal when it is tagged with it.
* An entry is in a region, sub-region or country when one of its countries of origin or
  application is (the rule of search's region facets); `module` and `organization_id` (one of
  its providers) narrow entries, and the matches of those entries.
* A match is "strong" when its score reaches MATCH_STRONG_THRESHOLD_PERCENT.
"""

import datetime
import functools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Country, Entry, EntryProvider, Organization, RegionalOffice, Theme
from catalog.models.reference import SdgGoal, language_suffix
from catalog.selectors import THEME_NAMES
from exchange.errors import ApplicationError
from matching.models import Match, Need
from reports.report import Parameters

PARAMETER_LABELS = {
    "period_start": "period start",
    "period_end": "period end",
    "region": "region",
    "subregion_m49": "sub-region",
    "country_iso3": "country",
    "theme": "theme",
    "sdg_goal": "SDG goal",
    "module": "module",
    "organization_id": "organization",
}
PERIOD = ("period_start", "period_end")
PLACE = ("region", "subregion_m49", "country_iso3")
TOPIC = ("theme", "sdg_goal")


@contextmanager
def report_session() -> Iterator[None]:
    """One transaction whose statements are not JIT-compiled: a report's aggregates run once
    and take under a few seconds each, and PostgreSQL's JIT compiled them for 0.05 to 1.4 s
    each over a large portal (EXPLAIN ANALYZE, 1,000,000 entries), more than it saved. (A
    larger `work_mem` was tried too: no measurable gain.)"""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


def report_statements(build: Callable[[Parameters], Any]) -> Callable[[Parameters], Any]:
    """A report type's `build`, run in a `report_session`."""

    @functools.wraps(build)
    def wrapped(parameters: Parameters) -> Any:
        with report_session():
            return build(parameters)

    return wrapped


class InvalidParameters(ApplicationError):
    """Parameters a report cannot be built with: `errors` maps each parameter's name to a
    message a person can act on (the forms show them beside the fields, the API returns them)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        message = " ".join(f"{field}: {text}" for field, text in self.errors.items())
        super().__init__(message, extra={"errors": self.errors})


def parameters_check(
    parameters: Parameters, *, uses: Sequence[str], required: Sequence[str] = ()
) -> None:
    """Raise `InvalidParameters` for a period that ends before it starts, a code or id that does
    not exist, a parameter this report type does not use, or a required one left out."""
    errors: dict[str, str] = {}
    values = parameters.as_dict()
    for name in values:
        if name not in uses:
            errors[name] = _("This report does not use this parameter.")
    for name in required:
        if name not in values:
            errors[name] = _("This report needs this parameter.")
    p = parameters
    if p.period_start and p.period_end and p.period_end < p.period_start:
        errors["period_end"] = _("The period cannot end before it starts.")
    if p.region and p.region not in RegionalOffice.Code.values:
        errors["region"] = _("There is no regional office “%(code)s”.") % {"code": p.region}
    if p.subregion_m49 and not _subregion_exists(p.subregion_m49):
        errors["subregion_m49"] = _("There is no M49 sub-region “%(code)s”.") % {
            "code": p.subregion_m49
        }
    if p.country_iso3 and not Country.objects.filter(iso3=p.country_iso3.upper()).exists():
        errors["country_iso3"] = _("There is no country with the code “%(code)s”.") % {
            "code": p.country_iso3
        }
    if p.theme and not Theme.objects.filter(code=p.theme).exists():
        errors["theme"] = _("There is no theme “%(code)s”.") % {"code": p.theme}
    if p.sdg_goal is not None and not SdgGoal.objects.filter(number=p.sdg_goal).exists():
        errors["sdg_goal"] = _("SDG goals are numbered from 1 to 17.")
    if p.module and p.module not in Entry.Module.values:
        errors["module"] = _("There is no module “%(code)s”.") % {"code": p.module}
    if (
        p.organization_id is not None
        and not Organization.objects.filter(pk=p.organization_id).exists()
    ):
        errors["organization_id"] = _("There is no organization with this id.")
    if errors:
        raise InvalidParameters(errors)


def _subregion_exists(code: str) -> bool:
    return code.isdigit() and Country.objects.filter(_subregion_q("", code)).exists()


def _subregion_q(prefix: str, code: str) -> Q:
    """Countries of the sub-region: stored codes may or may not be zero-padded."""
    number = int(code)
    return Q(**{f"{prefix}subregion_code__in": [str(number), f"{number:03d}"]})


@dataclass(frozen=True)
class Period:
    start: datetime.datetime | None  # inclusive
    end: datetime.datetime | None  # exclusive
    at: datetime.datetime  # the end of the period, or when the data were read if earlier

    def q(self, field: str) -> Q:
        """`field` falls within the period."""
        q = Q(**{f"{field}__isnull": False})
        if self.start:
            q &= Q(**{f"{field}__gte": self.start})
        if self.end:
            q &= Q(**{f"{field}__lt": self.end})
        return q

    def by_end(self, field: str) -> Q:
        """`field` was set by the end of the period."""
        return Q(**{f"{field}__isnull": False, f"{field}__lt": self.at})

    def after_end(self, field: str) -> Q:
        """`field` was not set by the end of the period (unset, or set later)."""
        return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": self.at})


def period_of(parameters: Parameters, *, read_at: datetime.datetime) -> Period:
    def moment(day: datetime.date) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))

    start = moment(parameters.period_start) if parameters.period_start else None
    end = (
        moment(parameters.period_end + datetime.timedelta(days=1))
        if parameters.period_end
        else None
    )
    at = min(end, read_at) if end else read_at
    return Period(start=start, end=end, at=at)


def strong_threshold() -> float:
    return float(settings.MATCH_STRONG_THRESHOLD)


# --- needs -----------------------------------------------------------------------------------


def needs_in_scope(parameters: Parameters) -> QuerySet[Need]:
    """Needs of the region, sub-region, country, theme and SDG goal of the parameters."""
    needs = Need.objects.order_by()
    through = Need.countries.through
    if parameters.region:
        needs = needs.filter(regional_office__code=parameters.region)
    if parameters.subregion_m49:
        needs = needs.filter(
            Exists(
                through.objects.filter(
                    _subregion_q("country__", parameters.subregion_m49), need=OuterRef("pk")
                )
            )
        )
    if parameters.country_iso3:
        needs = needs.filter(
            Exists(
                through.objects.filter(
                    need=OuterRef("pk"), country__iso3=parameters.country_iso3.upper()
                )
            )
        )
    if parameters.theme:
        needs = needs.filter(
            Exists(
                Need.themes.through.objects.filter(
                    need=OuterRef("pk"), theme__code=parameters.theme
                )
            )
        )
    if parameters.sdg_goal is not None:
        needs = needs.filter(
            Exists(
                Need.sdg_goals.through.objects.filter(
                    need=OuterRef("pk"), sdggoal__number=parameters.sdg_goal
                )
            )
        )
    return needs


def narrows_needs(parameters: Parameters) -> bool:
    """Whether `needs_in_scope` leaves any need out (else a filter on it is a no-op join)."""
    p = parameters
    return bool(p.region or p.subregion_m49 or p.country_iso3 or p.theme or p.sdg_goal is not None)


def country_rows_q(parameters: Parameters, prefix: str = "country__") -> Q:
    """Rows of a by-country table within the place of the parameters: a need of Kenya and
    Uganda, in a report on Kenya, shows under Kenya only."""
    q = Q()
    if parameters.region:
        q &= Q(**{f"{prefix}regional_office__code": parameters.region})
    if parameters.subregion_m49:
        q &= _subregion_q(prefix, parameters.subregion_m49)
    if parameters.country_iso3:
        q &= Q(**{f"{prefix}iso3": parameters.country_iso3.upper()})
    return q


# --- entries and matches ---------------------------------------------------------------------


def _entry_place_q(parameters: Parameters, entry_ref: str) -> list[Exists]:
    """One Exists per place parameter: a country of origin or application in that place."""
    conditions: list[Exists] = []
    place = country_rows_q(parameters)
    if not place:
        return conditions
    for relation in (Entry.countries_of_origin, Entry.countries_applied):
        conditions.append(Exists(relation.through.objects.filter(place, entry=OuterRef(entry_ref))))
    return conditions


def entry_filters(parameters: Parameters, *, entry_ref: str = "pk", prefix: str = "") -> Q:
    """The entry parameters as one condition on a queryset of entries (`prefix` "") or of rows
    that point at an entry (`prefix` "entry__", `entry_ref` "entry_id")."""
    q = Q()
    if parameters.module:
        q &= Q(**{f"{prefix}module": parameters.module})
    places = _entry_place_q(parameters, entry_ref)
    if places:
        q &= Q(places[0]) | Q(places[1])
    if parameters.theme:
        q &= Q(
            Exists(
                Entry.themes.through.objects.filter(
                    entry=OuterRef(entry_ref), theme__code=parameters.theme
                )
            )
        )
    if parameters.sdg_goal is not None:
        q &= Q(
            Exists(
                Entry.sdg_goals.through.objects.filter(
                    entry=OuterRef(entry_ref), sdggoal__number=parameters.sdg_goal
                )
            )
        )
    if parameters.organization_id is not None:
        q &= Q(
            Exists(
                EntryProvider.objects.filter(
                    entry=OuterRef(entry_ref), organization_id=parameters.organization_id
                )
            )
        )
    return q


def match_entry_filters(parameters: Parameters) -> Q:
    """The entry parameters that narrow matches: the entry's module and provider."""
    q = Q()
    if parameters.module:
        q &= Q(entry__module=parameters.module)
    if parameters.organization_id is not None:
        q &= Q(
            Exists(
                EntryProvider.objects.filter(
                    entry=OuterRef("entry_id"), organization_id=parameters.organization_id
                )
            )
        )
    return q


def cooperation_case(entry_ref: str) -> Any:
    """South-South, triangular, Northern or unknown, from the entry's providers other than UN
    entities: `Entry.cooperation` as SQL. One correlated aggregate over the entry's provider
    links (an index probe per row; with a LIMIT, only for the rows kept), rather than one
    EXISTS per condition, which PostgreSQL turns into hashes of the whole provider table."""
    from django.db.models import Case, CharField, Count, Subquery, Value, When
    from django.db.models.functions import Coalesce

    providers = (
        EntryProvider.objects.order_by()
        .filter(entry=OuterRef(entry_ref))
        .exclude(organization__type=Organization.Type.UN_ENTITY)
        .values("entry")
        .annotate(
            southern=Count("pk", filter=Q(organization__country__is_southern=True)),
            northern=Count("pk", filter=Q(organization__country__is_southern=False)),
        )
        .annotate(
            kind=Case(
                When(southern__gt=0, northern=0, then=Value(Entry.Cooperation.SOUTH_SOUTH)),
                When(southern__gt=0, then=Value(Entry.Cooperation.TRIANGULAR)),
                When(northern__gt=0, then=Value(Entry.Cooperation.NORTHERN)),
                default=Value(Entry.Cooperation.UNKNOWN),
                output_field=CharField(),
            )
        )
        .values("kind")
    )
    return Coalesce(
        Subquery(providers, output_field=CharField()),
        Value(Entry.Cooperation.UNKNOWN),
        output_field=CharField(),
    )


def strong_match_exists(parameters: Parameters, *, live_only: bool, need_ref: str = "pk") -> Exists:
    """The need has a strong match (with an entry of the parameters' module and provider);
    `live_only` leaves out declined and withdrawn ones."""
    matches = Match.objects.filter(
        match_entry_filters(parameters), need=OuterRef(need_ref), score__gte=strong_threshold()
    )
    if live_only:
        matches = matches.exclude(status__in=(Match.Status.DECLINED, Match.Status.WITHDRAWN))
    return Exists(matches)


# --- labels ----------------------------------------------------------------------------------


def region_label(code: str | None) -> str:
    if not code:
        return _("No regional office")
    return str(RegionalOffice.Code(code).label)


def country_labels(ids: Iterable[int] | None = None) -> dict[int, tuple[str, str]]:
    """{country id: (ISO3, name in the active language)}."""
    countries = Country.objects.all()
    if ids is not None:
        countries = countries.filter(pk__in=list(ids))
    rows = countries.values_list("pk", "iso3", f"name_{language_suffix()}", "name_en")
    return {pk: (iso3, name or name_en) for pk, iso3, name, name_en in rows}


def theme_labels() -> dict[int, tuple[str, str]]:
    """{theme id: (code, name in the active language)}, in the themes' order."""
    return {
        pk: (code, str(THEME_NAMES.get(code, name)))
        for pk, code, name in Theme.objects.values_list("pk", "code", "name")
    }


def sdg_labels() -> dict[int, tuple[int, str]]:
    """{goal id: (number, short name in the active language)}, by number."""
    rows = SdgGoal.objects.values_list("pk", "number", f"short_{language_suffix()}", "short_en")
    return {pk: (number, short or short_en) for pk, number, short, short_en in rows}


def organization_name(organization_id: int) -> str:
    return str(Organization.objects.get(pk=organization_id))


def lazy_str(text: Any) -> str:
    """A lazy translation where a `str` is declared: it is rendered in the language active
    when it is shown (a report type's title on a page in French), not at import."""
    return cast(str, text)


def grouped(rows: Iterable[Any], key: str) -> dict[Any, dict[str, Any]]:
    """{row[key]: the row's other values} for the rows of a `values(...).annotate(...)`."""
    result: dict[Any, dict[str, Any]] = {}
    for row in rows:
        values = dict(row)
        result[values.pop(key)] = values
    return result


# --- numbers ---------------------------------------------------------------------------------


def share(part: int, whole: int) -> float | None:
    """A fraction from 0 to 1 (the "percent" kind), or None when there is no whole."""
    return round(part / whole, 4) if whole else None


class _PercentileCont(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's `percentile_cont` in Python: linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def duration_percentiles(
    rows: QuerySet[Any],
    *,
    start: str,
    end: str,
    fractions: Sequence[float] = (0.5, 0.75),
    in_python: bool | None = None,
) -> list[float | None]:
    """Percentiles, in days, of `end - start` over `rows` where both are set: `percentile_cont`
    on PostgreSQL, the same interpolation in Python elsewhere (or when `in_python`). `start`
    and `end` may be aggregate annotations of `rows` (Django then aggregates over a subquery)."""
    rows = rows.filter(**{f"{start}__isnull": False, f"{end}__isnull": False})
    if in_python is None:
        in_python = connection.vendor != "postgresql"
    if not in_python:
        seconds = ExpressionWrapper(
            Func(
                ExpressionWrapper(F(end) - F(start), output_field=DurationField()),
                template="EXTRACT(EPOCH FROM %(expressions)s)",
            ),
            output_field=FloatField(),
        )
        result = rows.aggregate(
            **{
                f"p{index}": _PercentileCont(seconds, fraction, output_field=FloatField())
                for index, fraction in enumerate(fractions)
            }
        )
        values = [result[f"p{index}"] for index in range(len(fractions))]
        return [round(value / 86400, 1) if value is not None else None for value in values]
    durations = [(finish - begin).total_seconds() for begin, finish in rows.values_list(start, end)]
    return [
        round(value / 86400, 1)
        if (value := percentile_cont(durations, fraction)) is not None
        else None
        for fraction in fractions
    ]

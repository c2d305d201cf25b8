"""The report types, by slug: each module builds one `Report` from `Parameters` with aggregate
queries (see reports/scoping.py for the rules they share).

Shares are fractions from 0 to 1 (the "percent" kind); durations are days (the "days" kind),
as floats rounded to a tenth.
"""

from reports.report import ReportType
from reports.scoping import InvalidParameters
from reports.types import (
    cooperation_tracker,
    matching_performance,
    needs_overview,
    partner_contribution,
    supply_and_gaps,
    sync_health,
)

__all__ = ["REPORT_TYPES", "InvalidParameters", "UnknownReportType", "report_type"]

REPORT_TYPES: dict[str, ReportType] = {
    module.REPORT_TYPE.slug: module.REPORT_TYPE
    for module in (
        needs_overview,
        matching_performance,
        supply_and_gaps,
        cooperation_tracker,
        partner_contribution,
        sync_health,
    )
}


class UnknownReportType(LookupError):
    pass


def report_type(slug: str) -> ReportType:
    """The report type with this slug; `UnknownReportType` (a LookupError) names the known ones."""
    try:
        return REPORT_TYPES[slug]
    except KeyError:
        known = ", ".join(sorted(REPORT_TYPES))
        raise UnknownReportType(
            f"There is no report type “{slug}”; the report types are: {known}."
        ) from None

"""What a report is, whatever its type and whatever format it is rendered to.

A report type (reports/types/) is a function from `Parameters` to a `Report`: a title, the
parameters it was built with, the time the data were read, figures, tables and charts. The
renderers (reports/rendering/) turn one `Report` into HTML, CSV, XLSX and PDF, so every format
shows the same numbers.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Parameters:
    """The filters a report is built with; None (or empty) means "all". Validated by
    reports/forms.py before a run is requested: `period_start` <= `period_end`, codes that exist."""

    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    region: str = ""  # a UNEP regional office code (catalog.reference)
    subregion_m49: str = ""  # an M49 sub-region code, "014"
    country_iso3: str = ""
    theme: str = ""  # a theme slug
    sdg_goal: int | None = None
    module: str = ""  # catalog.Module value
    organization_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable, with only the parameters that are set (the run's cache key)."""
        values = {
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "period_end": self.period_end.isoformat() if self.period_end else None,
            "region": self.region,
            "subregion_m49": self.subregion_m49,
            "country_iso3": self.country_iso3,
            "theme": self.theme,
            "sdg_goal": self.sdg_goal,
            "module": self.module,
            "organization_id": self.organization_id,
        }
        return {key: value for key, value in values.items() if value not in (None, "")}


Cell = str | int | float | datetime.date | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Literal["text", "integer", "decimal", "percent", "date", "days"] = "text"


@dataclass(frozen=True)
class Table:
    """One table: a CSV file, an XLSX sheet, a table on the page and in the PDF."""

    slug: str  # file and sheet name: "needs-by-region"
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart drawn from one table's columns: `label_column` along the axis (or the ISO3 codes
    of a choropleth) and `value_columns` as bars or lines."""

    title: str
    kind: Literal["bar", "line", "choropleth"]
    table_slug: str
    label_column: str
    value_columns: tuple[str, ...]


@dataclass(frozen=True)
class Figure:
    """A headline number: "Needs open at the end of the period: 42"."""

    label: str
    value: Cell
    kind: Literal["text", "integer", "decimal", "percent", "date", "days"] = "integer"


@dataclass(frozen=True)
class Report:
    type_slug: str
    title: str
    parameters: Parameters
    read_at: datetime.datetime
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    notes: tuple[str, ...] = ()

    def table(self, slug: str) -> Table:
        return next(table for table in self.tables if table.slug == slug)


@dataclass(frozen=True)
class ReportType:
    slug: str  # "needs-overview"
    title: str
    description: str
    build: Callable[[Parameters], Report]
    # Which parameters the type uses; the form shows only these.
    parameters: tuple[str, ...] = field(default=())

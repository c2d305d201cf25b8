"""What every format shows besides the numbers (parameters in words, when the data were read,
the portal's version), the numbers as text, and the page's context: figures, charts as inline
SVG and tables. The PDF is the same HTML laid out for A4 (reports/rendering/pdf.py)."""

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from catalog.models import Country, Organization, RegionalOffice, SdgGoal, Theme
from catalog.models.entries import Module
from catalog.models.reference import language_suffix
from catalog.selectors import M49_SUBREGION_NAMES, THEME_NAMES
from reports.rendering import charts
from reports.report import Cell, Parameters, Report, Table

logger = logging.getLogger(__name__)


def format_value(value: Cell, kind: str) -> str:
    """A cell or figure as the page and the PDF show it ("1,234", "42.5%", "2026-01-31")."""
    if value is None or value == "":
        return "–"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if kind == "percent":
        return formats.number_format(value * 100, 1, use_l10n=True, force_grouping=True) + "%"
    if kind == "integer" or (kind == "text" and isinstance(value, int)):
        return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
    if kind == "days":
        return formats.number_format(value, 1, use_l10n=True, force_grouping=True)
    return formats.number_format(value, 2, use_l10n=True, force_grouping=True)


def parameter_rows(parameters: Parameters) -> list[tuple[str, str]]:
    """The parameters in words, in a fixed order: what every format states."""
    p = parameters
    rows: list[tuple[str, str]] = []
    if p.period_start or p.period_end:
        start = p.period_start.isoformat() if p.period_start else _("the beginning")
        end = p.period_end.isoformat() if p.period_end else _("the time the data were read")
        rows.append((_("Period"), _("%(start)s to %(end)s") % {"start": start, "end": end}))
    else:
        rows.append((_("Period"), _("All time")))
    if p.region:
        labels = dict(RegionalOffice.Code.choices)
        rows.append((_("Regional office"), str(labels.get(p.region, p.region))))
    if p.subregion_m49:
        name = M49_SUBREGION_NAMES.get(int(p.subregion_m49)) if p.subregion_m49.isdigit() else None
        rows.append((_("Sub-region"), f"{name or ''} ({p.subregion_m49})".strip()))
    if p.country_iso3:
        country = Country.objects.filter(iso3=p.country_iso3.upper()).first()
        country_name = (
            (getattr(country, f"name_{language_suffix()}") or country.name_en)
            if country is not None
            else ""
        )
        rows.append((_("Country"), f"{country_name} ({p.country_iso3.upper()})".strip()))
    if p.theme:
        theme = Theme.objects.filter(code=p.theme).first()
        rows.append((_("Theme"), str(THEME_NAMES.get(p.theme, theme.name if theme else p.theme))))
    if p.sdg_goal is not None:
        goal = SdgGoal.objects.filter(number=p.sdg_goal).first()
        short = (getattr(goal, f"short_{language_suffix()}") or goal.short_en) if goal else ""
        rows.append((_("SDG goal"), f"{p.sdg_goal} · {short}" if short else str(p.sdg_goal)))
    if p.module:
        rows.append((_("Module"), str(dict(Module.choices).get(p.module, p.module))))
    if p.organization_id is not None:
        organization = Organization.objects.filter(pk=p.organization_id).first()
        rows.append((_("Organization"), str(organization) if organization else "–"))
    return rows


def read_at_text(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


@dataclass(frozen=True)
class ShownTable:
    table: Table
    header: list[tuple[str, str]]  # (label, kind)
    rows: list[list[tuple[str, str, str]]]  # (shown text, raw value, kind) per cell


def _shown_table(table: Table) -> ShownTable:
    kinds = [column.kind for column in table.columns]
    return ShownTable(
        table=table,
        header=[(column.label, column.kind) for column in table.columns],
        rows=[
            [
                (
                    format_value(cell, kind),
                    "" if cell is None else str(cell),
                    kind,
                )
                for cell, kind in zip(row, kinds, strict=True)
            ]
            for row in table.rows
        ],
    )


def _countries_for(report: Report) -> dict[str, tuple[str, str]]:
    if not any(chart.kind == "choropleth" for chart in report.charts):
        return {}
    suffix = language_suffix()
    return {
        iso3: (iso2, name or name_en)
        for iso3, iso2, name, name_en in Country.objects.values_list(
            "iso3", "iso2", f"name_{suffix}", "name_en"
        )
    }


def drawn_charts(report: Report) -> list[charts.DrawnChart]:
    countries = _countries_for(report)
    drawn = []
    for chart in report.charts:
        try:
            table = report.table(chart.table_slug)
        except StopIteration:
            continue
        formatters = {
            column.key: (lambda value, kind=column.kind: format_value(value, kind))
            for column in table.columns
        }
        try:
            drawn.append(
                charts.draw(chart, table, formatters=formatters, countries=countries)  # type: ignore[arg-type]
            )
        except (ValueError, IndexError, KeyError):
            # A chart naming a column its table lacks: the table is still shown.
            logger.exception("Chart %r of report %s cannot be drawn", chart.title, report.type_slug)
    return drawn


def report_context(report: Report, *, version: str) -> dict[str, Any]:
    return {
        "report": report,
        "parameters": parameter_rows(report.parameters),
        "read_at": read_at_text(report.read_at),
        "version": version,
        "figures": [
            (figure.label, format_value(figure.value, figure.kind), figure.value, figure.kind)
            for figure in report.figures
        ],
        # charts.py escapes every text it draws.
        "charts": [
            {
                "title": chart.title,
                "kind": chart.kind,
                "svg": mark_safe(chart.svg),  # noqa: S308
                "note": chart.note,
            }
            for chart in drawn_charts(report)
        ],
        "tables": [_shown_table(table) for table in report.tables],
    }


def report_fragment(report: Report, *, version: str) -> SafeString:
    """The report's body (figures, charts, tables): the page includes it, the PDF too."""
    return render_to_string("reports/_report_body.html", report_context(report, version=version))

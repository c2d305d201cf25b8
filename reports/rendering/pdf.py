"""The PDF of a report, laid out for A4 by WeasyPrint from the page's own HTML: the charts stay
vectors (inline SVG), table headers repeat on each page, and every page's footer states when the
data were read and the portal's version.

WeasyPrint lays out and draws every table row (tens of milliseconds each, more for the
text-heavy lists): the PDF shows at most PDF_ROW_LIMIT rows of each table, with a note that the
complete table is in the XLSX and CSV. Charts are drawn from the complete tables."""

import base64
import dataclasses
import logging
from typing import Any

from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from reports.rendering.html import ShownTable, report_context
from reports.report import Report

# WeasyPrint logs each step of each document at INFO.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# Rows of each table in the PDF; the page, the CSV and the XLSX show them all.
PDF_ROW_LIMIT = 50


def css_string(text: str) -> str:
    """`text` inside a CSS string in a <style> element (the page footer's `content`)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return " ".join(escaped.split())


def shortened(shown: ShownTable, limit: int = PDF_ROW_LIMIT) -> ShownTable:
    """The table's first `limit` rows, its note saying where the others are."""
    if len(shown.rows) <= limit:
        return shown
    cut = _("The first %(shown)s of %(total)s rows; the complete table is in the XLSX and CSV.") % {
        "shown": f"{limit:,}",
        "total": f"{len(shown.rows):,}",
    }
    note = f"{shown.table.note} {cut}" if shown.table.note else cut
    return ShownTable(
        table=dataclasses.replace(shown.table, note=note),
        header=shown.header,
        rows=shown.rows[:limit],
    )


def as_image(chart: dict[str, Any]) -> SafeString:
    """The chart's SVG as an <img> with a data: URL. WeasyPrint draws it exactly as the inline
    SVG (the same PDF, byte for byte in size), but its elements are then not part of the HTML
    document, whose CSS cascade would otherwise compute a style for each of them: with the
    map's hundreds of paths, half of the style computation of the needs overview's PDF (about
    a tenth of its function calls)."""
    data = base64.b64encode(str(chart["svg"]).encode()).decode("ascii")
    return mark_safe(  # noqa: S308 - base64 and an escaped title
        f'<img class="report-chart" src="data:image/svg+xml;base64,{data}" '
        f'alt="{escape(chart["title"])}">'
    )


def report_pdf(report: Report, *, version: str) -> bytes:
    # Imported here: only the workers that build reports load WeasyPrint and Pango.
    from weasyprint import HTML

    context = report_context(report, version=version)
    context["tables"] = [shortened(shown) for shown in context["tables"]]
    context["charts"] = [{**chart, "svg": as_image(chart)} for chart in context["charts"]]
    footer = _("%(title)s · data read at %(moment)s · South-South Exchange %(version)s") % {
        "title": report.title,
        "moment": context["read_at"],
        "version": version,
    }
    context["footer"] = mark_safe(css_string(footer))  # noqa: S308 - escaped for CSS above
    html = render_to_string("reports/report_pdf.html", context)
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]

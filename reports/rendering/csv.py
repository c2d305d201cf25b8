"""CSV for each table of a report, and a zip of them all.

Every file begins with a few lines starting with "#" that state the report, its parameters, when
the data were read and the portal's version (spreadsheet programs show them as the first rows;
`pandas.read_csv(..., comment="#")` skips them); then the header row and one row per table row.
Numbers are written as they are stored (a percent as a fraction, 0.425), dates as ISO 8601.
UTF-8 with a byte-order mark, so that spreadsheet programs read accents and scripts right.
"""

import csv
import datetime
import io
import zipfile

from django.utils.translation import gettext as _

from reports.rendering.html import parameter_rows, read_at_text
from reports.report import Cell, Report, Table


def about_lines(report: Report, *, version: str) -> list[str]:
    lines = [report.title]
    lines += [f"{label}: {value}" for label, value in parameter_rows(report.parameters)]
    lines.append(_("Data read at: %(moment)s") % {"moment": read_at_text(report.read_at)})
    lines.append(_("South-South Exchange version %(version)s") % {"version": version})
    return lines


# A spreadsheet runs a text cell starting with one of these as a formula (as search/export.py).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table_csv(report: Report, table: Table, *, version: str) -> bytes:
    buffer = io.StringIO()
    for line in [*about_lines(report, version=version), table.title]:
        buffer.write("# " + line.replace("\n", " ") + "\r\n")
    writer = csv.writer(buffer)
    writer.writerow([column.label for column in table.columns])
    for row in table.rows:
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def report_zip(report: Report, *, version: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in report.tables:
            archive.writestr(f"{table.slug}.csv", table_csv(report, table, version=version))
    return buffer.getvalue()

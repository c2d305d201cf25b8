"""The renderers turn one `Report` into the page, CSV, XLSX and PDF with the same numbers; every
format states the parameters, when the data were read and the portal's version.

The report here is a small one of our own (the real report types have their own tests): two
tables, a bar, a line and a choropleth chart, figures of each kind."""

import csv
import datetime
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reports.rendering import charts
from reports.rendering.csv import report_zip, table_csv
from reports.rendering.html import format_value, report_fragment
from reports.rendering.pdf import report_pdf
from reports.rendering.serialization import report_from_dict, report_to_dict
from reports.rendering.xlsx import report_xlsx, sheet_title
from reports.report import Chart, Column, Figure, Parameters, Report, ReportType, Table

pytestmark = pytest.mark.django_db

READ_AT = datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC)
VERSION = "9.8.7"


def sample_report(parameters: Parameters | None = None) -> Report:
    parameters = parameters or Parameters(
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 6, 30),
        region="africa",
        sdg_goal=6,
    )
    by_country = Table(
        slug="needs-by-country",
        title="Needs by country",
        columns=(
            Column("iso3", "ISO3"),
            Column("country", "Country"),
            Column("needs", "Needs", "integer"),
            Column("matched", "Share matched", "percent"),
        ),
        rows=(
            ("KEN", "Kenya", 1234, 0.425),
            ("UGA", "Uganda", 7, 0.0),
            ("FJI", "Fiji", 3, None),
            ("BRA", '=HYPERLINK("http://x")', 2, 1.0),
        ),
        note="A need of two countries counts once under each.",
    )
    by_month = Table(
        slug="needs-by-month",
        title="New needs by month",
        columns=(
            Column("month", "Month", "date"),
            Column("new", "New", "integer"),
            Column("age", "Median age", "days"),
            Column("cost", "Cost", "decimal"),
        ),
        rows=(
            (datetime.date(2026, 1, 1), 5, 12.5, 1.25),
            (datetime.date(2026, 2, 1), 8, 30.0, 2.5),
            (datetime.date(2026, 3, 1), 0, None, 0.0),
        ),
    )
    return Report(
        type_slug="sample",
        title="Sample needs report",
        parameters=parameters,
        read_at=READ_AT,
        figures=(
            Figure("Needs stated", 1246, "integer"),
            Figure("Share with a strong match", 0.3333, "percent"),
            Figure("Median age of open needs (days)", 41.5, "days"),
            Figure("First need", datetime.date(2026, 1, 4), "date"),
        ),
        tables=(by_country, by_month),
        charts=(
            Chart("Needs by country", "bar", "needs-by-country", "country", ("needs",)),
            Chart("New needs by month", "line", "needs-by-month", "month", ("new",)),
            Chart("Map of needs", "choropleth", "needs-by-country", "iso3", ("needs",)),
        ),
        notes=("Drafts are not counted.",),
    )


SAMPLE_TYPE = ReportType(
    slug="sample",
    title="Sample needs report",
    description="A small report of the tests.",
    build=lambda parameters: sample_report(parameters),
    parameters=("period_start", "period_end", "region", "sdg_goal"),
)


def test_a_report_survives_json_unchanged() -> None:
    report = sample_report()
    assert report_from_dict(report_to_dict(report)) == report


def test_values_are_shown_by_kind() -> None:
    assert format_value(1234, "integer") == "1,234"
    assert format_value(0.425, "percent") == "42.5%"
    assert format_value(12.5, "days") == "12.5"
    assert format_value(1.25, "decimal") == "1.25"
    assert format_value(datetime.date(2026, 1, 4), "date") == "2026-01-04"
    assert format_value(None, "integer") == "–"


def test_the_page_shows_parameters_figures_charts_and_tables() -> None:
    html = report_fragment(sample_report(), version=VERSION)
    assert "1,246" in html and "33.3%" in html and "41.5" in html
    assert html.count("<svg") == 3
    assert html.count('<figure class="report-chart-figure') == 3
    # Every row of every table, with its raw value for machines.
    assert 'data-value="1234"' in html and "1,234" in html
    assert 'data-value="0.425"' in html and "42.5%" in html
    assert "&lt;script" not in html and "=HYPERLINK" in html  # escaped text, not markup
    assert "A need of two countries counts once under each." in html


def test_the_choropleth_colours_the_countries_with_values() -> None:
    drawing = charts.world_map()
    assert {"KE", "UG", "BR", "IN", "ZA"} <= set(drawing.shapes)
    assert "FJ" in drawing.dots  # small island states are dots too
    svg = charts.choropleth(
        title="Map",
        values={"KE": ("Kenya", 12), "UG": ("Uganda", 0), "FJ": ("Fiji", 3)},
        formatter=lambda value: format_value(value, "integer"),
    )
    kenya = re.search(r'<path d="[^"]+" fill="(#[0-9a-f]+)"><title>Kenya: 12</title>', svg)
    assert kenya is not None and kenya.group(1) == charts.MAP_CLASSES[-1]
    assert "<title>Uganda: 0</title>" in svg
    assert "<title>Fiji: 3</title></circle>" in svg
    # Countries without a value are grey and have no title.
    assert f'fill="{charts.NO_DATA}"' in svg


def test_a_bar_chart_draws_one_bar_per_value_and_says_when_rows_are_left_out() -> None:
    rows = tuple((f"Country {index}", index) for index in range(45))
    table = Table(
        slug="t",
        title="T",
        columns=(Column("name", "Name"), Column("n", "Count", "integer")),
        rows=rows,
    )
    drawn = charts.draw(
        Chart("Counts", "bar", "t", "name", ("n",)),
        table,
        formatters={"n": str, "name": str},
        countries={},
    )
    assert drawn.svg.count("<rect") == charts.MAX_BARS
    assert "30 of 45" in drawn.note


def test_csv_files_state_the_report_and_hold_every_row() -> None:
    report = sample_report()
    archive = zipfile.ZipFile(io.BytesIO(report_zip(report, version=VERSION)))
    assert sorted(archive.namelist()) == ["needs-by-country.csv", "needs-by-month.csv"]
    text = archive.read("needs-by-country.csv").decode("utf-8-sig")
    assert text == table_csv(report, report.table("needs-by-country"), version=VERSION).decode(
        "utf-8-sig"
    )
    about = [line for line in text.splitlines() if line.startswith("#")]
    assert "# Sample needs report" in about
    assert "# Period: 2026-01-01 to 2026-06-30" in about
    assert "# Regional office: Africa" in about
    assert "# Data read at: 2026-11-20 09:30 UTC" in about
    assert f"# South-South Exchange version {VERSION}" in about
    rows = list(csv.reader(line for line in text.splitlines() if not line.startswith("#")))
    assert rows[0] == ["ISO3", "Country", "Needs", "Share matched"]
    assert rows[1:] == [
        ["KEN", "Kenya", "1234", "0.425"],
        ["UGA", "Uganda", "7", "0.0"],
        ["FJI", "Fiji", "3", ""],
        # A text cell that a spreadsheet would run as a formula is written as text.
        ["BRA", '\'=HYPERLINK("http://x")', "2", "1.0"],
    ]


def test_the_spreadsheet_has_an_about_sheet_and_one_formatted_sheet_per_table() -> None:
    report = sample_report()
    workbook = load_workbook(io.BytesIO(report_xlsx(report, version=VERSION)))
    assert workbook.sheetnames == ["About", "needs-by-country", "needs-by-month"]
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True) if row[0]}
    assert about["Period"] == "2026-01-01 to 2026-06-30"
    assert about["Regional office"] == "Africa"
    assert about["SDG goal"].startswith("6 · ")
    assert about["Data read at"] == "2026-11-20 09:30 UTC"
    assert about["Portal version"] == VERSION
    assert about["Needs stated"] == 1246
    assert about["Share with a strong match"] == pytest.approx(0.3333)

    sheet = workbook["needs-by-country"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert [cell.value for cell in sheet[1]] == ["ISO3", "Country", "Needs", "Share matched"]
    values = [tuple(cell.value for cell in row) for row in sheet.iter_rows(min_row=2)]
    assert values == [tuple(row) for row in report.table("needs-by-country").rows]
    assert sheet["C2"].number_format == "#,##0"
    assert sheet["D2"].number_format == "0.0%"
    assert sheet["B5"].data_type == "s"  # "=HYPERLINK(...)" stays text

    months = workbook["needs-by-month"]
    assert months["A2"].value.date() == datetime.date(2026, 1, 1)
    assert months["A2"].number_format == "yyyy-mm-dd"
    assert months["C2"].number_format == "#,##0.0"
    assert months["D3"].value == 2.5 and months["D3"].number_format == "#,##0.00"


def test_sheet_titles_follow_excel_rules() -> None:
    taken: set[str] = set()
    assert sheet_title("a" * 40, taken) == "a" * 31
    assert sheet_title("a" * 40, taken) == "a" * 29 + "-2"
    assert sheet_title("x/y:z", taken) == "x-y-z"


def test_the_pdf_states_the_report_and_shows_the_numbers() -> None:
    content = report_pdf(sample_report(), version=VERSION)
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    text = re.sub(r"\s+", " ", text)
    for expected in (
        "Sample needs report",
        "2026-01-01 to 2026-06-30",
        "Africa",
        "2026-11-20 09:30 UTC",
        VERSION,
        "1,246",
        "33.3%",
        "1,234",
        "42.5%",
        "New needs by month",
    ):
        assert expected in text, expected
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4


def test_the_pdf_shows_the_first_rows_of_a_long_table_and_says_where_the_rest_is() -> None:
    from reports.rendering.pdf import PDF_ROW_LIMIT

    total = PDF_ROW_LIMIT + 7
    long_table = Table(
        slug="long-list",
        title="Long list",
        columns=(Column("name", "Name"), Column("n", "Number", "integer")),
        rows=tuple((f"row-{index:04d}", index) for index in range(1, total + 1)),
    )
    report = sample_report()
    report = Report(
        type_slug=report.type_slug,
        title=report.title,
        parameters=report.parameters,
        read_at=report.read_at,
        tables=(long_table,),
    )
    reader = PdfReader(io.BytesIO(report_pdf(report, version=VERSION)))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    assert f"row-{PDF_ROW_LIMIT:04d}" in text
    assert f"row-{PDF_ROW_LIMIT + 1:04d}" not in text
    assert (
        f"The first {PDF_ROW_LIMIT:,} of {total:,} rows; the complete table is in the XLSX and CSV."
        in text
    )
    # The other formats keep every row.
    assert f"row-{total:04d}" in report_fragment(report, version=VERSION)
    assert (
        len(load_workbook(io.BytesIO(report_xlsx(report, version=VERSION)))["long-list"]["A"])
        > total
    )

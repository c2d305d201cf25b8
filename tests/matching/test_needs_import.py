"""Bulk registration of needs from a spreadsheet: templates, upload, preview with per-row errors,
confirmation. Valid, partly invalid and hostile files; who may do it; double confirmation.

The fixture files are made here with csv and openpyxl."""

import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog.models import RegionalOffice
from exchange.errors import ApplicationError
from matching import imports
from matching.models import Need
from matching.tasks import needs_import_task
from tests.factories import (
    DraftNeedFactory,
    MembershipFactory,
    OfficerFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/needs/import/"
HEADER = list(imports.COLUMN_NAMES)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NEXT_YEAR = timezone.localdate().year + 1


def need_row(**changes: str) -> dict[str, str]:
    row = {
        "title": "Solar irrigation for smallholder farms",
        "description": "Train extension officers to design and maintain solar pumps.",
        "language": "en",
        "countries": "KEN;UGA",
        "themes": "climate-change",
        "sdg_targets": "7.2;2.4",
        "support_sought": "training;technology-transfer",
        "priority": "high",
        "time_frame": "short",
        "needed_by": f"{NEXT_YEAR}-06-30",
        "origin": "tna",
        "origin_reference": "Kenya TNA report, 2023",
    }
    row.update(changes)
    return row


def csv_bytes(
    rows: list[dict[str, str]], *, header: list[str] = HEADER, delimiter: str = ","
) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue().encode("utf-8")


def csv_file(rows: list[dict[str, str]], name: str = "needs.csv", **kwargs: Any) -> Any:
    return SimpleUploadedFile(name, csv_bytes(rows, **kwargs), content_type="text/csv")


def xlsx_bytes(rows: list[list[Any]], *, header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_file(rows: list[dict[str, Any]], name: str = "needs.xlsx") -> Any:
    cells = [[row.get(column) for column in HEADER] for row in rows]
    return SimpleUploadedFile(name, xlsx_bytes(cells), content_type=XLSX_TYPE)


def raw_file(name: str, content: bytes) -> Any:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def token_of(response: Any) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    prefix = UPLOAD_URL
    location = response["Location"]
    assert location.startswith(prefix) and location.endswith("/"), location
    return str(location[len(prefix) : -1])


def preview_url(token: str) -> str:
    return reverse("needs_import:preview", args=[token])


def confirm_url(token: str) -> str:
    return reverse("needs_import:confirm", args=[token])


def done_url(token: str) -> str:
    return reverse("needs_import:done", args=[token])


def confirm(client: Client, token: str, rows: str = "all", **extra: str) -> Any:
    """Post the confirmation. The import task it queues runs once the request's transaction
    commits; here, when the post returns (Celery runs eagerly in tests)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(confirm_url(token), {"rows": rows, **extra})


def followed(client: Client, response: Any) -> Any:
    """The page a confirmation redirects to, after the import it queued has run."""
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"], follow=True)


def stored_files() -> list[str]:
    directory = Path(imports._uploads_dir())
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.MEDIA_ROOT = tmp_path / "media"
    yield settings.MEDIA_ROOT


@pytest.fixture
def africa() -> RegionalOffice:
    return RegionalOffice.objects.get(code=RegionalOffice.Code.AFRICA)


@pytest.fixture
def officer() -> User:
    user: User = OfficerFactory()
    return user


@pytest.fixture
def officer_client(client: Client, officer: User) -> Client:
    client.force_login(officer)
    return client


def upload(client: Client, file: Any, **data: Any) -> Any:
    return client.post(UPLOAD_URL, {"file": file, **data})


def file_error(response: Any) -> str:
    """The message shown for a refused file (the page escapes it, as it should)."""
    assert response.status_code == 400
    return str(response.context["file_error"])


# Valid files -----------------------------------------------------------------------------------


def test_officer_imports_a_valid_csv_as_drafts_of_their_office(
    officer_client: Client, officer: User, africa: RegionalOffice
) -> None:
    rows = [need_row(), need_row(title="Drought early warning", countries="ETH", themes="")]
    response = upload(officer_client, csv_file(rows))
    token = token_of(response)
    assert Need.objects.count() == 0  # nothing is saved by the upload

    preview = officer_client.get(preview_url(token))
    assert preview.status_code == 200
    content = preview.content.decode()
    assert "Every row is valid." in content
    assert "Import the 2 needs as drafts" in content

    confirmed = confirm(officer_client, token)
    assert confirmed.status_code == 302
    assert confirmed["Location"] == done_url(token)

    needs = list(Need.objects.order_by("pk"))
    assert [n.title for n in needs] == [
        "Solar irrigation for smallholder farms",
        "Drought early warning",
    ]
    first, second = needs
    assert first.description == "Train extension officers to design and maintain solar pumps."
    assert first.status == Need.Status.DRAFT
    assert first.created_by == officer
    assert first.regional_office == africa
    assert first.language == "en"
    assert first.priority == "high"
    assert first.time_frame == "short"
    assert first.needed_by == datetime.date(NEXT_YEAR, 6, 30)
    assert first.origin == "tna"
    assert first.origin_reference == "Kenya TNA report, 2023"
    assert sorted(first.countries.values_list("iso3", flat=True)) == ["KEN", "UGA"]
    assert list(first.themes.values_list("code", flat=True)) == ["climate-change"]
    assert sorted(first.sdg_targets.values_list("code", flat=True)) == ["2.4", "7.2"]
    assert sorted(first.sdg_goals.values_list("number", flat=True)) == [2, 7]
    assert sorted(first.support_kinds.values_list("code", flat=True)) == [
        "technology-transfer",
        "training",
    ]
    assert list(second.countries.values_list("iso3", flat=True)) == ["ETH"]
    assert second.themes.count() == 0

    done = officer_client.get(done_url(token))
    assert done.status_code == 200
    assert "2 needs from “needs.csv” were saved as drafts." in done.content.decode()
    assert "Drought early warning" in done.content.decode()


def test_officer_imports_a_valid_xlsx_with_dates_and_numbers_in_cells(
    officer_client: Client, officer: User
) -> None:
    rows: list[dict[str, Any]] = [
        need_row(),
        # Cells as a spreadsheet program types them: a real date, a target as a number.
        {
            **need_row(title="Mangrove restoration", countries="MOZ", sdg_targets="14.2"),
            "needed_by": datetime.datetime(NEXT_YEAR, 3, 1),  # noqa: DTZ001 (cells are naive)
        },
        {**need_row(title="Clean cooking", countries="GHA"), "sdg_targets": 7.1},
    ]
    token = token_of(upload(officer_client, xlsx_file(rows)))
    response = confirm(officer_client, token)
    assert response.status_code == 302
    needs = {need.title: need for need in Need.objects.all()}
    assert len(needs) == 3
    assert needs["Mangrove restoration"].needed_by == datetime.date(NEXT_YEAR, 3, 1)
    assert list(needs["Clean cooking"].sdg_targets.values_list("code", flat=True)) == ["7.1"]
    assert all(n.status == Need.Status.DRAFT and n.created_by == officer for n in needs.values())


def test_csv_with_byte_order_mark_semicolons_and_header_in_another_order_is_read(
    officer_client: Client,
) -> None:
    header = list(reversed(HEADER))
    header[header.index("support_sought")] = "Support sought"
    content = "\ufeff".encode() + csv_bytes(
        [{**need_row(), "Support sought": "training"}], header=header, delimiter=";"
    )
    token = token_of(upload(officer_client, raw_file("needs.csv", content)))
    confirm(officer_client, token)
    need = Need.objects.get()
    assert list(need.support_kinds.values_list("code", flat=True)) == ["training"]
    assert sorted(need.countries.values_list("iso3", flat=True)) == ["KEN", "UGA"]


def test_optional_columns_may_be_left_out_and_take_defaults(officer_client: Client) -> None:
    header = ["title", "description", "language", "countries", "support_sought", "origin"]
    token = token_of(upload(officer_client, csv_file([need_row()], header=header)))
    confirm(officer_client, token)
    need = Need.objects.get()
    assert (need.priority, need.time_frame, need.needed_by) == ("medium", "medium", None)
    assert need.themes.count() == 0 and need.sdg_targets.count() == 0


def test_imported_needs_have_a_history_record_by_the_importer(
    officer_client: Client, officer: User
) -> None:
    token = token_of(upload(officer_client, csv_file([need_row(support_sought="training")])))
    confirm(officer_client, token)
    need = Need.objects.get()
    [record] = need.history.all()  # one version, with its relations, not one per relation
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        officer,
        "Imported from a spreadsheet",
    )
    assert sorted(link.country.iso3 for link in record.countries.all()) == ["KEN", "UGA"]
    assert [link.supportkind.code for link in record.support_kinds.all()] == ["training"]


# Templates -------------------------------------------------------------------------------------


def test_csv_template_is_the_header_row(officer_client: Client) -> None:
    response = officer_client.get(reverse("needs_import:template_csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="needs-import-template.csv"'
    assert (
        response.content
        == (
            "\ufefftitle,description,language,countries,themes,sdg_targets,support_sought,"
            "priority,time_frame,needed_by,origin,origin_reference\r\n"
        ).encode()
    )


def test_xlsx_template_has_the_header_codes_of_the_officers_office_and_an_example(
    officer_client: Client,
) -> None:
    response = officer_client.get(reverse("needs_import:template_xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Needs", "Codes"]
    needs = workbook["Needs"]
    assert [cell.value for cell in needs[1]] == HEADER
    # Typed as text: 8.10 stays 8.10.
    assert needs.column_dimensions["F"].number_format == "@"
    codes = [[cell.value for cell in row] for row in workbook["Codes"].iter_rows()]
    assert codes[1][:12] == HEADER
    firsts = [row[0] for row in codes]
    assert "KEN" in firsts and "THA" not in firsts  # only the Africa office's countries
    for code in ("climate-change", "13.2", "8.10", "training", "tna", "high", "short", "zh"):
        assert code in firsts, code


def test_staff_template_lists_the_countries_of_every_office(client: Client) -> None:
    staff: User = StaffUserFactory()
    client.force_login(staff)
    response = client.get(reverse("needs_import:template_xlsx"))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    firsts = [row[0].value for row in workbook["Codes"].iter_rows()]
    assert "KEN" in firsts and "THA" in firsts and "BRA" in firsts


def test_the_example_row_of_the_template_imports_as_it_is(officer_client: Client) -> None:
    template = officer_client.get(reverse("needs_import:template_xlsx")).content
    workbook = openpyxl.load_workbook(io.BytesIO(template))
    example = [cell.value for cell in workbook["Codes"][3]][: len(HEADER)]
    workbook["Needs"].append(example)
    out = io.BytesIO()
    workbook.save(out)
    token = token_of(upload(officer_client, raw_file("filled.xlsx", out.getvalue())))
    assert "Every row is valid." in officer_client.get(preview_url(token)).content.decode()
    confirm(officer_client, token)
    need = Need.objects.get()
    assert need.title == example[0]
    assert need.countries.count() == 2


def test_template_cells_that_would_run_as_formulas_are_written_as_text() -> None:
    assert imports._safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert imports._safe("+1") == "'+1"
    assert imports._safe("-1") == "'-1"
    assert imports._safe("@SUM(A1)") == "'@SUM(A1)"
    assert imports._safe("Kenya") == "Kenya"


# Partly invalid files -------------------------------------------------------------------------


def test_preview_shows_each_rows_errors_and_confirm_imports_exactly_the_valid_rows(
    officer_client: Client,
) -> None:
    rows = [
        need_row(title="Valid one"),
        need_row(title="Bad date", needed_by="31/12/2030"),
        need_row(title="Unknown codes", countries="KEN;XXX", themes="oceans"),
        need_row(title="Valid two", countries="SEN"),
        need_row(title="x" * 301),
        need_row(title="No support", support_sought="", language="english"),
    ]
    token = token_of(upload(officer_client, csv_file(rows)))
    assert Need.objects.count() == 0
    stored = imports.upload_load(token, by=User.objects.get())
    assert stored is not None
    errors = {row.number: [(e.column, e.message) for e in row.errors] for row in stored.rows}
    assert errors == {
        2: [],
        3: [
            ("needed_by", "“31/12/2030” is not a date. Write dates as YYYY-MM-DD, e.g. 2027-06-30.")
        ],
        4: [
            (
                "countries",
                "Unknown code(s): XXX. Use the codes listed on the Codes sheet of the template.",
            ),
            (
                "themes",
                "Unknown code(s): oceans. Use the codes listed on the Codes sheet of the template.",
            ),
        ],
        5: [],
        6: [("title", "Ensure this value has at most 300 characters (it has 301).")],
        7: [
            ("support_sought", "Required: this cell is empty."),
            (
                "language",
                "“english” is not allowed here; write one of: en, fr, es, ar, ru, zh, pt.",
            ),
        ],
    }

    content = officer_client.get(preview_url(token)).content.decode()
    assert "4 rows have errors." in content
    assert "Import the 2 valid rows" in content
    assert "<strong>needed_by</strong>: “31/12/2030” is not a date." in content
    assert 'name="rows" value="all"' not in content

    # "Import all" is not offered, and refused when posted.
    refused = confirm(officer_client, token)
    assert refused.status_code == 302 and refused["Location"] == preview_url(token)
    assert Need.objects.count() == 0

    response = confirm(officer_client, token, "valid")
    assert response.status_code == 302
    assert sorted(Need.objects.values_list("title", flat=True)) == ["Valid one", "Valid two"]


def test_a_file_with_no_valid_row_offers_no_import(officer_client: Client) -> None:
    token = token_of(upload(officer_client, csv_file([need_row(countries="")])))
    content = officer_client.get(preview_url(token)).content.decode()
    assert "1 row has errors." in content
    assert "<strong>countries</strong>: Required: this cell is empty." in content
    assert 'name="rows"' not in content
    response = confirm(officer_client, token, "valid")
    assert response.status_code == 302 and response["Location"] == preview_url(token)
    assert Need.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        (
            {"needed_by": "2030-02-30"},
            "needed_by",
            "“2030-02-30” is not a date. Write dates as YYYY-MM-DD, e.g. 2027-06-30.",
        ),
        (
            {"priority": "urgent"},
            "priority",
            "“urgent” is not allowed here; write one of: high, medium, low.",
        ),
        (
            {"origin": "tnaa"},
            "origin",
            "“tnaa” is not allowed here; write one of: tna, ndc, nap, national-communication, "
            "nbsap, regional-consultation, government-request, other.",
        ),
        ({"description": ""}, "description", "Required: this cell is empty."),
        (
            {"support_sought": "money"},
            "support_sought",
            "Unknown code(s): money. Use the codes listed on the Codes sheet of the template.",
        ),
        (
            {"sdg_targets": "6.1;99.9"},
            "sdg_targets",
            "Unknown code(s): 99.9. Use the codes listed on the Codes sheet of the template.",
        ),
        (
            {"origin_reference": "r" * 301},
            "origin_reference",
            "Ensure this value has at most 300 characters (it has 301).",
        ),
    ],
)
def test_malformed_cells_are_explained_by_column(
    officer_client: Client, changes: dict[str, str], column: str, message: str
) -> None:
    token = token_of(upload(officer_client, csv_file([need_row(**changes)])))
    stored = imports.upload_load(token, by=User.objects.get())
    assert stored is not None
    assert [(e.column, e.message) for e in stored.rows[0].errors] == [(column, message)]


def test_a_date_that_is_not_after_today_is_refused_as_in_the_guided_form(
    officer_client: Client,
) -> None:
    token = token_of(upload(officer_client, csv_file([need_row(needed_by="2020-01-31")])))
    stored = imports.upload_load(token, by=User.objects.get())
    assert stored is not None
    [error] = stored.rows[0].errors
    assert error.column == "needed_by"
    assert error.message.startswith("The date the support is needed by must be after today")


def test_a_target_typed_as_a_number_that_could_be_another_target_is_refused(
    officer_client: Client,
) -> None:
    # 8.10 typed into a number cell is stored as 8.1.
    rows = [{**need_row(), "sdg_targets": 8.10}]
    token = token_of(upload(officer_client, xlsx_file(rows)))
    stored = imports.upload_load(token, by=User.objects.get())
    assert stored is not None
    assert [(e.column, e.message) for e in stored.rows[0].errors] == [
        (
            "sdg_targets",
            "“8.1” was typed as a number, so it could also be 8.10. Format the column as text "
            "and type the target again.",
        )
    ]


def test_duplicate_rows_within_the_file_are_errors_on_the_repeated_row(
    officer_client: Client,
) -> None:
    rows = [
        need_row(),
        need_row(title="Another need"),
        need_row(title="  solar IRRIGATION for smallholder   farms ", countries="UGA;KEN"),
    ]
    token = token_of(upload(officer_client, csv_file(rows)))
    stored = imports.upload_load(token, by=User.objects.get())
    assert stored is not None
    assert [[e.message for e in row.errors] for row in stored.rows] == [
        [],
        [],
        [
            "Same title and countries as row 2: the need is in the file twice. Delete one of "
            "the two rows."
        ],
    ]


def test_a_row_repeating_a_need_of_the_office_is_an_error(
    officer_client: Client, africa: RegionalOffice
) -> None:
    DraftNeedFactory(title="Solar irrigation for smallholder farms", regional_office=africa)
    token = token_of(upload(officer_client, csv_file([need_row()])))
    stored = imports.upload_load(token, by=User.objects.get(regional_office=africa))
    assert stored is not None
    assert [(e.column, e.message) for e in stored.rows[0].errors] == [
        (
            "title",
            "Your regional office already has a need with this title. If this is another need, "
            "give it another title; otherwise delete this row.",
        )
    ]


def test_uploading_the_same_file_again_after_importing_it_flags_every_row(
    officer_client: Client,
) -> None:
    token = token_of(upload(officer_client, csv_file([need_row()])))
    confirm(officer_client, token)
    again = token_of(upload(officer_client, csv_file([need_row()])))
    assert "1 row has errors." in officer_client.get(preview_url(again)).content.decode()
    assert Need.objects.count() == 1


def test_values_beyond_the_header_are_an_error_of_the_row(officer_client: Client) -> None:
    content = csv_bytes([need_row()]).replace(b'2023"\r\n', b'2023",surprise\r\n')
    token = token_of(upload(officer_client, raw_file("needs.csv", content)))
    stored = imports.upload_load(token, by=User.objects.get())
    assert stored is not None
    assert [e.message for e in stored.rows[0].errors] == [
        "Cell 13 has a value but no column name in the header row."
    ]


# Hostile and broken files ----------------------------------------------------------------------


def assert_nothing_saved() -> None:
    assert Need.objects.count() == 0
    assert Need.history.count() == 0
    assert [name for name in stored_files() if name.endswith(".json")] == []


def test_html_and_script_in_text_are_stored_as_text_and_shown_escaped(
    officer_client: Client,
) -> None:
    title = '<script>alert("x")</script><b>Water</b>'
    description = '<img src=x onerror="alert(1)"> Clean water'
    token = token_of(
        upload(officer_client, csv_file([need_row(title=title, description=description)]))
    )
    content = officer_client.get(preview_url(token)).content.decode()
    assert "<script>alert" not in content and "<b>Water" not in content
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;Water&lt;/b&gt;" in content
    confirm(officer_client, token)
    need = Need.objects.get()
    assert (need.title, need.description) == (title, description)
    done = officer_client.get(done_url(token)).content.decode()
    assert "<script>alert" not in done and "&lt;script&gt;" in done


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"]
)
def test_csv_cells_that_spreadsheets_run_as_formulas_are_errors(
    officer_client: Client, cell: str
) -> None:
    token = token_of(upload(officer_client, csv_file([need_row(title=cell)])))
    stored = imports.upload_load(token, by=User.objects.get())
    assert stored is not None
    assert [(e.column, e.message) for e in stored.rows[0].errors] == [
        (
            "title",
            f"Starts with “{cell[0]}”, which spreadsheet programs run as a formula. Type the "
            "value itself, starting with a letter or a digit.",
        )
    ]


def test_xlsx_formula_cells_are_not_evaluated_but_refused(officer_client: Client) -> None:
    # openpyxl writes a string starting with "=" as a formula cell.
    rows = [need_row(description="=1+1"), need_row(title="Fine", countries="=WEBSERVICE(1)")]
    token = token_of(upload(officer_client, xlsx_file(rows)))
    stored = imports.upload_load(token, by=User.objects.get())
    assert stored is not None
    assert [[(e.column, e.message[:16]) for e in row.errors] for row in stored.rows] == [
        [("description", "Starts with “=”,")],
        [("countries", "Starts with “=”,")],
    ]
    assert confirm(officer_client, token, "valid").status_code == 302
    assert Need.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "report.csv",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n",
            "“report.csv” is not a CSV file: its content is a PDF document. Save the sheet as "
            "“CSV UTF-8” (.csv) or upload the .xlsx workbook itself.",
        ),
        (
            "needs.xlsx",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
            "“needs.xlsx” is not an Excel workbook: its content is a PNG image.",
        ),
        (
            "needs.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
            "“needs.csv” is not a CSV file: its content is a PNG image. Save the sheet as "
            "“CSV UTF-8” (.csv) or upload the .xlsx workbook itself.",
        ),
        ("needs.csv", b"", "The file “needs.csv” is empty."),
        ("needs.csv", b"  \r\n\r\n", "The file “needs.csv” is empty."),
        (
            "needs.txt",
            b"title,description\n",
            "“needs.txt” is not a CSV (.csv) or Excel (.xlsx) file. Download the template, fill "
            "it in and upload it as .xlsx, or save it as “CSV UTF-8” (.csv).",
        ),
        (
            "old.csv",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
            "“old.csv” is not a CSV file: its content is an old Excel (.xls) file or a "
            "password-protected workbook. Save the sheet as “CSV UTF-8” (.csv) or upload the "
            ".xlsx workbook itself.",
        ),
        (
            "latin1.csv",
            ",".join(HEADER).encode() + "\nCaf\u00e9 des \u00e9nergies,x,en\n".encode("latin-1"),
            "“latin1.csv” is not UTF-8 text. In your spreadsheet program, save it as “CSV UTF-8” "
            "and upload it again.",
        ),
        (
            "quote.csv",
            ",".join(HEADER).encode() + b'\n"Unfinished quote,x,en\n',
            "Row 2 of “quote.csv” cannot be read as CSV (unexpected end of data).",
        ),
        (
            "header.csv",
            ",".join(HEADER).encode() + b"\n",
            "“header.csv” has a header row but no needs below it.",
        ),
        (
            "long.csv",
            ",".join(HEADER).encode() + b"\nt," + b"d" * 200_000 + b",en\n",
            "Row 2 of “long.csv” cannot be read as CSV (field larger than field limit (131072)).",
        ),
    ],
)
def test_files_that_are_not_a_usable_csv_or_xlsx_are_refused_with_a_message(
    officer_client: Client, name: str, content: bytes, message: str
) -> None:
    response = upload(officer_client, raw_file(name, content))
    assert file_error(response) == message
    assert "The file was not imported" in response.content.decode()
    assert_nothing_saved()


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_zip_that_is_not_a_workbook_is_refused(officer_client: Client) -> None:
    response = upload(officer_client, raw_file("needs.xlsx", _zip({"readme.txt": b"hello"})))
    assert file_error(response) == "“needs.xlsx” is a zip archive but not an Excel workbook."
    assert_nothing_saved()


def test_a_damaged_workbook_is_refused(officer_client: Client) -> None:
    content = xlsx_bytes([[*need_row().values()]])
    response = upload(officer_client, raw_file("needs.xlsx", content[: len(content) // 2]))
    assert file_error(response) == (
        "“needs.xlsx” cannot be read as an Excel workbook: it is damaged or not an XLSX file. "
        "Open it in your spreadsheet program and save it again as .xlsx."
    )
    assert_nothing_saved()


def test_a_zip_bomb_is_refused_from_its_declared_size_before_unpacking(
    officer_client: Client,
) -> None:
    bomb = _zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"0" * (60 * 1024 * 1024),
        }
    )
    assert len(bomb) < 200_000
    response = upload(officer_client, raw_file("bomb.xlsx", bomb))
    assert file_error(response) == (
        "“bomb.xlsx” unpacks to 60 MB, more than the 50 MB an import takes. Remove images and "
        "unused sheets, or split the needs into several files."
    )
    assert_nothing_saved()


def test_a_file_over_the_size_limit_is_refused(officer_client: Client, settings: Any) -> None:
    settings.NEEDS_IMPORT_MAX_BYTES = 1024 * 1024
    rows = [need_row(title=f"Need {i}", description="d" * 1000) for i in range(1100)]
    content = csv_bytes(rows)
    assert len(content) > 1024 * 1024
    response = upload(officer_client, raw_file("big.csv", content))
    assert file_error(response) == (
        "“big.csv” is larger than 1 MB, the most an import takes. Split it into smaller files."
    )
    assert_nothing_saved()


def test_a_csv_of_100000_rows_is_refused(officer_client: Client) -> None:
    lines = [",".join(HEADER)] + [f"t{i},d,en,KEN,,,training,,,,tna," for i in range(100_000)]
    content = "\n".join(lines).encode()
    assert len(content) < 5 * 1024 * 1024  # under the size limit: the row limit refuses it
    response = upload(officer_client, raw_file("huge.csv", content))
    assert file_error(response) == (
        "“huge.csv” has more than 2000 rows, the most an import takes. Split it into files of "
        "at most 2000 needs."
    )
    assert_nothing_saved()


def test_an_xlsx_of_100000_rows_is_refused(officer_client: Client) -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for i in range(100_000):
        sheet.append([f"t{i}", "d"])
    out = io.BytesIO()
    workbook.save(out)
    response = upload(officer_client, raw_file("huge.xlsx", out.getvalue()))
    assert "has more than 2000 rows" in file_error(response)
    assert_nothing_saved()


def test_a_sheet_of_blank_rows_is_refused_without_reading_them_all(
    officer_client: Client,
) -> None:
    content = ",".join(HEADER).encode() + b"\n" + b",,,\n" * 30_000 + b"t,d,en,KEN\n"
    assert "has more than 2000 rows" in file_error(
        upload(officer_client, raw_file("b.csv", content))
    )
    assert_nothing_saved()


def test_the_row_limit_counts_needs_not_blank_rows(
    officer_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    rows = [need_row(title=f"Need {i}", countries="KEN") for i in range(3)]
    content = csv_bytes(rows).replace(b"\r\n", b"\r\n,,,\r\n")
    token = token_of(upload(officer_client, raw_file("needs.csv", content)))
    stored = imports.upload_load(token, by=User.objects.get())
    assert stored is not None
    assert [row.number for row in stored.rows] == [3, 5, 7]  # numbers as the sheet shows them
    too_many = csv_bytes([*rows, need_row(title="Need 4")])
    assert "has more than 3 rows" in file_error(upload(officer_client, raw_file("n.csv", too_many)))


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (
            [c for c in HEADER if c not in ("countries", "origin")],
            "missing columns: countries, origin",
        ),
        ([*HEADER, "budget"], "unknown columns: budget"),
        ([*HEADER, "title"], "repeated columns: title"),
        (
            ["Title of the need", *HEADER[1:]],
            "missing columns: title; unknown columns: title_of_the_need",
        ),
    ],
)
def test_wrong_or_missing_header_columns_are_refused(
    officer_client: Client, header: list[str], problem: str
) -> None:
    for file in (
        csv_file([need_row()], header=header),
        raw_file(
            "needs.xlsx", xlsx_bytes([[need_row().get(c, "") for c in header]], header=header)
        ),
    ):
        response = upload(officer_client, file)
        assert file_error(response) == (
            f"The first row of “{file.name}” must name the columns of the template ({problem}). "
            f"The columns are: {', '.join(HEADER)}."
        )
    assert_nothing_saved()


def test_a_file_without_a_header_row_is_refused(officer_client: Client) -> None:
    content = "\n".join([",".join(need_row().values())]).encode()
    assert "must name the columns of the template" in file_error(
        upload(officer_client, raw_file("needs.csv", content))
    )
    assert_nothing_saved()


def test_an_upload_without_a_file_is_refused(officer_client: Client) -> None:
    response = officer_client.post(UPLOAD_URL, {})
    assert response.status_code == 400
    assert response.context["form"].errors == {"file": ["This field is required."]}
    assert_nothing_saved()


# Permissions ----------------------------------------------------------------------------------


def _stored_token(owner: User) -> str:
    client = Client()
    client.force_login(owner)
    return token_of(upload(client, csv_file([need_row()])))


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_users_are_sent_to_log_in(client: Client, method: str, officer: User) -> None:
    token = _stored_token(officer)
    for url in (
        UPLOAD_URL,
        reverse("needs_import:template_csv"),
        reverse("needs_import:template_xlsx"),
        preview_url(token),
        confirm_url(token),
        done_url(token),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url
    assert Need.objects.count() == 0


def test_partners_are_forbidden_every_import_page(client: Client, officer: User) -> None:
    token = _stored_token(officer)
    partner: User = MembershipFactory().user
    client.force_login(partner)
    for url in (
        UPLOAD_URL,
        reverse("needs_import:template_csv"),
        reverse("needs_import:template_xlsx"),
        preview_url(token),
        done_url(token),
    ):
        assert client.get(url).status_code == 403, url
    assert upload(client, csv_file([need_row()])).status_code == 403
    assert confirm(client, token).status_code == 403
    assert Need.objects.count() == 0
    assert len([n for n in stored_files() if n.endswith(".json")]) == 1  # the officer's only


def test_officer_cannot_import_countries_of_another_office(client: Client) -> None:
    asia = RegionalOffice.objects.get(code=RegionalOffice.Code.ASIA_PACIFIC)
    asia_officer: User = OfficerFactory(regional_office=asia)
    client.force_login(asia_officer)
    rows = [need_row(countries="KEN;THA"), need_row(title="Thai need", countries="THA")]
    token = token_of(upload(client, csv_file(rows)))
    stored = imports.upload_load(token, by=User.objects.get())
    assert stored is not None
    assert [[(e.column, e.message) for e in row.errors] for row in stored.rows] == [
        [
            (
                "countries",
                "Kenya (KEN): not a country of the Asia and the Pacific regional office, for "
                "which this file is imported. Register these needs through their own regional "
                "office.",
            )
        ],
        [],
    ]
    confirm(client, token, "valid")
    assert list(Need.objects.values_list("title", "regional_office")) == [("Thai need", asia.pk)]


def test_officer_cannot_choose_another_office_by_posting_one(
    officer_client: Client, africa: RegionalOffice
) -> None:
    asia = RegionalOffice.objects.get(code=RegionalOffice.Code.ASIA_PACIFIC)
    response = upload(officer_client, csv_file([need_row()]), regional_office=asia.pk)
    token = token_of(response)
    confirm(officer_client, token)
    assert Need.objects.get().regional_office == africa


def test_staff_choose_the_office_they_import_for(client: Client) -> None:
    staff: User = StaffUserFactory()
    client.force_login(staff)
    form = client.get(UPLOAD_URL).content.decode()
    assert 'name="regional_office"' in form
    missing = upload(client, csv_file([need_row()]))
    assert missing.status_code == 400
    assert missing.context["form"].errors == {"regional_office": ["This field is required."]}

    asia = RegionalOffice.objects.get(code=RegionalOffice.Code.ASIA_PACIFIC)
    rows = [need_row(title="Thai need", countries="THA"), need_row(countries="KEN")]
    token = token_of(upload(client, csv_file(rows), regional_office=asia.pk))
    confirm(client, token, "valid")
    need = Need.objects.get()
    assert (need.title, need.regional_office, need.created_by) == ("Thai need", asia, staff)


def test_officers_do_not_see_an_office_field(officer_client: Client) -> None:
    content = officer_client.get(UPLOAD_URL).content.decode()
    assert 'name="regional_office"' not in content
    assert 'name="file"' in content


def test_an_upload_of_another_user_is_not_found_and_cannot_be_confirmed(
    client: Client, officer: User
) -> None:
    token = _stored_token(officer)
    colleague: User = OfficerFactory()  # same office, another person
    client.force_login(colleague)
    assert client.get(preview_url(token)).status_code == 404
    assert confirm(client, token).status_code == 404
    assert client.get(done_url(token)).status_code == 404
    assert Need.objects.count() == 0
    assert imports.upload_load(token, by=officer) is not None  # still the owner's to confirm


def test_the_stored_upload_is_not_named_by_the_token_in_the_address(
    officer_client: Client,
) -> None:
    token = token_of(upload(officer_client, csv_file([need_row()])))
    [name] = stored_files()
    assert name.endswith(".json") and token not in name


def test_an_unknown_or_malformed_token_is_not_found(officer_client: Client) -> None:
    for token in ("a" * 43, "short", "..-..-" * 8, "%2e%2e%2fsecret"):
        assert officer_client.get(f"{UPLOAD_URL}{token}/").status_code == 404
        response = officer_client.post(f"{UPLOAD_URL}{token}/confirm/", {"rows": "all"})
        assert response.status_code == 404
    assert Need.objects.count() == 0


def test_an_upload_expires(officer_client: Client, officer: User) -> None:
    token = token_of(upload(officer_client, csv_file([need_row()])))
    later = timezone.now() + imports.UPLOAD_LIFETIME + datetime.timedelta(minutes=1)
    with time_machine.travel(later):
        officer_client.force_login(officer)  # the session has expired too
        assert officer_client.get(preview_url(token)).status_code == 404
        assert confirm(officer_client, token).status_code == 404
    assert Need.objects.count() == 0


# Confirmation: the import runs in a task -------------------------------------------------------


def test_confirming_queues_the_import_and_the_status_page_refreshes_until_it_is_done(
    officer_client: Client, officer: User
) -> None:
    token = token_of(upload(officer_client, csv_file([need_row(), need_row(title="Two")])))
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        response = officer_client.post(confirm_url(token), {"rows": "all"})
    assert response.status_code == 302 and response["Location"] == done_url(token)
    assert len(queued) == 1  # the task, sent once the request's transaction commits
    assert Need.objects.count() == 0

    importing = officer_client.get(done_url(token))
    assert importing.status_code == 200
    content = importing.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in content
    assert '<h1 id="import-status-heading">Importing…</h1>' in content
    assert (
        "2 needs from “needs.csv” are being saved as drafts of the Africa regional office."
        in content
    )
    # While it is queued the preview leads to the status, and a second click queues nothing.
    preview = officer_client.get(preview_url(token))
    assert preview.status_code == 302 and preview["Location"] == done_url(token)
    with TestCase.captureOnCommitCallbacks(execute=False) as again:
        response = officer_client.post(confirm_url(token), {"rows": "all"})
    assert response["Location"] == done_url(token) and again == []

    queued[0]()  # the transaction commits: the task runs (eagerly)
    done = officer_client.get(done_url(token))
    content = done.content.decode()
    assert 'http-equiv="refresh"' not in content
    assert "2 needs from “needs.csv” were saved as drafts." in content
    for need in Need.objects.all():
        assert f'<a href="/needs/{need.pk}/" lang="en" dir="auto">{need.title}</a>' in content
    assert '<a href="/needs/mine/">My needs</a>' in content
    stored = imports.upload_load(token, by=officer)
    assert stored is not None and stored.status == imports.UploadStatus.IMPORTED
    assert stored.imported_ids == sorted(Need.objects.values_list("pk", flat=True))


def test_the_status_of_a_file_not_yet_confirmed_is_its_preview(officer_client: Client) -> None:
    token = token_of(upload(officer_client, csv_file([need_row()])))
    response = officer_client.get(done_url(token))
    assert response.status_code == 302 and response["Location"] == preview_url(token)


def test_a_confirmation_posted_twice_imports_once(officer_client: Client) -> None:
    token = token_of(upload(officer_client, csv_file([need_row(), need_row(title="Two")])))
    first = confirm(officer_client, token)
    second = confirm(officer_client, token)
    assert first.status_code == 302
    assert second.status_code == 302 and second["Location"] == done_url(token)
    page = followed(officer_client, second).content.decode()
    assert "This file has already been imported; nothing was added." in page
    assert Need.objects.count() == 2
    # The preview of an imported file leads to its result.
    preview = officer_client.get(preview_url(token))
    assert preview.status_code == 302 and preview["Location"] == done_url(token)


def test_a_confirmation_racing_another_one_imports_nothing(
    officer_client: Client, officer: User
) -> None:
    token = token_of(upload(officer_client, csv_file([need_row()])))
    stored = imports.upload_load(token, by=officer)
    assert stored is not None
    assert imports.upload_claim(stored)  # another request is queueing it right now
    response = confirm(officer_client, token)
    page = followed(officer_client, response).content.decode()
    assert "This file is already being imported; it will be imported once." in page
    assert "Importing…" in page and '<meta http-equiv="refresh" content="2">' in page
    assert Need.objects.count() == 0


def test_the_import_task_run_twice_imports_once(officer_client: Client, officer: User) -> None:
    token = token_of(upload(officer_client, csv_file([need_row(), need_row(title="Two")])))
    confirm(officer_client, token)
    ids = sorted(Need.objects.values_list("pk", flat=True))
    assert len(ids) == 2

    assert needs_import_task.delay(token).get() == "imported"  # a redelivered message

    assert sorted(Need.objects.values_list("pk", flat=True)) == ids
    assert Need.history.count() == 2
    stored = imports.upload_load(token, by=officer)
    assert stored is not None and stored.imported_ids == ids


def test_a_run_after_one_that_died_before_recording_its_import_finds_the_needs(
    officer_client: Client, officer: User, africa: RegionalOffice
) -> None:
    token = token_of(upload(officer_client, csv_file([need_row(), need_row(title="Two")])))
    officer_client.post(confirm_url(token), {"rows": "all"})  # queued; the task is not run
    stored = imports.upload_load(token, by=officer)
    assert stored is not None and stored.status == imports.UploadStatus.QUEUED
    # A first run committed the needs, then its worker died before writing the result down.
    made = imports.needs_import(rows=stored.valid_rows, by=officer, office=africa, key=stored.key)

    assert needs_import_task.delay(token).get() == "imported"

    assert sorted(Need.objects.values_list("pk", flat=True)) == sorted(n.pk for n in made)
    stored = imports.upload_load(token, by=officer)
    assert stored is not None
    assert stored.imported_ids == sorted(n.pk for n in made)
    assert "2 needs from “needs.csv” were saved as drafts." in (
        officer_client.get(done_url(token)).content.decode()
    )


def test_the_same_rows_cannot_be_created_twice_for_one_upload(
    officer_client: Client, officer: User, africa: RegionalOffice
) -> None:
    """The database refuses what a second, simultaneous run would create (unique tokens)."""
    token = token_of(upload(officer_client, csv_file([need_row()])))
    stored = imports.upload_load(token, by=officer)
    assert stored is not None
    imports.needs_import(rows=stored.valid_rows, by=officer, office=africa, key=stored.key)
    Need.objects.update(title="Renamed, so that validation does not stop the second run")
    with pytest.raises(IntegrityError):
        imports.needs_import(rows=stored.valid_rows, by=officer, office=africa, key=stored.key)


def test_an_import_queued_for_too_long_can_be_queued_again_and_imports_once(
    officer_client: Client, officer: User
) -> None:
    token = token_of(upload(officer_client, csv_file([need_row()])))
    officer_client.post(confirm_url(token), {"rows": "all"})  # its message is lost
    later = timezone.now() + imports.upload_stalled_after() + datetime.timedelta(minutes=1)
    with time_machine.travel(later):
        officer_client.force_login(officer)
        content = officer_client.get(done_url(token)).content.decode()
        assert "This is taking much longer than it should." in content
        assert 'http-equiv="refresh"' not in content
        response = confirm(officer_client, token)
        assert response["Location"] == done_url(token)
    assert Need.objects.count() == 1
    stored = imports.upload_load(token, by=officer)
    assert stored is not None and stored.imported


def test_rows_are_validated_again_when_the_task_imports_them(
    officer_client: Client, officer: User, africa: RegionalOffice
) -> None:
    token = token_of(upload(officer_client, csv_file([need_row(), need_row(title="Two")])))
    # Between preview and confirmation, someone registers one of the needs.
    DraftNeedFactory(title="Two", regional_office=africa)
    response = confirm(officer_client, token)
    assert response["Location"] == done_url(token)
    page = followed(officer_client, response).content.decode()
    assert '<h1 id="import-status-heading">The import failed</h1>' in page
    assert (
        "Row 3 is no longer valid (title: Your regional office already has a need with this "
        "title. If this is another need, give it another title; otherwise delete this row.). "
        "Upload the file again to see what changed." in page
    )
    assert "Nothing was saved." in page and 'http-equiv="refresh"' not in page
    assert list(Need.objects.values_list("title", flat=True)) == ["Two"]  # all or nothing
    # The preview says so too, and still offers the import.
    preview = officer_client.get(preview_url(token)).content.decode()
    assert "The last import of this file failed" in preview and "Row 3 is no longer" in preview
    # The failed attempt gives the claim back: fixed, it can be confirmed again.
    Need.objects.all().delete()
    confirm(officer_client, token)
    assert Need.objects.count() == 2
    stored = imports.upload_load(token, by=officer)
    assert stored is not None and (stored.status, stored.error) == ("imported", "")


def test_an_officer_moved_to_another_office_cannot_confirm_an_earlier_upload(
    officer_client: Client, officer: User
) -> None:
    token = token_of(upload(officer_client, csv_file([need_row()])))
    officer.regional_office = RegionalOffice.objects.get(code=RegionalOffice.Code.EUROPE)
    officer.save(update_fields=["regional_office"])
    page = followed(officer_client, confirm(officer_client, token)).content.decode()
    assert "You can import needs only for your own regional office." in page
    assert Need.objects.count() == 0


def test_an_import_whose_importer_was_deleted_meanwhile_fails_and_saves_nothing(
    officer_client: Client, officer: User
) -> None:
    token = token_of(upload(officer_client, csv_file([need_row()])))
    officer_client.post(confirm_url(token), {"rows": "all"})  # queued; the task is not run
    stored = imports.upload_load(token, by=officer)
    assert stored is not None
    officer.delete()

    assert needs_import_task.delay(token).get() == "failed"

    assert Need.objects.count() == 0
    failed = imports._read(token)
    assert failed is not None
    assert failed.error == "The account that confirmed this import no longer exists."


def test_rows_posted_by_the_browser_are_ignored(officer_client: Client) -> None:
    token = token_of(upload(officer_client, csv_file([need_row()])))
    confirm(officer_client, token, title="Injected", countries="THA")
    need = Need.objects.get()
    assert need.title == "Solar irrigation for smallholder farms"
    assert sorted(need.countries.values_list("iso3", flat=True)) == ["KEN", "UGA"]


def test_the_service_refuses_an_office_that_is_not_the_officers(officer: User) -> None:
    parsed = imports.parse_needs_file(
        io.BytesIO(csv_bytes([need_row(countries="THA")])), name="needs.csv"
    )
    asia = RegionalOffice.objects.get(code=RegionalOffice.Code.ASIA_PACIFIC)
    with pytest.raises(ApplicationError, match="only for your own regional office"):
        imports.needs_import(rows=parsed.rows, by=officer, office=asia)
    assert Need.objects.count() == 0


def test_my_needs_links_to_the_import_for_officers(officer_client: Client) -> None:
    content = officer_client.get(reverse("matching:my_needs")).content.decode()
    assert '<a class="button button-secondary" href="/needs/import/">' in content
    assert "Import needs from a spreadsheet" in content

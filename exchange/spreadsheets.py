"""Reading and writing the spreadsheets people upload (CSV or XLSX): the one import path shared
by the bulk registration of needs (matching/imports.py) and the spreadsheet connector of partner
sources (partners/connectors/spreadsheet.py).

What an import reads is described by a `SpreadsheetSpec`: its columns (name, label, required,
help), how many rows and bytes it takes, and the wording of the messages that name what the rows
are ("needs", "entries"). `read_spreadsheet` gives the rows of a file, not yet validated, or
raises `SpreadsheetFileError` with a message a person can act on: a file of another type (decided
by its content, not its name), too large, broken, a zip bomb, without the expected header, or
with more rows than the spec takes. Each row keeps its number as a spreadsheet program shows it
(the header is row 1), so that errors can name it. `template_csv` and `template_xlsx` write the
files to fill in. Validation of the values is the caller's: the shared helpers `split_codes`,
`formula_error` and `parse_iso_date` check what both imports check alike.
"""

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import openpyxl
from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.errors import ApplicationError

# Blank rows are skipped but still cost time: a sheet of a million empty rows is refused too.
MAX_SCANNED_ROWS = 20_000
MAX_COLUMNS = 40
# An XLSX is a zip: its declared unpacked size is checked before anything is unpacked (zip bombs).
# Python's zipfile never unpacks more than an entry declares, so the declared sizes are a bound.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 500

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATORS = re.compile(r"[;,]")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Signatures of files people upload by mistake, to say what the file is.
_MAGIC = (
    (b"%PDF", gettext_lazy("a PDF document")),
    (b"\x89PNG", gettext_lazy("a PNG image")),
    (b"\xff\xd8\xff", gettext_lazy("a JPEG image")),
    (b"GIF8", gettext_lazy("a GIF image")),
    (
        b"\xd0\xcf\x11\xe0",
        gettext_lazy("an old Excel (.xls) file or a password-protected workbook"),
    ),
    (b"\x1f\x8b", gettext_lazy("a gzip archive")),
    (b"PK\x03\x04", gettext_lazy("a zip archive (an XLSX workbook, perhaps)")),
    (b"PK\x05\x06", gettext_lazy("an empty zip archive")),
)


class SpreadsheetFileError(ApplicationError):
    """The file as a whole cannot be imported: wrong type, too large, no usable header..."""


@dataclass(frozen=True)
class Column:
    name: str
    label: Promise
    required: bool
    help: Promise


@dataclass(frozen=True)
class SpreadsheetSpec:
    """What one kind of import reads. The messages are lazy translations with `%(name)s` (the
    file's name) and, for `too_many_rows`, `%(limit)s`; `too_large_unpacked` also has
    `%(size)s` and `%(limit)s` (megabytes)."""

    columns: tuple[Column, ...]
    max_rows: int
    max_bytes: int
    no_rows: Promise  # "“%(name)s” has a header row but no needs below it."
    too_many_rows: Promise
    too_large_unpacked: Promise
    # Accepted CSV encodings when the file is not UTF-8 (e.g. "cp1252" for Excel on Windows);
    # empty: UTF-8 only.
    fallback_encoding: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)


@dataclass(frozen=True)
class RowError:
    column: str  # a column's name, or "" for the whole row
    message: str


@dataclass
class ImportRow:
    number: int  # as a spreadsheet program shows it: the header is row 1
    values: dict[str, str]
    # Columns whose XLSX cell held a number rather than text (8.10 typed as a number reads 8.1).
    numeric: list[str] = field(default_factory=list)
    # Problems found while reading the file, kept when the row is validated again.
    read_errors: list[RowError] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ImportRow":
        return cls(
            number=int(data["number"]),
            values={str(k): str(v) for k, v in data["values"].items()},
            numeric=[str(c) for c in data["numeric"]],
            read_errors=[
                RowError(str(e["column"]), str(e["message"])) for e in data["read_errors"]
            ],
            errors=[RowError(str(e["column"]), str(e["message"])) for e in data["errors"]],
        )


@dataclass
class ParsedImport:
    format: str  # "csv" or "xlsx"
    columns: list[str]
    rows: list[ImportRow]

    @property
    def valid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.valid]

    @property
    def invalid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.valid]


# Reading files ------------------------------------------------------------------------------


def read_spreadsheet(
    file: IO[bytes], *, name: str, spec: SpreadsheetSpec, size: int | None = None
) -> ParsedImport:
    """The rows of an uploaded CSV or XLSX file, not yet validated.

    The format is decided by the file's content; the name only has to say the same thing. Raises
    SpreadsheetFileError for a file that is empty, too large, of another type, broken, a zip
    bomb, without the expected header or with more than `spec.max_rows` rows.
    """
    data = read_limited(file, name=name, spec=spec, size=size)
    file_format, header, rows = open_table(data, name=name, spec=spec)
    return ParsedImport(format=file_format, columns=header, rows=list(rows))


def read_limited(
    file: IO[bytes], *, name: str, spec: SpreadsheetSpec, size: int | None = None
) -> bytes:
    """The file's bytes, refused when larger than `spec.max_bytes` or empty."""
    limit = spec.max_bytes
    if size is not None and size > limit:
        raise _too_large(name, limit)
    data = file.read(limit + 1)
    if len(data) > limit:
        raise _too_large(name, limit)
    if not data.strip():
        raise SpreadsheetFileError(_("The file “%(name)s” is empty.") % {"name": name})
    return data


def open_table(
    data: bytes, *, name: str, spec: SpreadsheetSpec
) -> tuple[str, list[str], Iterator[ImportRow]]:
    """The file's format, its header (checked against the spec) and its non-blank rows, read
    as they are iterated. The iterator raises SpreadsheetFileError for a row it cannot read,
    past `spec.max_rows` rows, and at the end when there was no row at all."""
    extension = Path(name).suffix.lower()
    if extension not in (".csv", ".xlsx"):
        raise SpreadsheetFileError(
            _(
                "“%(name)s” is not a CSV (.csv) or Excel (.xlsx) file. Download the template, "
                "fill it in and upload it as .xlsx, or save it as “CSV UTF-8” (.csv)."
            )
            % {"name": name}
        )
    looks_like = _looks_like(data)
    cells: Iterator[tuple[list[Any], list[int]]]
    if extension == ".xlsx":
        if not data.startswith(b"PK\x03\x04"):
            raise SpreadsheetFileError(
                _("“%(name)s” is not an Excel workbook: its content is %(kind)s.")
                % {"name": name, "kind": looks_like or _("not that of an XLSX file")}
            )
        cells = _xlsx_rows(data, name, spec)
        file_format = "xlsx"
    else:
        if looks_like is not None or b"\x00" in data:
            raise SpreadsheetFileError(
                _(
                    "“%(name)s” is not a CSV file: its content is %(kind)s. Save the sheet as "
                    "“CSV UTF-8” (.csv) or upload the .xlsx workbook itself."
                )
                % {"name": name, "kind": looks_like or _("binary data")}
            )
        cells = _csv_rows(data, name, spec)
        file_format = "csv"
    first = next(cells, None)
    header = [_normalize_header(value) for value in (first[0] if first else [])]
    while header and not header[-1]:
        header.pop()
    _check_header(header, name, spec)
    return file_format, header, _table_rows(cells, header, name, spec)


def _too_large(name: str, limit: int) -> SpreadsheetFileError:
    return SpreadsheetFileError(
        _(
            "“%(name)s” is larger than %(limit)s MB, the most an import takes. Split it into "
            "smaller files."
        )
        % {"name": name, "limit": f"{limit / (1024 * 1024):g}"}
    )


def _looks_like(data: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return str(kind)
    return None


def _decode(data: bytes, name: str, spec: SpreadsheetSpec) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if spec.fallback_encoding:
            try:
                return data.decode(spec.fallback_encoding)
            except UnicodeDecodeError:
                pass
        raise SpreadsheetFileError(
            _(
                "“%(name)s” is not UTF-8 text. In your spreadsheet program, save it as "
                "“CSV UTF-8” and upload it again."
            )
            % {"name": name}
        ) from None


def _csv_rows(
    data: bytes, name: str, spec: SpreadsheetSpec
) -> Iterator[tuple[list[Any], list[int]]]:
    text = _decode(data, name, spec)
    header_line = text[:4096].partition("\n")[0]
    # Spreadsheet programs set for French or Spanish write ";" between cells.
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SpreadsheetFileError(
                _("Row %(number)s of “%(name)s” cannot be read as CSV (%(problem)s).")
                % {"number": number, "name": name, "problem": exc}
            ) from None
        yield list(cells), []


def _xlsx_rows(
    data: bytes, name: str, spec: SpreadsheetSpec
) -> Iterator[tuple[list[Any], list[int]]]:
    broken = SpreadsheetFileError(
        _(
            "“%(name)s” cannot be read as an Excel workbook: it is damaged or not an XLSX file. "
            "Open it in your spreadsheet program and save it again as .xlsx."
        )
        % {"name": name}
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise broken from None
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise SpreadsheetFileError(
            _("“%(name)s” is a zip archive but not an Excel workbook.") % {"name": name}
        )
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_ZIP_ENTRIES or unpacked > MAX_UNPACKED_BYTES:
        raise SpreadsheetFileError(
            str(spec.too_large_unpacked)
            % {
                "name": name,
                "size": f"{unpacked / (1024 * 1024):.0f}",
                "limit": f"{MAX_UNPACKED_BYTES / (1024 * 1024):.0f}",
            }
        )
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise SpreadsheetFileError(
            _("“%(name)s” is password-protected; save it again without a password.")
            % {"name": name}
        )
    try:
        # Not data_only: a formula cell then reads as its text ("=SUM(...)"), which validation
        # refuses, instead of a value cached by whoever wrote the file. Nothing is evaluated.
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
    except Exception:  # openpyxl raises many kinds of errors on a damaged file
        raise broken from None
    try:
        if not workbook.worksheets:
            raise broken
        sheet = workbook.worksheets[0]
        try:
            for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                yield _xlsx_cells(values)
        except SpreadsheetFileError:
            raise
        except Exception:
            raise broken from None
    finally:
        workbook.close()


def _xlsx_cells(values: Iterable[Any]) -> tuple[list[Any], list[int]]:
    cells: list[Any] = []
    numeric: list[int] = []
    for index, value in enumerate(values):
        if isinstance(value, bool):
            value = "TRUE" if value else "FALSE"
        elif isinstance(value, int | float):
            numeric.append(index)
            value = str(int(value)) if float(value).is_integer() else repr(value)
        elif isinstance(value, datetime.datetime):
            value = (
                value.date().isoformat()
                if value.time() == datetime.time(0, 0)
                else value.isoformat(sep=" ")
            )
        elif isinstance(value, datetime.date | datetime.time):
            value = value.isoformat()
        elif value is not None and not isinstance(value, str):
            value = str(value)
        cells.append(value)
    return cells, numeric


def _normalize_header(value: Any) -> str:
    return re.sub(r"[\s-]+", "_", str(value or "").strip().lower())


def _table_rows(
    rows: Iterator[tuple[list[Any], list[int]]],
    header: list[str],
    name: str,
    spec: SpreadsheetSpec,
) -> Iterator[ImportRow]:
    scanned = 1
    count = 0
    for cells, numeric_indexes in rows:
        scanned += 1
        texts = ["" if value is None else str(value).strip() for value in cells]
        if not any(texts):
            if scanned > MAX_SCANNED_ROWS:
                raise _too_many_rows(name, spec)
            continue
        if count >= spec.max_rows:
            raise _too_many_rows(name, spec)
        count += 1
        values = {column: (texts[i] if i < len(texts) else "") for i, column in enumerate(header)}
        row = ImportRow(
            number=scanned,
            values=values,
            numeric=[header[i] for i in numeric_indexes if i < len(header)],
        )
        extra = [i + 1 for i in range(len(header), len(texts)) if texts[i]]
        if extra:
            row.read_errors.append(
                RowError(
                    "",
                    _("Cell %(columns)s has a value but no column name in the header row.")
                    % {"columns": ", ".join(str(i) for i in extra)},
                )
            )
        yield row
    if not count:
        raise SpreadsheetFileError(str(spec.no_rows) % {"name": name})


def _too_many_rows(name: str, spec: SpreadsheetSpec) -> SpreadsheetFileError:
    return SpreadsheetFileError(str(spec.too_many_rows) % {"name": name, "limit": spec.max_rows})


def _check_header(header: list[str], name: str, spec: SpreadsheetSpec) -> None:
    problems: list[str] = []
    names = spec.column_names
    missing = [c.name for c in spec.columns if c.required and c.name not in header]
    if missing:
        problems.append(_("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
    unknown = [c or _("(empty)") for c in header if c not in names]
    if unknown:
        problems.append(_("unknown columns: %(columns)s") % {"columns": ", ".join(unknown)})
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        problems.append(_("repeated columns: %(columns)s") % {"columns": ", ".join(repeated)})
    if problems:
        raise SpreadsheetFileError(
            _(
                "The first row of “%(name)s” must name the columns of the template (%(problems)s). "
                "The columns are: %(columns)s."
            )
            % {"name": name, "problems": "; ".join(problems), "columns": ", ".join(names)}
        )


# Checking values ----------------------------------------------------------------------------


def split_codes(value: str, *, upper: bool = False) -> list[str]:
    """The codes of a list cell ("KEN; UGA" or "KEN,UGA"), once each, in order."""
    codes: list[str] = []
    for part in LIST_SEPARATORS.split(value):
        code = part.strip().upper() if upper else part.strip().lower()
        if code and code not in codes:
            codes.append(code)
    return codes


def formula_error(value: str) -> str | None:
    """The message for a cell that a spreadsheet program would run as a formula, or None."""
    if not value.startswith(FORMULA_STARTS):
        return None
    return _(
        "Starts with “%(sign)s”, which spreadsheet programs run as a formula. Type "
        "the value itself, starting with a letter or a digit."
    ) % {"sign": value[0].strip() or _("a tab")}


def parse_iso_date(value: str) -> datetime.date:
    """A date written YYYY-MM-DD; ValueError otherwise."""
    if not ISO_DATE.match(value):
        raise ValueError(value)
    return datetime.date.fromisoformat(value)


# Templates to fill in -----------------------------------------------------------------------


def safe_cell(value: str) -> str:
    """A cell a spreadsheet program shows as text, never runs (CSV injection)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def template_csv(spec: SpreadsheetSpec) -> bytes:
    """The header row, with a byte order mark so that Excel opens the file as UTF-8."""
    out = io.StringIO(newline="")
    csv.writer(out).writerow([safe_cell(name) for name in spec.column_names])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@dataclass
class CodesSheet:
    """The second sheet of a template: notes, an example row, then each list of codes."""

    example_heading: str
    example: dict[str, str]
    code_lists: list[tuple[str, Iterable[Iterable[Any]]]]
    notes: list[str] = field(default_factory=list)


def template_xlsx(
    spec: SpreadsheetSpec,
    *,
    sheet_title: str,
    codes: CodesSheet,
    choices: dict[str, list[tuple[str, Any]]] | None = None,
    wide_columns: Iterable[str] = (),
) -> bytes:
    """A workbook: the sheet to fill in (header row, text cells, lists for the single-choice
    columns) and a "Codes" sheet with the notes, an example row and every allowed code."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    choices = choices or {}
    wide = set(wide_columns)
    bold = Font(bold=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = sheet_title
    sheet.append([safe_cell(name) for name in spec.column_names])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index).font = bold
        sheet.column_dimensions[letter].width = 40 if column.name in wide else 18
        # Text cells: "8.10" stays 8.10 and a date stays as typed.
        sheet.column_dimensions[letter].number_format = "@"
        if column.name in choices:
            allowed = ",".join(code for code, _label in choices[column.name])
            validation = DataValidation(type="list", formula1=f'"{allowed}"', allow_blank=True)
            validation.add(f"{letter}2:{letter}{spec.max_rows + 1}")
            sheet.add_data_validation(validation)

    codes_sheet = workbook.create_sheet("Codes")
    codes_sheet.column_dimensions["A"].width = 24
    codes_sheet.column_dimensions["B"].width = 60
    codes_sheet.column_dimensions["C"].width = 30

    for note in codes.notes:
        codes_sheet.append([safe_cell(note)])
    codes_sheet.append([safe_cell(codes.example_heading)])
    codes_sheet.cell(row=codes_sheet.max_row, column=1).font = bold
    codes_sheet.append([safe_cell(name) for name in spec.column_names])
    codes_sheet.append([safe_cell(codes.example.get(name, "")) for name in spec.column_names])
    for heading, items in codes.code_lists:
        codes_sheet.append([])
        codes_sheet.append([safe_cell(heading)])
        codes_sheet.cell(row=codes_sheet.max_row, column=1).font = bold
        for item in items:
            codes_sheet.append([safe_cell(str(value)) for value in item])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def spreadsheet_download(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A template or a file of errors as a download (never shown inline, never sniffed)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response

"""Bulk registration of needs from a spreadsheet (CSV or XLSX).

Three plain steps, each usable without a request:

- `parse_needs_file(file)` reads the file's structure: its real format (by content, not by name),
  its size, its header and at most `MAX_ROWS` rows of text. A file that cannot be read at all
  raises `ImportFileError` with a message a person can act on.
- `validate_needs_rows(rows, office=...)` checks every row with the rules of a single need
  (`NeedForm`, hence the model's own validation) plus the office's scope, and gives each row the
  errors found in it, by column.
- `needs_import(rows=..., by=..., office=...)` validates the chosen rows again and creates them as
  drafts, all or none.

Between the preview and the confirmation the rows are kept on the server (`upload_store` and
`upload_load`), in a file under MEDIA_ROOT/imports named by a random token and owned by one user:
the browser only ever sends the token back. The same file records how the import went: uploaded,
queued (`upload_confirm`, which hands the work to a Celery task), imported or failed
(`upload_import`, the task's work). The worker therefore needs the web's MEDIA_ROOT.

An import of 2,000 rows takes about 20 seconds, too long for a web request: the confirmation only
queues it, and the status page refreshes itself until the task is done.
"""

import contextlib
import datetime
import enum
import json
import os
import re
import secrets
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models.signals import post_save
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import User
from catalog.models import Country, RegionalOffice, SdgTarget, SupportKind, Theme
from catalog.models.entries import CONTENT_LANGUAGES
from exchange import spreadsheets
from exchange.errors import ApplicationError
from exchange.spreadsheets import (
    Column,
    ImportRow,
    ParsedImport,
    RowError,
    SpreadsheetFileError,
    SpreadsheetSpec,
    formula_error,
    parse_iso_date,
    read_spreadsheet,
    safe_cell,
    split_codes,
)
from matching.forms import NeedSupportForm, NeedWhatForm
from matching.models import Need

# At most this many needs per file; a longer file is refused before its rows are read further.
MAX_ROWS = 2_000
# Uploads and previews older than this are forgotten.
UPLOAD_LIFETIME = datetime.timedelta(hours=12)
# The creation tokens of imported needs are derived from the upload and the row number, in this
# namespace: a second run of the same import finds the needs the first one made (unique column).
IMPORT_NAMESPACE = uuid.UUID("5b0f4c2e-8f5e-4d55-9d38-2c1f1f6f0a41")

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

COLUMNS = (
    Column("title", gettext_lazy("Title"), True, gettext_lazy("What is needed, in one line.")),
    Column(
        "description",
        gettext_lazy("Description"),
        True,
        gettext_lazy("What is needed, for whom and why."),
    ),
    Column(
        "language",
        gettext_lazy("Language"),
        True,
        gettext_lazy("The language of the title and description: en, fr, es, ar, ru, zh or pt."),
    ),
    Column(
        "countries",
        gettext_lazy("Countries"),
        True,
        gettext_lazy(
            "ISO3 codes separated by “;”, e.g. KEN;UGA. Only countries of your regional office."
        ),
    ),
    Column(
        "themes",
        gettext_lazy("Themes"),
        False,
        gettext_lazy("Theme codes separated by “;”, e.g. climate-change."),
    ),
    Column(
        "sdg_targets",
        gettext_lazy("SDG targets"),
        False,
        gettext_lazy("SDG target codes separated by “;”, e.g. 6.1;13.2."),
    ),
    Column(
        "support_sought",
        gettext_lazy("Support sought"),
        True,
        gettext_lazy("Codes of the kinds of support sought separated by “;”, e.g. training."),
    ),
    Column(
        "priority",
        gettext_lazy("Priority"),
        False,
        gettext_lazy("high, medium or low; medium when empty."),
    ),
    Column(
        "time_frame",
        gettext_lazy("Time frame"),
        False,
        gettext_lazy("short, medium or long; medium when empty."),
    ),
    Column(
        "needed_by",
        gettext_lazy("Needed by"),
        False,
        gettext_lazy("A date written YYYY-MM-DD, e.g. 2027-06-30."),
    ),
    Column(
        "origin",
        gettext_lazy("Origin"),
        True,
        gettext_lazy("Where the need was stated, e.g. tna or ndc (codes on the Codes sheet)."),
    ),
    Column(
        "origin_reference",
        gettext_lazy("Origin reference"),
        False,
        gettext_lazy("The document's title or link."),
    ),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
COLUMN_BY_NAME = {column.name: column for column in COLUMNS}
# Form field → spreadsheet column, to put the forms' errors in the right column.
FIELD_COLUMNS = {name: name for name in COLUMN_NAMES} | {
    "support_kinds": "support_sought",
    "sdg_goals": "sdg_targets",
}
# The single-choice columns and their allowed values.
CHOICES: dict[str, list[tuple[str, Any]]] = {
    "language": list(CONTENT_LANGUAGES),
    "priority": list(Need.Priority.choices),
    "time_frame": list(Need.TimeFrame.choices),
    "origin": list(Need.Origin.choices),
}
DEFAULTS = {"priority": Need.Priority.MEDIUM.value, "time_frame": Need.TimeFrame.MEDIUM.value}


# The file's rows are read by the import path shared with the spreadsheet connector of partner
# sources (exchange/spreadsheets.py); what follows describes the needs' file.
ImportFileError = SpreadsheetFileError
_safe = safe_cell


def needs_spec() -> SpreadsheetSpec:
    """What a file of needs holds (read when used: tests lower MAX_ROWS)."""
    return SpreadsheetSpec(
        columns=COLUMNS,
        max_rows=MAX_ROWS,
        max_bytes=settings.NEEDS_IMPORT_MAX_BYTES,
        no_rows=gettext_lazy("“%(name)s” has a header row but no needs below it."),
        too_many_rows=gettext_lazy(
            "“%(name)s” has more than %(limit)s rows, the most an import takes. Split it into "
            "files of at most %(limit)s needs."
        ),
        too_large_unpacked=gettext_lazy(
            "“%(name)s” unpacks to %(size)s MB, more than the %(limit)s MB an import takes. "
            "Remove images and unused sheets, or split the needs into several files."
        ),
    )


def parse_needs_file(file: IO[bytes], *, name: str, size: int | None = None) -> ParsedImport:
    """The rows of an uploaded CSV or XLSX file, not yet validated (`read_spreadsheet`).

    The format is decided by the file's content; the name only has to say the same thing. Raises
    ImportFileError for a file that is empty, too large, of another type, broken, a zip bomb,
    without the expected header or with more than MAX_ROWS rows.
    """
    return read_spreadsheet(file, name=name, size=size, spec=needs_spec())


# Validating rows ----------------------------------------------------------------------------


@dataclass
class Vocabulary:
    """The codes a row may use, read once per file."""

    countries: dict[str, Country]
    themes: dict[str, Theme]
    targets: dict[str, SdgTarget]
    support_kinds: dict[str, SupportKind]

    @classmethod
    def load(cls) -> "Vocabulary":
        return cls(
            countries={c.iso3.upper(): c for c in Country.objects.all()},
            themes={t.code.lower(): t for t in Theme.objects.all()},
            targets={t.code.lower(): t for t in SdgTarget.objects.all()},
            support_kinds={k.code.lower(): k for k in SupportKind.objects.all()},
        )


def validate_needs_rows(rows: list[ImportRow], *, office: RegionalOffice) -> list[ImportRow]:
    """Give every row the errors found in it, by column; rows without errors can be imported.

    The rules are those of a need registered with the guided form (NeedWhatForm,
    NeedSupportForm, and the countries of the office as in NeedWhereForm), plus: no formulas,
    and no row repeating another row of the file or a need the office already has.
    """
    _validate(rows, office=office)
    return rows


def _validate(rows: list[ImportRow], *, office: RegionalOffice) -> list[dict[str, Any]]:
    """Set each row's errors; return each row's values, typed, for creating the need."""
    vocabulary = Vocabulary.load()
    existing = {
        _title_key(title)
        for title in Need.objects.for_office(office).values_list("title", flat=True)
    }
    seen: dict[tuple[str, frozenset[str]], int] = {}
    cleaned_rows: list[dict[str, Any]] = []
    for row in rows:
        errors, cleaned = _check_row(row, vocabulary=vocabulary, office=office)
        row.errors = [*row.read_errors, *errors]
        cleaned_rows.append(cleaned)
        title = _title_key(row.get("title"))
        if not title:
            continue
        if title in existing and not _has_error(row, "title"):
            row.errors.append(
                RowError(
                    "title",
                    _(
                        "Your regional office already has a need with this title. If this is "
                        "another need, give it another title; otherwise delete this row."
                    ),
                )
            )
        key = (title, frozenset(_codes(row.get("countries"), upper=True)))
        if key in seen:
            row.errors.append(
                RowError(
                    "",
                    _(
                        "Same title and countries as row %(number)s: the need is in the file "
                        "twice. Delete one of the two rows."
                    )
                    % {"number": seen[key]},
                )
            )
        else:
            seen[key] = row.number
    return cleaned_rows


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


_codes = split_codes


def _has_error(row: ImportRow, column: str) -> bool:
    return any(error.column == column for error in row.errors)


def _check_row(
    row: ImportRow, *, vocabulary: Vocabulary, office: RegionalOffice
) -> tuple[list[RowError], dict[str, Any]]:
    errors: list[RowError] = []

    def fail(column: str, message: str) -> None:
        errors.append(RowError(column, message))

    def failed(column: str) -> bool:
        return any(error.column == column for error in errors)

    for column in COLUMNS:
        value = row.get(column.name)
        formula = formula_error(value)
        if formula is not None:
            fail(column.name, formula)
        elif column.required and not value:
            fail(column.name, _("Required: this cell is empty."))

    def codes_of(name: str, table: dict[str, Any], upper: bool = False) -> list[Any]:
        if failed(name):
            return []
        codes = _codes(row.get(name), upper=upper)
        unknown = [code for code in codes if code not in table]
        if unknown:
            fail(
                name,
                _(
                    "Unknown code(s): %(codes)s. Use the codes listed on the Codes sheet of the "
                    "template."
                )
                % {"codes": ", ".join(unknown)},
            )
        return [table[code] for code in codes if code in table]

    countries: list[Country] = codes_of("countries", vocabulary.countries, upper=True)
    outside = [c for c in countries if c.regional_office_id != office.pk]
    if outside:
        fail(
            "countries",
            _(
                "%(countries)s: not a country of the %(office)s regional office, for which this "
                "file is imported. Register these needs through their own regional office."
            )
            % {
                "countries": ", ".join(f"{c.name} ({c.iso3})" for c in outside),
                "office": office.name,
            },
        )
    themes: list[Theme] = codes_of("themes", vocabulary.themes)
    targets: list[SdgTarget] = codes_of("sdg_targets", vocabulary.targets)
    if "sdg_targets" in row.numeric and not failed("sdg_targets"):
        # 8.10 typed in a number cell reads 8.1: refuse the guess when both targets exist.
        code = row.get("sdg_targets").lower()
        if f"{code}0" in vocabulary.targets:
            fail(
                "sdg_targets",
                _(
                    "“%(code)s” was typed as a number, so it could also be %(code)s0. Format the "
                    "column as text and type the target again."
                )
                % {"code": code},
            )
    support_kinds: list[SupportKind] = codes_of("support_sought", vocabulary.support_kinds)

    choices: dict[str, str] = {}
    for name, allowed in CHOICES.items():
        value = row.get(name).lower()
        if failed(name):
            continue
        if not value:
            choices[name] = DEFAULTS.get(name, "")
        elif value in {code for code, _label in allowed}:
            choices[name] = value
        else:
            fail(
                name,
                _("“%(value)s” is not allowed here; write one of: %(codes)s.")
                % {"value": row.get(name), "codes": ", ".join(code for code, _l in allowed)},
            )

    needed_by = row.get("needed_by")
    if needed_by and not failed("needed_by"):
        try:
            parse_iso_date(needed_by)
        except ValueError:
            fail(
                "needed_by",
                _("“%(value)s” is not a date. Write dates as YYYY-MM-DD, e.g. 2027-06-30.")
                % {"value": needed_by},
            )

    # The guided form's own steps check the rest: lengths, choices, a date after today...
    what = NeedWhatForm(
        data={
            "title": row.get("title"),
            "description": row.get("description"),
            "language": choices.get("language", row.get("language")),
        }
    )
    support = NeedSupportForm(
        data={
            "support_kinds": [kind.pk for kind in support_kinds],
            "priority": choices.get("priority", row.get("priority")),
            "time_frame": choices.get("time_frame", row.get("time_frame")),
            "needed_by": needed_by,
            "origin": choices.get("origin", row.get("origin")),
            "origin_reference": row.get("origin_reference"),
        }
    )
    already = {error.column for error in errors}
    for form in (what, support):
        if form.is_valid():
            continue
        for form_field, messages in form.errors.items():
            column_name = FIELD_COLUMNS.get(form_field, "")
            if column_name not in already:
                for message in messages:
                    fail(column_name, str(message))
    if errors:
        return errors, {}
    return errors, {
        **what.cleaned_data,
        **support.cleaned_data,
        "countries": countries,
        "themes": themes,
        "sdg_targets": targets,
    }


# Importing ----------------------------------------------------------------------------------


def may_import_for(user: User, office: RegionalOffice) -> bool:
    """Staff import for any office; an officer for their own office only."""
    if not user.has_perm("needs.create"):
        return False
    return user.is_staff or user.regional_office_id == office.pk


def import_creation_token(key: str, row: ImportRow) -> uuid.UUID:
    """The creation token of the need imported from `row` of the upload `key`."""
    return uuid.uuid5(IMPORT_NAMESPACE, f"{key}:{row.number}")


@transaction.atomic
def needs_import(
    *, rows: list[ImportRow], by: User, office: RegionalOffice, key: str = ""
) -> list[Need]:
    """Create `rows` as draft needs of `office`, all of them or none.

    The rows are validated again here: the file was checked when it was uploaded, but codes,
    the office's countries and its needs may have changed since. With `key` (one per upload),
    each need gets a creation token derived from it and its row: importing the same rows with
    the same key again raises IntegrityError instead of creating them twice.
    """
    if not may_import_for(by, office):
        raise ApplicationError(
            _("You can import needs only for your own regional office.")
            if by.has_perm("needs.create")
            else _("Only regional office officers and programme staff can import needs.")
        )
    if not rows:
        raise ApplicationError(_("There is no valid row to import."))
    checked = [ImportRow.from_json(row.to_json()) for row in rows]
    cleaned_rows = _validate(checked, office=office)
    invalid = [row for row in checked if not row.valid]
    if invalid:
        first = invalid[0].errors[0]
        raise ApplicationError(
            ngettext(
                "Row %(numbers)s is no longer valid (%(first)s). Upload the file again to see "
                "what changed.",
                "Rows %(numbers)s are no longer valid (%(first)s). Upload the file again to see "
                "what changed.",
                len(invalid),
            )
            % {
                "numbers": ", ".join(str(row.number) for row in invalid),
                "first": f"{first.column}: {first.message}" if first.column else first.message,
            }
        )
    needs = Need.objects.bulk_create(
        [
            Need(
                title=values["title"],
                description=values["description"],
                language=values["language"],
                priority=values["priority"],
                time_frame=values["time_frame"],
                needed_by=values["needed_by"],
                origin=values["origin"],
                origin_reference=values["origin_reference"],
                regional_office=office,
                status=Need.Status.DRAFT,
                created_by=by,
                creation_token=import_creation_token(key, row) if key else None,
            )
            for row, values in zip(checked, cleaned_rows, strict=True)
        ]
    )
    # Primary keys of the related rows, per need; the SDG goals follow the targets.
    related: dict[str, list[list[int]]] = {
        name: [[obj.pk for obj in values[name]] for values in cleaned_rows]
        for name in ("countries", "themes", "sdg_targets", "support_kinds")
    }
    related["sdg_goals"] = [
        sorted({target.goal_id for target in values["sdg_targets"]}) for values in cleaned_rows
    ]
    for name, per_need in related.items():
        relation = Need._meta.get_field(name)
        assert isinstance(relation, models.ManyToManyField)
        through: Any = relation.remote_field.through
        through.objects.bulk_create(
            [
                through(**{relation.m2m_column_name(): need.pk, relation.m2m_reverse_name(): pk})
                for need, pks in zip(needs, per_need, strict=True)
                for pk in pks
            ]
        )
    # Rows and links were inserted in bulk, without signals: each need now announces its
    # creation once, complete. django-simple-history records one version per need (instead of
    # one per relation set, six times slower for a file of 2,000 needs).
    for need in needs:
        need._change_reason = "Imported from a spreadsheet"  # type: ignore[attr-defined]
        # In a worker there is no request for the history middleware to name the user.
        need._history_user = by  # type: ignore[attr-defined]
        post_save.send(
            sender=Need,
            instance=need,
            created=True,
            raw=False,
            using=need._state.db,
            update_fields=None,
        )
    return needs


# Keeping an upload between preview and confirmation, and how its import went ----------------


class UploadStatus(enum.StrEnum):
    UPLOADED = "uploaded"  # previewed, not confirmed
    QUEUED = "queued"  # confirmed: the task imports it
    IMPORTED = "imported"
    FAILED = "failed"  # nothing was saved; it can be confirmed again


@dataclass
class StoredUpload:
    token: str
    user_id: int
    office_id: int
    name: str
    created_at: str
    rows: list[ImportRow]
    imported_ids: list[int] | None = None
    status: str = UploadStatus.UPLOADED
    error: str = ""  # why the last import failed, for the person who confirmed it
    queued_at: str | None = None
    language: str = ""  # of the confirmation: the task explains a failure in it

    @property
    def valid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.valid]

    @property
    def invalid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.valid]

    @property
    def imported(self) -> bool:
        return self.status == UploadStatus.IMPORTED

    @property
    def failed(self) -> bool:
        return self.status == UploadStatus.FAILED

    @property
    def in_progress(self) -> bool:
        """Confirmed and not finished (or claimed by a confirmation that is queueing it)."""
        if self.status == UploadStatus.QUEUED:
            return True
        return self.status == UploadStatus.UPLOADED and _path(self.token, ".lock").exists()

    @property
    def stalled(self) -> bool:
        """Queued for longer than a task may run: its message was lost, or its worker died."""
        if self.status != UploadStatus.QUEUED or self.queued_at is None:
            return False
        queued_at = datetime.datetime.fromisoformat(self.queued_at)
        return timezone.now() - queued_at > upload_stalled_after()

    @property
    def key(self) -> str:
        """Names the upload without revealing its token (file names, creation tokens)."""
        return _key(self.token)


def upload_stalled_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 5 * 60)


def _uploads_dir() -> Path:
    directory = Path(settings.MEDIA_ROOT) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _key(token: str) -> str:
    if not TOKEN.match(token):
        raise ValueError("not an upload token")
    # A keyed hash of the token: should MEDIA_ROOT be served, the token in a preview's address
    # still does not name the file.
    return salted_hmac("matching.imports.upload", token, algorithm="sha256").hexdigest()


def _path(token: str, suffix: str = ".json") -> Path:
    return _uploads_dir() / f"{_key(token)}{suffix}"


def _write(upload: StoredUpload) -> None:
    payload = {
        "token": upload.token,
        "user_id": upload.user_id,
        "office_id": upload.office_id,
        "name": upload.name,
        "created_at": upload.created_at,
        "rows": [row.to_json() for row in upload.rows],
        "imported_ids": upload.imported_ids,
        "status": upload.status,
        "error": upload.error,
        "queued_at": upload.queued_at,
        "language": upload.language,
    }
    # Write then rename: a reader never sees half a file.
    descriptor, temporary = tempfile.mkstemp(dir=_uploads_dir(), suffix=".tmp")
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(payload, out)
    os.replace(temporary, _path(upload.token))


def _read(token: str) -> StoredUpload | None:
    """The upload `token`, whoever owns it; None when it does not exist or expired."""
    try:
        with _path(token).open(encoding="utf-8") as stored:
            data = json.load(stored)
    except (ValueError, OSError):
        return None
    created_at = datetime.datetime.fromisoformat(data["created_at"])
    if timezone.now() - created_at > UPLOAD_LIFETIME:
        return None
    imported_ids = data["imported_ids"]
    return StoredUpload(
        token=token,
        user_id=data["user_id"],
        office_id=data["office_id"],
        name=data["name"],
        created_at=data["created_at"],
        rows=[ImportRow.from_json(row) for row in data["rows"]],
        imported_ids=imported_ids,
        # Files written before imports ran in a task have no status.
        status=data.get(
            "status",
            UploadStatus.IMPORTED if imported_ids is not None else UploadStatus.UPLOADED,
        ),
        error=data.get("error", ""),
        queued_at=data.get("queued_at"),
        language=data.get("language", ""),
    )


def upload_store(
    *, parsed: ParsedImport, by: User, office: RegionalOffice, name: str
) -> StoredUpload:
    _forget_old_uploads()
    upload = StoredUpload(
        token=secrets.token_urlsafe(32),
        user_id=by.pk,
        office_id=office.pk,
        name=name[:200],
        created_at=timezone.now().isoformat(),
        rows=parsed.rows,
    )
    _write(upload)
    return upload


def upload_load(token: str, *, by: User) -> StoredUpload | None:
    """The upload `token` of user `by`; None when it does not exist, expired or is another's."""
    upload = _read(token)
    if upload is None or upload.user_id != by.pk:
        return None
    return upload


def upload_claim(upload: StoredUpload) -> bool:
    """Take the right to import `upload`: true for the first caller only (a double click)."""
    try:
        descriptor = os.open(_path(upload.token, ".lock"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def upload_release(upload: StoredUpload) -> None:
    """Give the claim back after an import that failed, so that it can be tried again."""
    _path(upload.token, ".lock").unlink(missing_ok=True)


def upload_confirm(*, upload: StoredUpload) -> bool:
    """Queue the import of `upload`'s valid rows; the task starts once the transaction commits.

    False, queueing nothing, when the upload was imported already or another confirmation
    (a double click) claimed it and its import is not stalled. A stalled import is queued again:
    the task imports an upload once however many times it runs.
    """
    # matching.tasks imports this module.
    from matching.tasks import needs_import_task

    if upload.imported:
        return False
    if upload_claim(upload):
        upload.status = UploadStatus.QUEUED
        upload.error = ""
    elif not upload.stalled:
        return False
    upload.queued_at = timezone.now().isoformat()
    upload.language = translation.get_language() or settings.LANGUAGE_CODE
    _write(upload)
    token = upload.token
    transaction.on_commit(lambda: needs_import_task.delay(token))
    return True


def upload_import(*, token: str) -> StoredUpload | None:
    """Import the valid rows of the confirmed upload `token` (the work of needs_import_task).

    Safe to run twice, even at once: only a queued upload is imported; its needs carry creation
    tokens derived from the upload (a unique column), so a run that finds them, or collides with
    them, records the import as done without creating anything. A failed import saves nothing,
    records why, and gives the claim back so that the owner can confirm again.
    """
    upload = _read(token)
    if upload is None or upload.status != UploadStatus.QUEUED:
        return upload
    if _imported_ids(upload):
        return _mark_imported(upload)
    with translation.override(upload.language or settings.LANGUAGE_CODE):
        return _import(upload)


def _import(upload: StoredUpload) -> StoredUpload:
    try:
        by = User.objects.filter(pk=upload.user_id).first()
        if by is None:
            raise ApplicationError(_("The account that confirmed this import no longer exists."))
        office = RegionalOffice.objects.get(pk=upload.office_id)
        needs = needs_import(rows=upload.valid_rows, by=by, office=office, key=upload.key)
    except ApplicationError as exc:
        return _mark_failed(upload, exc.message)
    except IntegrityError:
        # Another run of the same import committed first.
        if _imported_ids(upload):
            return _mark_imported(upload)
        _mark_failed(upload, UNEXPECTED_FAILURE)
        raise
    except Exception:
        _mark_failed(upload, UNEXPECTED_FAILURE)
        raise
    return _mark_imported(upload, [need.pk for need in needs])


UNEXPECTED_FAILURE = gettext_lazy(
    "The import stopped because of an error on our side; nothing was saved. Try again in a few "
    "minutes, and tell the programme team if it fails again."
)


def _imported_ids(upload: StoredUpload) -> list[int]:
    tokens = [import_creation_token(upload.key, row) for row in upload.valid_rows]
    return sorted(Need.objects.filter(creation_token__in=tokens).values_list("pk", flat=True))


def _mark_imported(upload: StoredUpload, ids: list[int] | None = None) -> StoredUpload:
    upload.imported_ids = _imported_ids(upload) if ids is None else ids
    upload.status = UploadStatus.IMPORTED
    upload.error = ""
    _write(upload)
    return upload


def _mark_failed(upload: StoredUpload, message: str | Promise) -> StoredUpload:
    upload.status = UploadStatus.FAILED
    upload.error = str(message)
    _write(upload)
    # After the state is written: a confirmation that claims the upload again then sees the
    # failure, and the state it writes is not overwritten by this one.
    upload_release(upload)
    return upload


def _forget_old_uploads() -> None:
    cutoff = timezone.now().timestamp() - UPLOAD_LIFETIME.total_seconds()
    for path in _uploads_dir().iterdir():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


# Templates to fill in -----------------------------------------------------------------------


def template_countries(office: RegionalOffice | None) -> list[Country]:
    """The countries a template lists: the office's own, or every country an office serves."""
    countries = Country.objects.filter(regional_office__isnull=False).select_related(
        "regional_office"
    )
    if office is not None:
        countries = countries.filter(regional_office=office)
    return list(countries.order_by("name_en"))


def template_example(office: RegionalOffice | None) -> dict[str, str]:
    """A filled-in row that imports as it is (for the office's first countries)."""

    def existing(model: Any, codes: list[str]) -> str:
        return ";".join(
            model.objects.filter(code__in=codes).order_by("code").values_list("code", flat=True)
        )

    today = timezone.localdate()
    return {
        "title": "Drought early-warning system for national meteorological services",
        "description": (
            "Train national meteorological staff to run a drought early-warning system and to "
            "share its bulletins with farmers' organizations."
        ),
        "language": "en",
        "countries": ";".join(c.iso3 for c in template_countries(office)[:2]),
        "themes": existing(Theme, ["climate-change", "disasters-conflicts"]),
        "sdg_targets": existing(SdgTarget, ["13.1", "13.3"]),
        "support_sought": existing(SupportKind, ["training", "expertise-advisory"]),
        "priority": Need.Priority.HIGH.value,
        "time_frame": Need.TimeFrame.SHORT.value,
        "needed_by": datetime.date(today.year + 1, 6, 30).isoformat(),
        "origin": Need.Origin.TNA.value,
        "origin_reference": "Technology Needs Assessment report",
    }


def template_csv() -> bytes:
    """The header row, with a byte order mark so that Excel opens the file as UTF-8."""
    return spreadsheets.template_csv(needs_spec())


def template_xlsx(*, office: RegionalOffice | None) -> bytes:
    """A workbook: the "Needs" sheet to fill in (header row, text cells, lists for the
    single-choice columns) and a "Codes" sheet with an example row and every allowed code."""
    code_lists: list[tuple[str, Iterable[Iterable[Any]]]] = [
        (
            _("countries: ISO3 code, name, regional office"),
            [(c.iso3, c.name, c.regional_office) for c in template_countries(office)],
        ),
        (_("themes"), [(t.code, t.name) for t in Theme.objects.order_by("position", "name")]),
        (
            _("sdg_targets"),
            [(t.code, t.title) for t in SdgTarget.objects.order_by("goal__number", "position")],
        ),
        (_("support_sought"), [(k.code, k.name) for k in SupportKind.objects.order_by("code")]),
        *((column, values) for column, values in CHOICES.items()),
    ]
    return spreadsheets.template_xlsx(
        needs_spec(),
        sheet_title="Needs",
        codes=spreadsheets.CodesSheet(
            example_heading=_(
                "Example row: copy it to the Needs sheet, below the header, and change it."
            ),
            example=template_example(office),
            code_lists=code_lists,
        ),
        choices=CHOICES,
        wide_columns=("title", "description"),
    )

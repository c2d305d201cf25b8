"""Staff upload a spreadsheet of entries for a partner source: store, preview, confirm.

`spreadsheet_upload_store` reads the whole file once (exchange/spreadsheets.py: type, size,
zip bombs, header, row limit) and keeps it under MEDIA_ROOT/partners/spreadsheets/pending/,
named by a keyed hash of a random token that only its uploader's browser knows.
`spreadsheet_preview` maps every row as a run will (partners/connectors/spreadsheet.py) and
counts what the run will create, update and archive. `spreadsheet_upload_confirm` creates the
source when the upload was for an organization without one, queues a run
(`partners.services.sync_run_request`) and makes the file the source's current upload, which
the run reads. Nothing in the catalogue changes before the confirmation, and the run stores the
valid rows only.
"""

import contextlib
import datetime
import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import Country, Entry, EntryProvider, Organization, SdgTarget, Theme
from catalog.models.entries import CONTENT_LANGUAGES, KINDS_BY_MODULE
from exchange import spreadsheets
from exchange.errors import ApplicationError
from exchange.spreadsheets import RowError, read_limited
from partners.connectors.base import EntryRecord
from partners.connectors.spreadsheet import (
    SpreadsheetConnector,
    entries_spec,
    raw_rows,
    source_directory,
)
from partners.models import PartnerSource, SyncRun
from partners.services import sync_run_request

UPLOAD_LIFETIME = datetime.timedelta(hours=12)
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
# Rows shown as they will be stored; every row error is shown.
PREVIEW_ROWS = 20


@dataclass
class PendingUpload:
    token: str
    user_id: int
    name: str  # as uploaded
    extension: str  # ".csv" or ".xlsx"
    created_at: str
    source_id: int | None = None
    organization_id: int | None = None  # a source is created for it on confirmation

    @property
    def key(self) -> str:
        return _key(self.token)

    @property
    def path(self) -> Path:
        return _pending_dir() / f"{self.key}{self.extension}"

    def source(self) -> PartnerSource | None:
        if self.source_id is None:
            return None
        return PartnerSource.objects.filter(pk=self.source_id).first()

    def organization(self) -> Organization | None:
        if self.organization_id is None:
            return None
        return Organization.objects.filter(pk=self.organization_id).first()


def _pending_dir() -> Path:
    directory = Path(settings.MEDIA_ROOT) / "partners" / "spreadsheets" / "pending"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _key(token: str) -> str:
    if not TOKEN.match(token):
        raise ValueError("not an upload token")
    return salted_hmac("partners.spreadsheet_uploads", token, algorithm="sha256").hexdigest()


def _write_atomic(path: Path, content: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(descriptor, "wb") as out:
        out.write(content)
    os.replace(temporary, path)


def spreadsheet_upload_store(
    *,
    file: IO[bytes],
    name: str,
    size: int | None,
    by: User,
    source: PartnerSource | None = None,
    organization: Organization | None = None,
) -> PendingUpload:
    """Check and keep an uploaded file for its preview. Raises SpreadsheetFileError (an
    ApplicationError) for a file that cannot be read as a whole; rows with errors are kept."""
    if (source is None) == (organization is None):
        raise ApplicationError(_("Choose a spreadsheet source, or an organization to create one."))
    if source is not None and source.connector != PartnerSource.Connector.SPREADSHEET:
        raise ApplicationError(
            _("The source “%(name)s” is not a spreadsheet source.") % {"name": source.name}
        )
    data = read_limited(file, name=name, spec=entries_spec(), size=size)
    for _raw in raw_rows(data, name=name):
        pass  # reads every row: a broken or too long file is refused now, not in the run
    _forget_old_uploads()
    upload = PendingUpload(
        token=secrets.token_urlsafe(32),
        user_id=by.pk,
        name=Path(name).name[:200],
        extension=Path(name).suffix.lower(),
        created_at=timezone.now().isoformat(),
        source_id=source.pk if source else None,
        organization_id=organization.pk if organization else None,
    )
    _write_atomic(upload.path, data)
    _write_atomic(_pending_dir() / f"{upload.key}.json", json.dumps(asdict(upload)).encode())
    return upload


def spreadsheet_upload_load(token: str, *, by: User) -> PendingUpload | None:
    """The pending upload `token` of `by`; None when unknown, expired, confirmed or another's."""
    try:
        key = _key(token)
        data = json.loads((_pending_dir() / f"{key}.json").read_text(encoding="utf-8"))
        upload = PendingUpload(**data)
    except (ValueError, OSError, TypeError):
        return None
    if upload.token != token or upload.user_id != by.pk:
        return None
    created_at = datetime.datetime.fromisoformat(upload.created_at)
    if timezone.now() - created_at > UPLOAD_LIFETIME or not upload.path.exists():
        return None
    return upload


def _forget_old_uploads() -> None:
    cutoff = timezone.now().timestamp() - UPLOAD_LIFETIME.total_seconds()
    for path in _pending_dir().iterdir():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


# Preview ----------------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    number: int
    external_id: str
    record: EntryRecord | None
    errors: list[RowError]


@dataclass
class Preview:
    rows: list[PreviewRow] = field(default_factory=list)  # the first PREVIEW_ROWS valid rows
    invalid: list[PreviewRow] = field(default_factory=list)  # every row with errors
    total: int = 0
    valid: int = 0
    to_create: int = 0
    to_update: int = 0
    # Entries of the source the file does not list: archived when the run completes.
    to_archive: int = 0
    to_archive_titles: list[str] = field(default_factory=list)


def spreadsheet_preview(upload: PendingUpload) -> Preview:
    """Every row mapped as the run will map it, and what the run will change."""
    source = upload.source()
    connector = SpreadsheetConnector(source or PartnerSource(name="", connector="spreadsheet"))
    preview = Preview()
    listed: set[str] = set()
    valid_ids: list[str] = []
    for raw in raw_rows(upload.path.read_bytes(), name=upload.name):
        preview.total += 1
        record, errors = connector.check_row(raw)
        external_id = str(raw["values"].get("id", ""))
        if external_id:
            listed.add(external_id)
        row = PreviewRow(raw["number"], external_id, record, errors)
        if record is None:
            preview.invalid.append(row)
            continue
        preview.valid += 1
        valid_ids.append(external_id)
        if len(preview.rows) < PREVIEW_ROWS:
            preview.rows.append(row)
    if source is None:
        preview.to_create = preview.valid
        return preview
    entries = Entry.objects.filter(source=source).exclude(external_id="")
    existing = set(entries.filter(external_id__in=valid_ids).values_list("external_id", flat=True))
    preview.to_update = len(existing)
    preview.to_create = preview.valid - preview.to_update
    unlisted = entries.exclude(status=Entry.Status.ARCHIVED).exclude(external_id__in=listed)
    preview.to_archive = unlisted.count()
    preview.to_archive_titles = list(
        unlisted.order_by("title").values_list("title", flat=True)[:20]
    )
    return preview


# Confirmation -----------------------------------------------------------------------------------


def _new_source_name(organization: Organization) -> str:
    base = _("%(organization)s · spreadsheet") % {"organization": organization.name}
    base = base[:190]
    name, number = base, 1
    while PartnerSource.objects.filter(name=name).exists():
        number += 1
        name = f"{base} ({number})"
    return name


@transaction.atomic
def spreadsheet_upload_confirm(*, upload: PendingUpload, by: User) -> SyncRun:
    """Make the upload its source's current file and queue the run that stores it. The run
    reads the whole file (a complete listing of the source): it creates and updates the entries
    of the valid rows, records each invalid row as an error, and archives the source's entries
    the file no longer lists."""
    if not by.is_staff:
        raise ApplicationError(_("Only programme staff upload spreadsheets of partner entries."))
    source = upload.source()
    if source is None:
        organization = upload.organization()
        if organization is None:
            raise ApplicationError(
                _("The source or organization of this upload no longer exists; upload it again.")
            )
        source = PartnerSource.objects.create(
            name=_new_source_name(organization),
            organization=organization,
            connector=PartnerSource.Connector.SPREADSHEET,
            schedule=PartnerSource.Schedule.OFF,
        )
    else:
        source = PartnerSource.objects.select_for_update().get(pk=source.pk)
    run = sync_run_request(source=source, trigger=SyncRun.Trigger.MANUAL, by=by)
    # No run of the source is queued or running (the request would have been refused), so no
    # run is reading the current file while it is replaced.
    directory = source_directory(source.pk)
    directory.mkdir(parents=True, exist_ok=True)
    file_name = f"{upload.key}{upload.extension}"
    try:
        os.replace(upload.path, directory / file_name)  # a second confirmation finds nothing
    except FileNotFoundError:
        raise ApplicationError(_("This file was already confirmed.")) from None
    _write_atomic(
        directory / "current.json",
        json.dumps({"key": upload.key, "name": upload.name, "file": file_name}).encode(),
    )
    (_pending_dir() / f"{upload.key}.json").unlink(missing_ok=True)
    for old in directory.iterdir():
        if old.name not in (file_name, "current.json"):
            with contextlib.suppress(OSError):
                old.unlink()
    # A new upload is a new full pass from its first row.
    PartnerSource.objects.filter(pk=source.pk).update(checkpoint={}, pass_started_at=None)
    return run


def spreadsheet_sources() -> Any:
    return PartnerSource.objects.filter(connector=PartnerSource.Connector.SPREADSHEET).order_by(
        "name"
    )


# Templates --------------------------------------------------------------------------------------


def entries_template_csv() -> bytes:
    return spreadsheets.template_csv(entries_spec())


def entries_template_example() -> dict[str, str]:
    """A filled-in row that stores as it is."""
    countries = list(Country.objects.order_by("iso3").values_list("iso3", flat=True)[:2])
    return {
        "id": "project-0001",
        "module": Entry.Module.EXPERIENCE.value,
        "kind": "case-study",
        "title": "Community-based mangrove restoration",
        "summary": "Coastal communities restored 300 hectares of mangroves with local nurseries.",
        "body": "",
        "language": "en",
        "countries_applied": ";".join(countries[:1]),
        "countries_of_origin": ";".join(countries[1:]),
        "themes": ";".join(Theme.objects.order_by("code").values_list("code", flat=True)[:1]),
        "sdg_targets": ";".join(
            SdgTarget.objects.filter(code__in=["14.2", "13.1"])
            .order_by("code")
            .values_list("code", flat=True)
        ),
        "providers": f"Coastal Resilience Centre | {countries[0] if countries else ''} | lead",
        "links": "https://example.org/mangroves | Project page",
        "starts_on": "",
        "ends_on": "",
    }


def entries_template_xlsx() -> bytes:
    """The "Entries" sheet to fill in and a "Codes" sheet: how the upload works, an example row
    and every allowed code."""
    notes = [
        _("How to fill in this workbook"),
        _(
            "One entry per row of the Entries sheet. Every row needs an id of your own, unique in "
            "the file: upload the file again with the same ids to update the entries instead of "
            "adding them twice."
        ),
        _(
            "The file is the complete list of the source's entries: those of an earlier upload "
            "that the new file no longer lists are archived."
        ),
        _(
            "Lists are separated by “;”. Providers: “name | ISO3 | role” or “#organization id | "
            "role”. Links: “https://… | label”. Dates: YYYY-MM-DD."
        ),
        "",
    ]
    module_kinds = [
        (kind, str(Entry.Kind(kind).label), module)
        for module, kinds in KINDS_BY_MODULE.items()
        for kind in kinds
    ]
    code_lists: list[tuple[str, Iterable[Iterable[Any]]]] = [
        (_("module"), [(m.value, m.label) for m in Entry.Module]),
        (_("kind: code, name, module"), module_kinds),
        (_("language"), list(CONTENT_LANGUAGES)),
        (
            _("countries: ISO3 code, name"),
            list(Country.objects.order_by("name_en").values_list("iso3", "name_en")),
        ),
        (_("themes"), [(t.code, t.name) for t in Theme.objects.order_by("position", "name")]),
        (
            _("sdg_targets"),
            [(t.code, t.title) for t in SdgTarget.objects.order_by("goal__number", "position")],
        ),
        (_("provider roles"), list(EntryProvider.Role.choices)),
    ]
    return spreadsheets.template_xlsx(
        entries_spec(),
        sheet_title="Entries",
        codes=spreadsheets.CodesSheet(
            notes=notes,
            example_heading=_(
                "Example row: copy it to the Entries sheet, below the header, and change it."
            ),
            example=entries_template_example(),
            code_lists=code_lists,
        ),
        choices={
            "module": [(m.value, m.label) for m in Entry.Module],
            "language": list(CONTENT_LANGUAGES),
        },
        wide_columns=("title", "summary", "body", "providers", "links"),
    )

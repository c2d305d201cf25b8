"""Entries uploaded by staff as a spreadsheet (CSV or XLSX), read through the import path shared
with the needs import (exchange/spreadsheets.py).

The file a run reads is the source's *current upload*, kept under
MEDIA_ROOT/partners/spreadsheets/source-<id>/ (partners/spreadsheet_uploads.py puts it there when
staff confirm a preview): the model has no field for a file, and the workers share MEDIA_ROOT.

**Columns**: `ENTRY_COLUMNS`. Every row carries its own `id` (the external id): uploading the
file again, changed, updates the entries instead of duplicating them. List cells separate their
items with ";" (codes may also be separated by ","); a provider is `name | ISO3 | role` or
`#<organization id> | role`; a link is `url` or `url | label`.

**Checkpoint** `{"upload": <key>, "row": <last row number stored>}`, and `"done": true` once the
file is read to its end: a run that resumes continues after the last stored row, and a run of
the same upload that was read completely reads nothing. An upload is a complete listing of the
source (`complete_listing`): the run that reads it to its end archives the source's entries the
file no longer lists.

**Rows** become `EntryRecord`s; a row with errors is a `RecordError` naming its row number and
each problem by column (unknown country, theme or SDG target codes, missing title...). The same
checks give the preview its per-row errors (`check_row`).
"""

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Country, Entry, EntryProvider, Organization, SdgTarget, Theme
from catalog.models.entries import CONTENT_LANGUAGES, KINDS_BY_MODULE
from exchange.spreadsheets import (
    Column,
    ImportRow,
    RowError,
    SpreadsheetFileError,
    SpreadsheetSpec,
    formula_error,
    open_table,
    parse_iso_date,
    split_codes,
)
from partners.connectors.base import EntryRecord, FeedError, OrganizationRecord, Page, RecordError
from partners.connectors.http import Fetcher
from partners.models import PartnerSource

# At most this many entries per file.
MAX_ROWS = 5_000
PAGE_SIZE = 200
ROLES = tuple(EntryProvider.Role.values)

ENTRY_COLUMNS = (
    Column(
        "id",
        gettext_lazy("Id"),
        True,
        gettext_lazy(
            "Your own identifier of the entry, unique in the file and never reused (e.g. a "
            "project number). Keep it when you upload the file again: the entry is then updated, "
            "not added twice."
        ),
    ),
    Column(
        "module",
        gettext_lazy("Module"),
        True,
        gettext_lazy(
            "technology, expertise, experience, opportunity, network or event (may be empty when "
            "the source's field mapping sets the module)."
        ),
    ),
    Column(
        "kind",
        gettext_lazy("Kind"),
        True,
        gettext_lazy("A kind of the module, e.g. case-study (codes on the Codes sheet)."),
    ),
    Column("title", gettext_lazy("Title"), True, gettext_lazy("The entry's title, in one line.")),
    Column("summary", gettext_lazy("Summary"), False, gettext_lazy("A paragraph or two.")),
    Column("body", gettext_lazy("Body"), False, gettext_lazy("The full description.")),
    Column(
        "language",
        gettext_lazy("Language"),
        True,
        gettext_lazy("The language of the texts: en, fr, es, ar, ru, zh or pt."),
    ),
    Column(
        "countries_applied",
        gettext_lazy("Countries applied"),
        False,
        gettext_lazy("ISO3 codes of the countries where it was applied, separated by “;”."),
    ),
    Column(
        "countries_of_origin",
        gettext_lazy("Countries of origin"),
        False,
        gettext_lazy("ISO3 codes of the countries it comes from, separated by “;”."),
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
        "providers",
        gettext_lazy("Providers"),
        False,
        gettext_lazy(
            "Separated by “;”: “name | ISO3 | role” (role lead, partner or funder; lead when "
            "empty), or “#id | role” for an organization of the portal."
        ),
    ),
    Column(
        "links",
        gettext_lazy("Links"),
        False,
        gettext_lazy("Separated by “;”: “https://… | label” or just the address."),
    ),
    Column(
        "starts_on",
        gettext_lazy("Starts on"),
        False,
        gettext_lazy("YYYY-MM-DD; required for an event."),
    ),
    Column("ends_on", gettext_lazy("Ends on"), False, gettext_lazy("YYYY-MM-DD.")),
)


def entries_spec() -> SpreadsheetSpec:
    return SpreadsheetSpec(
        columns=ENTRY_COLUMNS,
        max_rows=MAX_ROWS,
        max_bytes=settings.PARTNER_SPREADSHEET_MAX_BYTES,
        no_rows=gettext_lazy("“%(name)s” has a header row but no entries below it."),
        too_many_rows=gettext_lazy(
            "“%(name)s” has more than %(limit)s rows, the most an upload takes. Split it into "
            "files of at most %(limit)s entries (give each file its own source)."
        ),
        too_large_unpacked=gettext_lazy(
            "“%(name)s” unpacks to %(size)s MB, more than the %(limit)s MB an upload takes. "
            "Remove images and unused sheets, or split the entries into several files."
        ),
        # Excel on Windows saves "CSV" in the Windows code page.
        fallback_encoding="cp1252",
    )


# Where a source's confirmed upload is -----------------------------------------------------------


def source_directory(source_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "partners" / "spreadsheets" / f"source-{source_id}"


@dataclass(frozen=True)
class CurrentUpload:
    key: str  # names the upload (a keyed hash, not the preview's token)
    name: str  # the file's name as uploaded
    path: Path


def current_upload(source_id: int) -> CurrentUpload | None:
    """The upload a run of the source reads; None before the first one."""
    directory = source_directory(source_id)
    try:
        data = json.loads((directory / "current.json").read_text(encoding="utf-8"))
        key, name, file_name = str(data["key"]), str(data["name"]), str(data["file"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if "/" in file_name or file_name.startswith("."):
        return None
    return CurrentUpload(key=key, name=name, path=directory / file_name)


# Checking a row ---------------------------------------------------------------------------------


@dataclass
class Vocabulary:
    """The codes a row may use, read once per connector."""

    countries: set[str]
    themes: set[str]
    targets: set[str]
    organizations: dict[int, OrganizationRecord] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "Vocabulary":
        return cls(
            countries={code.upper() for code in Country.objects.values_list("iso3", flat=True)},
            themes=set(Theme.objects.values_list("code", flat=True)),
            targets=set(SdgTarget.objects.values_list("code", flat=True)),
        )

    def organization(self, pk: int) -> OrganizationRecord | None:
        if pk not in self.organizations:
            found = Organization.objects.filter(pk=pk).select_related("country").first()
            if found is None:
                return None
            self.organizations[pk] = OrganizationRecord(
                name=found.name,
                acronym=found.acronym,
                country_iso3=found.country.iso3 if found.country else "",
                website=found.website,
                type=found.type,
            )
        return self.organizations[pk]


def _items(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ";").split(";") if part.strip()]


def _fields(item: str) -> list[str]:
    return [part.strip() for part in item.split("|")]


class SpreadsheetConnector:
    complete_listing = True

    def __init__(
        self, source: PartnerSource, fetcher: Fetcher | None = None, *, credentials: str = ""
    ) -> None:
        self.source = source
        self.mapping: dict[str, Any] = source.field_mapping or {}
        self._vocabulary: Vocabulary | None = None

    @property
    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.load()
        return self._vocabulary

    # --- Reading the file ------------------------------------------------------------------------

    def fetch(self, checkpoint: dict[str, Any]) -> Iterator[Page]:
        upload = current_upload(self.source.pk)
        if upload is None:
            raise FeedError(
                _("No spreadsheet was uploaded for this source: upload one from its page.")
            )
        same = checkpoint.get("upload") == upload.key
        if same and checkpoint.get("done"):
            return  # this upload was read to its end already
        after = int(checkpoint.get("row", 0)) if same else 0
        try:
            data = upload.path.read_bytes()
        except OSError:
            raise FeedError(
                _("The uploaded file “%(name)s” is missing; upload it again.")
                % {"name": upload.name}
            ) from None
        pending: list[dict[str, Any]] = []
        try:
            for raw in raw_rows(data, name=upload.name):
                if raw["number"] <= after:
                    continue
                if len(pending) == PAGE_SIZE:
                    yield Page(pending, {"upload": upload.key, "row": pending[-1]["number"]})
                    pending = []
                pending.append(raw)
        except SpreadsheetFileError as exc:
            raise FeedError(exc.message) from None
        last = pending[-1]["number"] if pending else after
        yield Page(pending, {"upload": upload.key, "row": last, "done": True})

    # --- Mapping ---------------------------------------------------------------------------------

    def map_record(self, raw: Any) -> EntryRecord:
        record, errors = self.check_row(raw)
        if record is None:
            external_id = str(raw.get("values", {}).get("id", ""))[:255]
            problems = "; ".join(
                f"{error.column}: {error.message}" if error.column else error.message
                for error in errors
            )
            raise RecordError(
                _("Row %(number)s: %(problems)s") % {"number": raw["number"], "problems": problems},
                external_id=external_id if raw.get("duplicate_of") is None else "",
            )
        return record

    def check_row(self, raw: dict[str, Any]) -> tuple[EntryRecord | None, list[RowError]]:
        """The row as an entry record, or None and every problem found in it, by column."""
        row = _row(raw)
        errors: list[RowError] = list(row.read_errors)
        vocabulary = self.vocabulary

        def fail(column: str, message: str) -> None:
            errors.append(RowError(column, message))

        def failed(column: str) -> bool:
            return any(error.column == column for error in errors)

        mapped_module = str(self.mapping.get("module") or "")
        mapped_kind = str(self.mapping.get("kind") or "")
        for column in ENTRY_COLUMNS:
            value = row.get(column.name)
            formula = formula_error(value)
            if formula is not None and column.name not in ("summary", "body"):
                fail(column.name, formula)
            elif (
                column.required
                and not value
                and not (column.name == "module" and mapped_module)
                and not (column.name == "kind" and mapped_kind)
            ):
                fail(column.name, _("Required: this cell is empty."))
        if raw.get("duplicate_of") is not None:
            fail(
                "id",
                _("Same id as row %(number)s: each entry needs its own id.")
                % {"number": raw["duplicate_of"]},
            )

        module = mapped_module or row.get("module").lower()
        kind = mapped_kind or row.get("kind").lower()
        if module and not failed("module") and module not in Entry.Module.values:
            fail(
                "module",
                _("“%(value)s” is not a module; write one of: %(codes)s.")
                % {"value": module, "codes": ", ".join(Entry.Module.values)},
            )
        elif kind and not failed("kind") and module in KINDS_BY_MODULE:
            if kind not in KINDS_BY_MODULE[module]:
                fail(
                    "kind",
                    _(
                        "“%(value)s” is not a kind of the module %(module)s; write one of: "
                        "%(codes)s."
                    )
                    % {
                        "value": kind,
                        "module": module,
                        "codes": ", ".join(KINDS_BY_MODULE[module]),
                    },
                )
        language = row.get("language").lower()
        languages = [code for code, _label in CONTENT_LANGUAGES]
        if language and not failed("language") and language not in languages:
            fail(
                "language",
                _("“%(value)s” is not allowed here; write one of: %(codes)s.")
                % {"value": row.get("language"), "codes": ", ".join(languages)},
            )

        def codes_of(name: str, known: set[str], rename: str, upper: bool = False) -> list[str]:
            if failed(name):
                return []
            codes = split_codes(row.get(name), upper=upper)
            renames = self.mapping.get(rename) or {}
            unknown = [code for code in codes if renames.get(code, code) not in known]
            if unknown:
                fail(
                    name,
                    _(
                        "Unknown code(s): %(codes)s. Use the codes listed on the Codes sheet of "
                        "the template."
                    )
                    % {"codes": ", ".join(unknown)},
                )
            return codes

        applied = codes_of("countries_applied", vocabulary.countries, "countries", upper=True)
        origin = codes_of("countries_of_origin", vocabulary.countries, "countries", upper=True)
        themes = codes_of("themes", vocabulary.themes, "themes")
        targets = codes_of("sdg_targets", vocabulary.targets, "sdg_targets")
        if "sdg_targets" in row.numeric and not failed("sdg_targets"):
            code = row.get("sdg_targets").lower()
            if f"{code}0" in vocabulary.targets:
                fail(
                    "sdg_targets",
                    _(
                        "“%(code)s” was typed as a number, so it could also be %(code)s0. Format "
                        "the column as text and type the target again."
                    )
                    % {"code": code},
                )
        providers = self._providers(row.get("providers"), fail) if not failed("providers") else ()
        links = self._links(row.get("links"), fail) if not failed("links") else ()

        dates: dict[str, datetime.date | None] = {"starts_on": None, "ends_on": None}
        for name in dates:
            value = row.get(name)
            if value and not failed(name):
                try:
                    dates[name] = parse_iso_date(value)
                except ValueError:
                    fail(
                        name,
                        _("“%(value)s” is not a date. Write dates as YYYY-MM-DD, e.g. 2027-06-30.")
                        % {"value": value},
                    )
        starts_on, ends_on = dates["starts_on"], dates["ends_on"]
        if starts_on and ends_on and ends_on < starts_on:
            fail("ends_on", _("The end date is before the start date."))
        if module == Entry.Module.EVENT and not starts_on and not failed("starts_on"):
            fail("starts_on", _("An event needs a start date."))
        if errors:
            return None, errors
        return (
            EntryRecord(
                external_id=row.get("id"),
                module=module,
                kind=kind,
                titles={language: row.get("title")},
                summaries={language: row.get("summary")},
                bodies={language: row.get("body")} if row.get("body") else {},
                language=language,
                countries_iso3=tuple(applied),
                origin_countries_iso3=tuple(origin),
                theme_slugs=tuple(themes),
                sdg_targets=tuple(targets),
                providers=tuple(providers),
                links=tuple(links),
                starts_on=starts_on,
                ends_on=ends_on,
            ),
            [],
        )

    def _providers(self, value: str, fail: Any) -> list[OrganizationRecord]:
        providers: list[OrganizationRecord] = []
        for item in _items(value):
            parts = _fields(item)
            if parts[0].startswith("#"):
                role = parts[1].lower() if len(parts) > 1 and parts[1] else "lead"
                try:
                    found = self.vocabulary.organization(int(parts[0][1:]))
                except ValueError:
                    found = None
                if found is None:
                    fail(
                        "providers",
                        _("“%(item)s”: there is no organization %(id)s here.")
                        % {"item": item, "id": parts[0]},
                    )
                    continue
                record = OrganizationRecord(**{**found.__dict__, "role": role})
            else:
                name = parts[0]
                country = parts[1].upper() if len(parts) > 1 else ""
                role = parts[2].lower() if len(parts) > 2 and parts[2] else "lead"
                if not name:
                    fail("providers", _("“%(item)s”: the name is missing.") % {"item": item})
                    continue
                if country and country not in self.vocabulary.countries:
                    fail(
                        "providers",
                        _("“%(item)s”: unknown country code %(code)s.")
                        % {"item": item, "code": country},
                    )
                    continue
                record = OrganizationRecord(name=name, country_iso3=country, role=role)
            if record.role not in ROLES:
                fail(
                    "providers",
                    _("“%(item)s”: the role must be one of %(roles)s.")
                    % {"item": item, "roles": ", ".join(ROLES)},
                )
                continue
            providers.append(record)
        return providers

    def _links(self, value: str, fail: Any) -> list[tuple[str, str]]:
        links: list[tuple[str, str]] = []
        for item in _items(value):
            parts = _fields(item)
            url, label = parts[0], " ".join(parts[1:]).strip()
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
                fail(
                    "links",
                    _("“%(url)s” is not a web address (https://…).") % {"url": url},
                )
                continue
            links.append((url, label))
        return links


def _row(raw: dict[str, Any]) -> ImportRow:
    return ImportRow(
        number=int(raw["number"]),
        values={str(k): str(v) for k, v in raw["values"].items()},
        numeric=[str(c) for c in raw.get("numeric", [])],
        read_errors=[RowError(str(e[0]), str(e[1])) for e in raw.get("read_errors", [])],
    )


def raw_rows(data: bytes, *, name: str) -> Iterator[dict[str, Any]]:
    """The file's rows as the raw records a page carries (JSON-serialisable), each with the row
    number of the first row with the same id (`duplicate_of`) when its id was used above it.
    Raises SpreadsheetFileError for a file that cannot be read."""
    _format, _header, rows = open_table(data, name=name, spec=entries_spec())
    first_with_id: dict[str, int] = {}
    for row in rows:
        external_id = row.get("id")
        duplicate_of = first_with_id.get(external_id) if external_id else None
        if external_id and duplicate_of is None:
            first_with_id[external_id] = row.number
        yield {
            "number": row.number,
            "values": row.values,
            "numeric": row.numeric,
            "read_errors": [[e.column, e.message] for e in row.read_errors],
            "duplicate_of": duplicate_of,
        }

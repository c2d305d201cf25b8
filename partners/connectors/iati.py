"""IATI activity and organisation XML files (versions 2.01-2.03; 1.0x where it is easy).

A source's endpoint is one published file. The file is downloaded within the fetch limits and
read element by element (`safexml.iter_elements`), so memory stays flat in the file's size.

**Checkpoint.** IATI files have no "changes since": `{"etag", "last_modified", "next_index",
"complete"}`. A run that completed sends the file's ETag / Last-Modified back (a conditional GET:
an unchanged file yields no page at all); a run stopped half-way downloads the file again and
skips the activities already committed (`next_index`), unless the file changed meanwhile, when
it starts again at the first one. Each page's checkpoint is where to resume after it; the last
page's is where the next run starts.

**Validation.** Each 2.0x activity is validated on its own against the 2.03 schema (wrapped in
an `iati-activities` root of the file's version): an invalid one is a `RecordError` carrying the
schema's message and the activity's identifier, the valid ones are imported. 1.0x files are read
without validation (there is no 1.0x schema here) on a best-effort mapping.

**Mapping** (activity → Experience entry, kind "case-study" unless the source's mapping says
otherwise):

- texts: `title` / `description` narratives per `xml:lang`, defaulting to the activity's, then
  the file's `xml:lang`, then English. Description type 1 (general) is the summary; types 2
  (objectives) and 3 (target groups) the body. Languages the portal does not hold are dropped;
  an activity with a title in none of them is a RecordError.
- participating organisations → providers, one per organisation (by `ref`, else by name),
  keeping its strongest role: 2 accountable and 3 extending → lead; 1 funding → funder;
  4 implementing → **lead when no accountable or extending organisation is named, else
  partner** (the implementer is then working for someone who answers for the activity).
  Without participating organisations the reporting organisation leads. An organisation's
  country comes from its identifier's prefix when that is an ISO country code ("GB-CHC-..."),
  and a government body without one, in an activity for a single country, is that country's.
- recipient-country → countries; recipient-region with vocabulary 2 (UN M49) → regions (the
  DAC regions of vocabulary 1 are not M49 and are left out).
- sector, DAC 5-digit (vocabulary 1 or none) or 3-digit (2) → themes through
  data/dac-sector-themes.csv; sector vocabularies 7/8 and tag vocabularies 2/3 → SDG goals and
  targets.
- activity-date: actual start (2) else planned start (1); actual end (4) else planned end (3).
- `last-updated-datetime` → source_modified; document-link → links.

Organisation files (`iati-organisations`) give OrganizationRecords.
"""

import dataclasses
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from partners.connectors import safexml
from partners.connectors.base import (
    Deletion,
    EntryRecord,
    FeedError,
    OrganizationRecord,
    Page,
    RecordError,
)
from partners.connectors.http import Fetcher
from partners.connectors.vocabulary import (
    DATA_DIR,
    TITLE_MAX,
    Vocabulary,
    clip,
    content_language,
    parse_day,
    parse_when,
    summary_and_body,
    themes_for_dac,
)
from partners.models import PartnerSource

PAGE_SIZE = 100
XML_LANG = safexml.XML_LANG
ACTIVITY, ORGANISATION = "iati-activity", "iati-organisation"
ROLE_STRENGTH = {"lead": 3, "partner": 2, "funder": 1}
# IATI OrganisationType codes (data/iati-codelists/OrganisationType.xml) → Organization.Type.
# Multilateral (40) may be a UN entity or another intergovernmental body: the latter is said.
ORGANISATION_TYPES = {
    "10": "government",
    "11": "government",
    "15": "government",
    "21": "ngo",
    "22": "ngo",
    "23": "ngo",
    "24": "ngo",
    "30": "private-sector",
    "40": "intergovernmental",
    "60": "ngo",
    "70": "private-sector",
    "71": "private-sector",
    "72": "private-sector",
    "73": "private-sector",
    "80": "university-research",
    "90": "other",
}
# IATI 1.0x wrote roles and date types as words.
_ROLE_WORDS = {"funding": "1", "accountable": "2", "extending": "3", "implementing": "4"}
_DATE_WORDS = {"start-planned": "1", "start-actual": "2", "end-planned": "3", "end-actual": "4"}


@dataclass(frozen=True)
class IatiElement:
    """One activity or organisation as read from the file, with what its root said."""

    index: int
    kind: str  # ACTIVITY or ORGANISATION
    identifier: str
    xml: bytes
    version: str
    default_language: str
    line: int  # where the element starts in the file


@functools.cache
def activity_schema() -> etree.XMLSchema:
    path = DATA_DIR / "iati-schema-2.03" / "iati-activities-schema.xsd"
    return etree.XMLSchema(etree.parse(str(path), safexml.parser()))


@functools.cache
def organisation_schema() -> etree.XMLSchema:
    path = DATA_DIR / "iati-schema-2.03" / "iati-organisations-schema.xsd"
    return etree.XMLSchema(etree.parse(str(path), safexml.parser()))


class IatiConnector:
    # Each fetch lists the whole file: the sync engine archives what a complete pass missed.
    complete_listing = True

    def __init__(
        self, source: PartnerSource, fetcher: Fetcher | None = None, *, credentials: str = ""
    ) -> None:
        self.source = source
        self.fetcher = fetcher or Fetcher()
        mapping: dict[str, Any] = getattr(source, "field_mapping", None) or {}
        self.module = mapping.get("module", "experience")
        self.kind = mapping.get("kind", "case-study")
        self.vocabulary = Vocabulary()
        if credentials:
            self.fetcher.headers.setdefault("Authorization", credentials)

    # -- fetch ----------------------------------------------------------------------------

    def fetch(self, checkpoint: dict[str, Any]) -> Iterator[Page]:
        url = self.source.endpoint
        headers: dict[str, str] = {}
        if checkpoint.get("complete"):
            if checkpoint.get("etag"):
                headers["If-None-Match"] = checkpoint["etag"]
            if checkpoint.get("last_modified"):
                headers["If-Modified-Since"] = checkpoint["last_modified"]
        with self.fetcher.get(url, expect="xml", headers=headers) as response:
            if response.not_modified:
                return
            etag = response.headers.get("etag", "")
            last_modified = response.headers.get("last-modified", "")
            same_file = (etag, last_modified) == (
                checkpoint.get("etag", ""),
                checkpoint.get("last_modified", ""),
            ) and bool(etag or last_modified)
            skip = 0
            if not checkpoint.get("complete") and same_file:
                skip = int(checkpoint.get("next_index", 0))

            def position(next_index: int, complete: bool) -> dict[str, Any]:
                return {
                    "etag": etag,
                    "last_modified": last_modified,
                    "next_index": next_index,
                    "complete": complete,
                }

            page: list[IatiElement] = []
            for element in self._elements(response.body, url, skip=skip):
                page.append(element)
                if len(page) == PAGE_SIZE:
                    yield Page(page, position(element.index + 1, False))
                    page = []
            yield Page(page, position(0, True))

    def _elements(self, body: Any, url: str, *, skip: int) -> Iterator[IatiElement]:
        """The file's activities or organisations from number `skip` on (those before are
        parsed, to find where they end, but not copied)."""
        what = f"The IATI file {url}"
        elements = safexml.iter_elements(body, tags={ACTIVITY, ORGANISATION}, what=what)
        root = next(elements, None)
        if root is None:
            raise FeedError(f"{what} is empty.")
        if root.tag not in ("iati-activities", "iati-organisations"):
            raise FeedError(
                f"{what} is not an IATI activity or organisation file: its root element is "
                f"<{etree.QName(root).localname}>."
            )
        version = root.get("version", "")
        default_language = content_language(root.get(XML_LANG)) or "en"
        for index, element in enumerate(elements):
            if index < skip:
                continue
            identifier_tag = (
                "iati-identifier" if element.tag == ACTIVITY else "organisation-identifier"
            )
            identifier = safexml.text(element.find(identifier_tag))
            reporting = element.find("reporting-org")
            if element.tag == ORGANISATION and not identifier and reporting is not None:
                identifier = reporting.get("ref", "").strip()
            yield IatiElement(
                index=index,
                kind=element.tag if isinstance(element.tag, str) else "",
                identifier=identifier,
                xml=etree.tostring(element),
                version=version,
                default_language=default_language,
                line=int(getattr(element, "sourceline", None) or 1),
            )

    # -- map ------------------------------------------------------------------------------

    def map_record(self, raw: IatiElement) -> EntryRecord | OrganizationRecord | Deletion:
        element = etree.fromstring(raw.xml, safexml.parser())
        label = raw.identifier or f"number {raw.index + 1} in the file"
        if not raw.version.startswith("1"):
            self._validate(raw, element, label)
        if not raw.identifier:
            raise RecordError(f"IATI {raw.kind} {label} has no identifier: skipped.")
        if raw.kind == ORGANISATION:
            return self._organisation(raw, element)
        return self._activity(raw, element)

    def _validate(self, raw: IatiElement, element: etree._Element, label: str) -> None:
        wrapper_tag = "iati-activities" if raw.kind == ACTIVITY else "iati-organisations"
        wrapper = etree.Element(wrapper_tag, version=raw.version or "2.03")
        wrapper.append(element)
        schema = activity_schema() if raw.kind == ACTIVITY else organisation_schema()
        valid = schema.validate(etree.ElementTree(wrapper))
        wrapper.remove(element)
        if not valid:
            first = schema.error_log[0]  # type: ignore[index]
            raise RecordError(
                f"IATI {raw.kind} {label} is not valid against the 2.03 schema: {first.message} "
                f"(line {raw.line + first.line - 1} of the file).",
                external_id=raw.identifier,
            )

    def _texts(self, element: etree._Element | None, default: str) -> dict[str, str]:
        """{language: text} of an element's narratives (2.0x) or its own text (1.0x)."""
        if element is None:
            return {}
        texts: dict[str, str] = {}
        narratives = element.findall("narrative")
        pairs = (
            [(n.get(XML_LANG) or default, safexml.text(n)) for n in narratives]
            if narratives
            else [(element.get(XML_LANG) or default, safexml.text(element))]
        )
        for raw_language, value in pairs:
            language = content_language(raw_language)
            if language and value and language not in texts:
                texts[language] = value
        return texts

    def _activity(self, raw: IatiElement, activity: etree._Element) -> EntryRecord:
        default = activity.get(XML_LANG) or raw.default_language
        titles = {
            k: clip(v, TITLE_MAX) for k, v in self._texts(activity.find("title"), default).items()
        }
        if not titles:
            given = {n.get(XML_LANG) or default for n in activity.iterfind("title/narrative")}
            raise RecordError(
                f"IATI activity {raw.identifier} has no title in a language the portal holds "
                f"(given: {', '.join(sorted(given)) or 'none'}).",
                external_id=raw.identifier,
            )
        descriptions: dict[str, list[tuple[str, str]]] = {}
        for description in activity.iterfind("description"):
            kind = description.get("type", "1")
            for language, value in self._texts(description, default).items():
                descriptions.setdefault(language, []).append((kind, value))
        summaries: dict[str, str] = {}
        bodies: dict[str, str] = {}
        for language in titles:
            parts = descriptions.get(language, [])
            general = [value for kind, value in parts if kind == "1"] or [v for _k, v in parts[:1]]
            summary, overflow = summary_and_body(general[0] if general else titles[language])
            summaries[language] = summary
            rest = [value for kind, value in parts if value not in general]
            body = "\n\n".join(filter(None, [overflow, *rest]))
            if body:
                bodies[language] = body
        main = content_language(default)
        language = main if main in titles else next(iter(titles))

        countries = tuple(
            dict.fromkeys(
                iso3
                for country in activity.iterfind("recipient-country")
                if (iso3 := self.vocabulary.country_by_code(country.get("code", "")))
            )
        )
        regions = tuple(
            dict.fromkeys(
                region.get("code", "").zfill(3)
                for region in activity.iterfind("recipient-region")
                if region.get("vocabulary") == "2" and region.get("code", "").isdigit()
            )
        )
        themes: dict[str, None] = {}
        goals: dict[int, None] = {}
        targets: dict[str, None] = {}
        for sector in activity.iterfind("sector"):
            vocabulary, code = sector.get("vocabulary", "1"), sector.get("code", "").strip()
            if vocabulary in ("1", "2", "DAC", "DAC-3"):
                themes.update(dict.fromkeys(themes_for_dac(code)))
            elif vocabulary == "7":
                self._goal(code, goals)
            elif vocabulary == "8":
                self._target(code, targets, goals)
        if not raw.version.startswith("2"):
            for sector in activity.iterfind("sector"):
                if sector.get("vocab", "DAC") in ("DAC", "DAC-3"):
                    themes.update(dict.fromkeys(themes_for_dac(sector.get("code", ""))))
        for tag in activity.iterfind("tag"):
            code = tag.get("code", "").strip()
            if tag.get("vocabulary") == "2":
                self._goal(code, goals)
            elif tag.get("vocabulary") == "3":
                self._target(code, targets, goals)

        dates: dict[str, str] = {}
        for date in activity.iterfind("activity-date"):
            kind = _DATE_WORDS.get(date.get("type", ""), date.get("type", ""))
            dates[kind] = date.get("iso-date", "")
        links = tuple(
            dict.fromkeys(
                (url, clip(" / ".join(self._texts(link.find("title"), default).values()), 200))
                for link in activity.iterfind("document-link")
                if (url := link.get("url", "").strip()).startswith(("http://", "https://"))
            )
        )
        return EntryRecord(
            external_id=raw.identifier,
            module=self.module,
            kind=self.kind,
            titles=titles,
            summaries=summaries,
            bodies=bodies,
            language=language,
            countries_iso3=countries,
            region_m49=regions,
            theme_slugs=tuple(themes),
            sdg_goals=tuple(sorted(goals)),
            sdg_targets=tuple(targets),
            providers=self._providers(activity, default, countries),
            links=links,
            starts_on=parse_day(dates.get("2") or dates.get("1")),
            ends_on=parse_day(dates.get("4") or dates.get("3")),
            source_modified=parse_when(activity.get("last-updated-datetime")),
            source_url=f"https://d-portal.org/ctrack.html#view=act&aid={raw.identifier}",
        )

    @staticmethod
    def _goal(code: str, goals: dict[int, None]) -> None:
        if code.isdigit() and 1 <= int(code) <= 17:
            goals[int(code)] = None

    def _target(self, code: str, targets: dict[str, None], goals: dict[int, None]) -> None:
        if known := self.vocabulary.sdg_target(code):
            targets[known] = None
            self._goal(known.split(".")[0], goals)

    def _organisation_record(
        self, element: etree._Element, default: str, role: str
    ) -> OrganizationRecord | None:
        texts = self._texts(element, default)
        name = texts.get("en") or next(iter(texts.values()), "")
        if not name:
            # Names in a language the portal does not hold are still names.
            name = safexml.text(element.find("narrative")) or safexml.text(element)
        if not name:
            return None
        ref = element.get("ref", "").strip()
        prefix = ref.split("-")[0] if "-" in ref else ""
        return OrganizationRecord(
            name=clip(name, 255),
            external_id=ref,
            country_iso3=self.vocabulary.country_by_code(prefix) if len(prefix) == 2 else "",
            type=ORGANISATION_TYPES.get(element.get("type", ""), ""),
            role=role,
        )

    def _providers(
        self, activity: etree._Element, default: str, recipients: tuple[str, ...]
    ) -> tuple[OrganizationRecord, ...]:
        participants = [
            (_ROLE_WORDS.get(p.get("role", "").lower(), p.get("role", "")), p)
            for p in activity.iterfind("participating-org")
        ]
        someone_answers = any(role in ("2", "3") for role, _p in participants)
        chosen: dict[str, OrganizationRecord] = {}
        for code, participant in participants:
            role = {"1": "funder", "2": "lead", "3": "lead"}.get(code)
            if code == "4":
                role = "partner" if someone_answers else "lead"
            if role is None:
                continue
            record = self._organisation_record(participant, default, role)
            if record is None:
                continue
            if not record.country_iso3 and record.type == "government" and len(recipients) == 1:
                # A ministry named without identifier in an activity for one country is that
                # country's (e.g. the AfDB's "Ministry of the Interior" in Algeria).
                record = dataclasses.replace(record, country_iso3=recipients[0])
            key = record.external_id or record.name.casefold()
            current = chosen.get(key)
            if current is None or ROLE_STRENGTH[role] > ROLE_STRENGTH[current.role]:
                chosen[key] = record
        if not chosen and (reporting := activity.find("reporting-org")) is not None:
            record = self._organisation_record(reporting, default, "lead")
            if record is not None:
                chosen[record.external_id or record.name] = record
        return tuple(chosen.values())

    def _organisation(self, raw: IatiElement, element: etree._Element) -> OrganizationRecord:
        default = element.get(XML_LANG) or raw.default_language
        reporting = element.find("reporting-org")
        name_element = element.find("name")
        texts = self._texts(name_element, default)
        name = texts.get("en") or next(iter(texts.values()), "")
        if not name and name_element is not None:
            name = safexml.text(name_element.find("narrative")) or safexml.text(name_element)
        if not name:
            raise RecordError(
                f"IATI organisation {raw.identifier} has no name.", external_id=raw.identifier
            )
        prefix = raw.identifier.split("-")[0] if "-" in raw.identifier else ""
        return OrganizationRecord(
            name=clip(name, 255),
            external_id=raw.identifier,
            country_iso3=self.vocabulary.country_by_code(prefix) if len(prefix) == 2 else "",
            type=ORGANISATION_TYPES.get(
                reporting.get("type", "") if reporting is not None else "", ""
            ),
        )

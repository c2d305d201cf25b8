"""OAI-PMH 2.0 repositories (DSpace, EPrints, ...): Dublin Core records as Experience entries.

`fetch` asks `Identify` for the repository's granularity, then `ListRecords` with
`metadataPrefix` (the field mapping's `oai_metadata_prefix`, default `oai_dc`), its `oai_set` and
`from` = the checkpoint's date, following resumption tokens.

**Checkpoint** `{"from": <datestamp>, "token": <resumption token>, "next_from": <datestamp>}`:
a page's checkpoint resumes the list at the next token; the last page's is `{"from":
<responseDate of the run's first response>}` (the repository's clock, not ours), so the next run
asks for what changed since this one began. A stored token the repository no longer accepts
(`badResumptionToken` when resuming: tokens expire) restarts the list from `from`; upserts make
that safe.

**Protocol errors**: `noRecordsMatch` is an empty harvest; every other error (badArgument,
badResumptionToken in a live chain, cannotDisseminateFormat, idDoesNotExist, noSetHierarchy,
badVerb, an undefined code) is a `FeedError` with the code and the repository's text. A token
seen twice, or more than PARTNER_FETCH_MAX_PAGES pages, is a loop: `FeedError`.

**Mapping** (kind "case-study" unless the mapping says otherwise): a deleted header → Deletion;
dc:title / dc:description per `xml:lang` (else dc:language, else English) → titles and
summaries (a record without description is summarised by its title); dc:identifier URLs →
links, the first is the source URL; dc:subject equal to a theme's code or name → themes (others
ignored); dc:coverage naming a country (ISO code or UN name in a UN language) → countries;
dc:publisher → the lead provider; dc:date (a full date) → starts_on; the header's datestamp →
source_modified.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
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
    TITLE_MAX,
    Vocabulary,
    clip,
    content_language,
    parse_day,
    parse_when,
    summary_and_body,
)
from partners.models import PartnerSource

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"


@dataclass(frozen=True)
class OaiRecord:
    identifier: str
    datestamp: str
    deleted: bool
    xml: bytes  # the <record> element


class OaiPmhConnector:
    def __init__(
        self, source: PartnerSource, fetcher: Fetcher | None = None, *, credentials: str = ""
    ) -> None:
        self.source = source
        self.fetcher = fetcher or Fetcher()
        mapping: dict[str, Any] = getattr(source, "field_mapping", None) or {}
        self.module = mapping.get("module", "experience")
        self.kind = mapping.get("kind", "case-study")
        self.set_spec: str = mapping.get("oai_set", "")
        self.metadata_prefix: str = mapping.get("oai_metadata_prefix", "oai_dc")
        self.max_pages: int = settings.PARTNER_FETCH_MAX_PAGES
        self.vocabulary = Vocabulary()
        if credentials:
            self.fetcher.headers.setdefault("Authorization", credentials)

    # -- protocol -------------------------------------------------------------------------

    def _ask(self, params: dict[str, str]) -> etree._Element:
        url = self.source.endpoint
        with self.fetcher.get(url, params=params, expect="xml") as response:
            data = response.read()
        what = f"The OAI-PMH response to {params['verb']} from {url}"
        root = safexml.parse(data, what=what)
        if root.tag != f"{OAI}OAI-PMH":
            raise FeedError(f"{what} is not an OAI-PMH document (root <{root.tag}>).")
        return root

    @staticmethod
    def _errors(root: etree._Element) -> list[tuple[str, str]]:
        return [
            (error.get("code", "undefined"), safexml.text(error))
            for error in root.iterfind(f"{OAI}error")
        ]

    @staticmethod
    def _protocol_error(errors: list[tuple[str, str]], verb: str) -> FeedError:
        described = "; ".join(f"{code}{': ' + text if text else ''}" for code, text in errors)
        return FeedError(f"The OAI-PMH repository refused {verb}: {described}")

    def _granularity(self) -> str:
        root = self._ask({"verb": "Identify"})
        if errors := self._errors(root):
            raise self._protocol_error(errors, "Identify")
        return safexml.text(root.find(f"{OAI}Identify/{OAI}granularity")) or "YYYY-MM-DD"

    # -- fetch ----------------------------------------------------------------------------

    def fetch(self, checkpoint: dict[str, Any]) -> Iterator[Page]:
        since: str = checkpoint.get("from", "")
        token: str = checkpoint.get("token", "")
        next_from: str = checkpoint.get("next_from", "")
        first: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": self.metadata_prefix}
        if since:
            day_only = self._granularity() == "YYYY-MM-DD"
            first["from"] = since[:10] if day_only else since
        if self.set_spec:
            first["set"] = self.set_spec
        resuming = bool(token)
        seen_tokens: set[str] = set()
        pages = 0
        while True:
            params = {"verb": "ListRecords", "resumptionToken": token} if token else first
            root = self._ask(params)
            next_from = next_from or safexml.text(root.find(f"{OAI}responseDate"))
            errors = self._errors(root)
            if errors and resuming and errors[0][0] == "badResumptionToken":
                # The stored token expired between runs: start this list again.
                token, resuming = "", False
                continue
            resuming = False
            if errors:
                if [code for code, _text in errors] == ["noRecordsMatch"]:
                    yield Page([], {"from": next_from or since})
                    return
                raise self._protocol_error(errors, "ListRecords")
            listing = root.find(f"{OAI}ListRecords")
            if listing is None:
                raise FeedError(
                    f"The OAI-PMH response from {self.source.endpoint} has neither records "
                    "nor an error."
                )
            records = [self._raw(record) for record in listing.iterfind(f"{OAI}record")]
            token = safexml.text(listing.find(f"{OAI}resumptionToken"))
            pages += 1
            if not token:
                yield Page(records, {"from": next_from or since})
                return
            if token in seen_tokens:
                raise FeedError(
                    f"The OAI-PMH repository sent the resumption token {token!r} twice: "
                    "a loop, harvest stopped."
                )
            if pages >= self.max_pages:
                raise FeedError(
                    f"The OAI-PMH repository still sent a resumption token after {pages} "
                    "pages (PARTNER_FETCH_MAX_PAGES): harvest stopped as a loop."
                )
            seen_tokens.add(token)
            yield Page(records, {"from": since, "token": token, "next_from": next_from})

    @staticmethod
    def _raw(record: etree._Element) -> OaiRecord:
        header = record.find(f"{OAI}header")
        identifier = safexml.text(header.find(f"{OAI}identifier")) if header is not None else ""
        datestamp = safexml.text(header.find(f"{OAI}datestamp")) if header is not None else ""
        deleted = header is not None and header.get("status") == "deleted"
        return OaiRecord(identifier, datestamp, deleted, etree.tostring(record))

    # -- map ------------------------------------------------------------------------------

    def map_record(self, raw: OaiRecord) -> EntryRecord | OrganizationRecord | Deletion:
        if not raw.identifier:
            raise RecordError("An OAI-PMH record has no identifier in its header: skipped.")
        if raw.deleted:
            return Deletion(external_id=raw.identifier)
        record = etree.fromstring(raw.xml, safexml.parser())
        dc = record.find(f"{OAI}metadata/{OAI_DC}dc")
        if dc is None:
            raise RecordError(
                f"OAI-PMH record {raw.identifier} has no oai_dc metadata.",
                external_id=raw.identifier,
            )

        def values(name: str) -> list[etree._Element]:
            return [e for e in dc.iterfind(f"{DC}{name}") if safexml.text(e)]

        record_language = next(
            (lang for e in values("language") if (lang := content_language(safexml.text(e)))),
            "",
        )
        default = record_language or "en"

        def per_language(name: str, limit: int | None = None) -> dict[str, str]:
            texts: dict[str, str] = {}
            for element in values(name):
                raw_language = element.get(safexml.XML_LANG)
                language = content_language(raw_language) if raw_language else default
                if language and language not in texts:
                    value = safexml.text(element)
                    texts[language] = clip(value, limit) if limit else value
            return texts

        titles = per_language("title", TITLE_MAX)
        if not titles:
            raise RecordError(
                f"OAI-PMH record {raw.identifier} has no title in a language the portal holds.",
                external_id=raw.identifier,
            )
        descriptions = per_language("description")
        summaries: dict[str, str] = {}
        bodies: dict[str, str] = {}
        for language, title in titles.items():
            summary, body = summary_and_body(descriptions.get(language, title))
            summaries[language] = summary
            if body:
                bodies[language] = body
        language = default if default in titles else next(iter(titles))
        urls = [
            safexml.text(e)
            for e in values("identifier")
            if safexml.text(e).startswith(("http://", "https://"))
        ]
        themes = tuple(
            dict.fromkeys(
                t for e in values("subject") if (t := self.vocabulary.theme(safexml.text(e)))
            )
        )
        countries = tuple(
            dict.fromkeys(
                iso3
                for e in values("coverage")
                if (iso3 := self.vocabulary.country(safexml.text(e)))
            )
        )
        providers = tuple(
            OrganizationRecord(name=clip(safexml.text(e), 255), role="lead")
            for e in values("publisher")[:1]
        )
        dates = [parse_day(safexml.text(e)) for e in values("date")]
        return EntryRecord(
            external_id=raw.identifier,
            module=self.module,
            kind=self.kind,
            titles=titles,
            summaries=summaries,
            bodies=bodies,
            language=language,
            countries_iso3=countries,
            theme_slugs=themes,
            providers=providers,
            links=tuple((url, "") for url in dict.fromkeys(urls)),
            starts_on=next((d for d in dates if d is not None), None),
            source_modified=parse_when(raw.datestamp),
            source_url=urls[0] if urls else "",
        )

"""The XML of OAI-PMH responses, built with lxml, and the `oai_dc` record of an entry."""

import datetime
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.urls import reverse
from lxml import etree

from catalog.models import Entry, EntryProvider

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_IDENTIFIER_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Characters XML 1.0 cannot carry (control characters a partner's text may hold): dropped, since
# lxml refuses them and one would otherwise break a whole page of the harvest.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: Any) -> str:
    return _NOT_XML.sub("", str(value))


def datestamp(moment: datetime.datetime) -> str:
    """A UTC datestamp with the repository's granularity, seconds."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def oai_identifier(entry_id: int) -> str:
    return f"oai:{settings.OAI_REPOSITORY_IDENTIFIER}:entry/{entry_id}"


def entry_url(entry: Entry) -> str:
    path = reverse("catalog:entry_detail", kwargs={"module": entry.module, "pk": entry.pk})
    return settings.SITE_URL.rstrip("/") + path


def _sub(parent: etree._Element, tag: str, text: Any = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def envelope(
    *, now: datetime.datetime, base_url: str, request_args: dict[str, str] | None
) -> etree._Element:
    """The root element with its response date and request; `request_args` None for a
    badVerb or badArgument, whose request element carries no attributes."""
    root = etree.Element(
        f"{{{OAI_NS}}}OAI-PMH",
        nsmap={None: OAI_NS, "xsi": XSI_NS},  # type: ignore[dict-item]
    )
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    _sub(root, f"{{{OAI_NS}}}responseDate", datestamp(now))
    _sub(root, f"{{{OAI_NS}}}request", base_url, **(request_args or {}))
    return root


def add_error(root: etree._Element, code: str, message: str) -> None:
    _sub(root, f"{{{OAI_NS}}}error", message, code=code)


def add_header(
    parent: etree._Element,
    *,
    entry_id: int,
    stamp: datetime.datetime,
    deleted: bool,
    set_specs: Iterable[str],
) -> None:
    header = _sub(parent, f"{{{OAI_NS}}}header")
    if deleted:
        header.set("status", "deleted")
    _sub(header, f"{{{OAI_NS}}}identifier", oai_identifier(entry_id))
    _sub(header, f"{{{OAI_NS}}}datestamp", datestamp(stamp))
    for spec in set_specs:
        _sub(header, f"{{{OAI_NS}}}setSpec", spec)


def add_oai_dc(parent: etree._Element, entry: Entry) -> None:
    """Simple Dublin Core of an entry: what a library catalogue or a repository aggregator
    understands without knowing the portal."""
    metadata = _sub(parent, f"{{{OAI_NS}}}metadata")
    dc = etree.SubElement(
        metadata, f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
    )
    dc.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")

    def element(name: str, text: Any, lang: str | None = None) -> None:
        if text is None or not str(text).strip():
            return
        item = _sub(dc, f"{{{DC_NS}}}{name}", str(text).strip())
        if lang:
            item.set(XML_LANG, lang)

    element("title", entry.title, entry.language)
    links = sorted(entry.provider_links.all(), key=lambda link: link.pk)
    for link in links:
        if link.role == EntryProvider.Role.FUNDER:
            element("contributor", link.organization.name)
        else:
            element("creator", link.organization.name)
    for theme in sorted(entry.themes.all(), key=lambda theme: theme.position):
        element("subject", theme.name, "en")
    for goal in sorted(entry.sdg_goals.all(), key=lambda goal: goal.number):
        element("subject", f"SDG {goal.number}: {goal.short_en}", "en")
    element("description", entry.summary, entry.language)
    element("description", entry.body, entry.language)
    for link in links:
        if link.role == EntryProvider.Role.LEAD:
            element("publisher", link.organization.name)
    if entry.published_at:
        element("date", entry.published_at.astimezone(datetime.UTC).date().isoformat())
    if entry.starts_on:
        element("date", entry.starts_on.isoformat())
    element("type", Entry.Module(entry.module).label, "en")
    element("type", Entry.Kind(entry.kind).label, "en")
    element("identifier", entry_url(entry))
    element("language", entry.language)
    for url in sorted({link.url for link in entry.links.all()}):
        element("relation", url)
    countries = {*entry.countries_applied.all(), *entry.countries_of_origin.all()}
    if entry.venue_country:
        countries.add(entry.venue_country)
    for country in sorted(countries, key=lambda country: country.name_en):
        element("coverage", country.name_en, "en")


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

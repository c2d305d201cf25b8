"""XML from partners, parsed without trusting it.

lxml reads with entities left unresolved, no network, no DTD loading and libxml2's default
limits (no `huge_tree`). A document that declares a DTD at all (`<!DOCTYPE ...>`: the vehicle
of entity expansion — "billion laughs" — and of external entities that read local files) is
refused as soon as its root element starts, before anything is mapped. Parse errors become a
`FeedError` naming the feed, the line and, where it helps, the likely cause.
"""

from collections.abc import Iterator
from typing import IO

from lxml import etree

from partners.connectors.base import FeedError

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "load_dtd": False,
    "dtd_validation": False,
}


def parser() -> etree.XMLParser:
    return etree.XMLParser(remove_blank_text=False, **_OPTIONS)  # type: ignore[arg-type]


def parse(data: bytes, *, what: str) -> etree._Element:
    """A whole (small) document, e.g. one OAI-PMH response."""
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, what=what) from exc
    _refuse_dtd(root, what)
    return root


def iter_elements(source: IO[bytes], *, tags: set[str], what: str) -> Iterator[etree._Element]:
    """The elements named in `tags` (Clark notation for namespaced names) from a stream, each
    complete when yielded, in document order; each is freed once the caller moves on, so memory
    stays flat in the document's size. The root element is yielded first, still empty, so that
    the caller can read its attributes."""
    events = etree.iterparse(source, events=("start", "end"), **_OPTIONS)  # type: ignore[call-overload]
    root_seen = False
    try:
        for event, element in events:
            if not root_seen:
                root_seen = True
                _refuse_dtd(element, what)
                yield element
                continue
            if event != "end" or element.tag not in tags:
                continue
            yield element
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, what=what) from exc


def _refuse_dtd(element: etree._Element, what: str) -> None:
    info = element.getroottree().docinfo
    if getattr(info, "doctype", "") or info.internalDTD is not None:
        raise FeedError(
            f"{what} declares a DTD (<!DOCTYPE>), which a partner feed may not use: "
            "entities are never expanded and the document is refused."
        )


def syntax_error(exc: etree.XMLSyntaxError, *, what: str) -> FeedError:
    message = str(exc.msg or exc).strip()
    hint = ""
    lowered = message.lower()
    if "premature end" in lowered or "not found" in lowered and "end" in lowered:
        hint = " The document ends before it is complete (truncated?)."
    elif "encoding" in lowered or "utf-8" in lowered or "blank needed" in lowered:
        hint = " Its bytes do not match the encoding it declares."
    elif "no element found" in lowered or "document is empty" in lowered:
        hint = " The document is empty."
    elif "start tag expected" in lowered:
        hint = " It does not start like an XML document."
    return FeedError(f"{what} is not well-formed XML: {message}.{hint}")


def text(element: etree._Element | None) -> str:
    """The element's text content, whitespace collapsed."""
    if element is None:
        return ""
    return " ".join("".join(str(t) for t in element.itertext()).split())

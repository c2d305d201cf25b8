"""The published catalogue in DCAT-AP, so that a CKAN (ckanext-dcat) or other DCAT harvester can
pull it: a `dcat:Catalog` whose `dcat:Dataset`s are the published entries.

Each entry is a dataset: its URI is its DCAT resource in the API (`/api/v1/catalog/{id}/`, which
describes it), its landing page the entry's page, with two distributions (the API's JSON and the
page). Themes are concepts of our own scheme (`/api/v1/themes/{code}/`), SDG goals and targets
those of the UN's SDG vocabulary (http://metadata.un.org/sdg/), countries those of the EU
Publications Office's country authority (ISO 3166 alpha-3 codes), languages those of its
language authority. The publisher of a dataset is its lead provider as a `foaf:Agent`.

The catalogue is paged like CKAN's own DCAT endpoint: the page is a `hydra:PagedCollection`
(also typed `hydra:PartialCollectionView`) with `hydra:nextPage` (and `hydra:next`) until the
last page. Contacts are personal data and never part of it.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from catalog.api.serializers import related_rows
from catalog.models import Entry, EntryProvider, Organization
from catalog.models.reference import UN_LANGUAGE_SUFFIXES

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU_COUNTRY = "http://publications.europa.eu/resource/authority/country/"
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
IANA_MEDIA_TYPE = "https://www.iana.org/assignments/media-types/"
SDG = "http://metadata.un.org/sdg/"
# ISO 639-1 (the portal's languages) to the EU authority's ISO 639-3 codes.
LANGUAGE_CODES = {
    "en": "ENG",
    "fr": "FRA",
    "es": "SPA",
    "ar": "ARA",
    "ru": "RUS",
    "zh": "ZHO",
    "pt": "POR",
}
CATALOG_PUBLISHER = "United Nations Environment Programme (UNEP)"


@dataclass(frozen=True)
class Page:
    """Where this page of the catalogue is and which pages surround it."""

    url: str
    first: str
    next: str | None
    previous: str | None
    size: int


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, namespace in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("skos", SKOS),
        ("hydra", HYDRA),
    ):
        graph.bind(prefix, namespace)
    return graph


def _in_each_language(text: Callable[[], str]) -> list[Literal]:
    """`text` in each UN language whose translation differs from English, and in English."""
    with translation.override("en"):
        english = text()
    literals = [Literal(english, lang="en")]
    for language in UN_LANGUAGE_SUFFIXES[1:]:
        with translation.override(language):
            translated = text()
        if translated != english:
            literals.append(Literal(translated, lang=language))
    return literals


def _moment(value: datetime.datetime) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.dateTime)


def _agent(graph: Graph, organization: Organization, absolute: Callable[[str], str]) -> URIRef:
    node = URIRef(absolute(reverse("catalog:organization_detail", kwargs={"pk": organization.pk})))
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, FOAF.name, Literal(organization.name)))
    if organization.website:
        graph.add((node, FOAF.homepage, URIRef(organization.website)))
    return node


def dataset_uri(entry_id: int, absolute: Callable[[str], str]) -> URIRef:
    return URIRef(absolute(reverse("api:catalog-detail", kwargs={"id": entry_id})))


def add_dataset(graph: Graph, entry: Entry, absolute: Callable[[str], str]) -> URIRef:
    """The entry as a dcat:Dataset. Load many with `catalog.api.views.entries_with_relations`,
    whose prefetched relations are read here."""
    node = dataset_uri(entry.pk, absolute)
    page = URIRef(
        absolute(reverse("catalog:entry_detail", kwargs={"module": entry.module, "pk": entry.pk}))
    )
    api = URIRef(absolute(reverse("api:entry-detail", kwargs={"pk": entry.pk})))
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(str(entry.pk))))
    graph.add((node, DCTERMS.title, Literal(entry.title, lang=entry.language)))
    graph.add((node, DCTERMS.description, Literal(entry.summary, lang=entry.language)))
    if code := LANGUAGE_CODES.get(entry.language):
        graph.add((node, DCTERMS.language, URIRef(EU_LANGUAGE + code)))
    graph.add((node, DCTERMS.type, Literal(entry.module)))
    if entry.published_at:
        graph.add((node, DCTERMS.issued, _moment(entry.published_at)))
    graph.add((node, DCTERMS.modified, _moment(entry.updated_at)))
    graph.add((node, DCAT.landingPage, page))
    graph.add((page, RDF.type, FOAF.Document))

    providers: list[EntryProvider] = list(related_rows(entry, "provider_links"))
    lead = next((p for p in providers if p.role == EntryProvider.Role.LEAD), None)
    if lead is None and providers:
        lead = providers[0]
    if lead is not None:
        graph.add((node, DCTERMS.publisher, _agent(graph, lead.organization, absolute)))
    for provider in providers:
        if provider is not lead:
            graph.add((node, DCTERMS.contributor, _agent(graph, provider.organization, absolute)))

    for theme in related_rows(entry, "themes"):
        concept = URIRef(absolute(reverse("api:theme-detail", kwargs={"code": theme.code})))
        graph.add((node, DCAT.theme, concept))
        graph.add((node, DCAT.keyword, Literal(theme.name, lang="en")))
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.prefLabel, Literal(theme.name, lang="en")))
        graph.add((concept, SKOS.inScheme, themes_scheme_uri(absolute)))
    for goal in related_rows(entry, "sdg_goals"):
        graph.add((node, DCAT.theme, URIRef(f"{SDG}{goal.number}")))
    for target in related_rows(entry, "sdg_targets"):
        graph.add((node, DCAT.theme, URIRef(f"{SDG}{target.code}")))

    countries = {c.iso3 for c in related_rows(entry, "countries_of_origin")}
    countries |= {c.iso3 for c in related_rows(entry, "countries_applied")}
    for iso3 in sorted(countries):
        graph.add((node, DCTERMS.spatial, URIRef(EU_COUNTRY + iso3)))

    for suffix, url, media_type, file_type, title in (
        ("json", api, "application/json", "JSON", _("The entry in the REST API (JSON)")),
        ("html", page, "text/html", "HTML", _("The entry's page")),
    ):
        distribution = URIRef(f"{node}#{suffix}")
        graph.add((node, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, Literal(title, lang="en")))
        graph.add((distribution, DCAT.accessURL, url))
        graph.add((distribution, DCAT.mediaType, URIRef(IANA_MEDIA_TYPE + media_type)))
        graph.add((distribution, DCTERMS.format, URIRef(EU_FILE_TYPE + file_type)))
    return node


def themes_scheme_uri(absolute: Callable[[str], str]) -> URIRef:
    return URIRef(absolute(reverse("api:theme-list")))


def catalog_uri(absolute: Callable[[str], str]) -> URIRef:
    return URIRef(absolute(reverse("api:catalog-list")))


def catalog_graph(
    entries: Iterable[Entry],
    *,
    page: Page,
    absolute: Callable[[str], str],
    modified: datetime.datetime | None,
) -> Graph:
    """The catalogue with the datasets of one page, and the page's place among the others."""
    graph = bind_prefixes(Graph(bind_namespaces="core"))
    catalog = catalog_uri(absolute)
    graph.add((catalog, RDF.type, DCAT.Catalog))
    for title in _in_each_language(lambda: _("South-South Exchange")):
        graph.add((catalog, DCTERMS.title, title))
    for description in _in_each_language(
        lambda: _(
            "Southern solutions to capacity-building needs: technologies, expertise, "
            "experience and best practices, training and other opportunities, networks and "
            "events, contributed by partners of South-South and triangular cooperation."
        )
    ):
        graph.add((catalog, DCTERMS.description, description))
    publisher = BNode("publisher")
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, Literal(CATALOG_PUBLISHER)))
    home = URIRef(absolute(reverse("catalog:home")))
    graph.add((catalog, FOAF.homepage, home))
    for code in LANGUAGE_CODES.values():
        graph.add((catalog, DCTERMS.language, URIRef(EU_LANGUAGE + code)))
    scheme = themes_scheme_uri(absolute)
    graph.add((catalog, DCAT.themeTaxonomy, scheme))
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, DCTERMS.title, Literal("South-South Exchange themes", lang="en")))
    graph.add((catalog, DCAT.themeTaxonomy, URIRef(SDG)))
    if modified is not None:
        graph.add((catalog, DCTERMS.modified, _moment(modified)))
    for entry in entries:
        graph.add((catalog, DCAT.dataset, add_dataset(graph, entry, absolute)))

    view = URIRef(page.url)
    graph.add((view, RDF.type, HYDRA.PagedCollection))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.itemsPerPage, Literal(page.size)))
    graph.add((view, HYDRA.firstPage, URIRef(page.first)))
    graph.add((view, HYDRA.first, URIRef(page.first)))
    if page.next:
        graph.add((view, HYDRA.nextPage, URIRef(page.next)))
        graph.add((view, HYDRA.next, URIRef(page.next)))
    if page.previous:
        graph.add((view, HYDRA.previousPage, URIRef(page.previous)))
        graph.add((view, HYDRA.previous, URIRef(page.previous)))
    return graph


def dataset_graph(entry: Entry, *, absolute: Callable[[str], str]) -> Graph:
    """One entry as a dataset of the catalogue."""
    graph = bind_prefixes(Graph(bind_namespaces="core"))
    node = add_dataset(graph, entry, absolute)
    graph.add((node, DCTERMS.isPartOf, catalog_uri(absolute)))
    return graph

"""The search page's result set as CSV, streamed: the engine is read a page at a time and each
page's entries are loaded from the database as the rows go out."""

import csv
import dataclasses
from collections.abc import Callable, Iterator

from django.urls import reverse

from catalog import selectors as catalog_selectors
from catalog.models import Entry
from search import engine
from search.engine import SearchRequest, SearchResult

MAX_ROWS = 10_000
BATCH = 100  # the engine's largest page
COLUMNS = [
    "id",
    "module",
    "title",
    "summary",
    "countries",
    "themes",
    "sdg_targets",
    "providers",
    "url",
]
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    first: SearchResult, request: SearchRequest, *, absolute_url: Callable[[str], str]
) -> Iterator[str]:
    """The header, then a line per entry of `first` and the pages after it, up to MAX_ROWS."""
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    result, sent = first, 0
    while True:
        ids = [hit.entry_id for hit in result.hits][: MAX_ROWS - sent]
        for entry in catalog_selectors.entries_for_export(ids=ids):
            yield writer.writerow(_row(entry, absolute_url))
            sent += 1
        if sent >= MAX_ROWS or result.page >= result.page_count:
            return
        result = engine.search(dataclasses.replace(request, page=result.page + 1))


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _row(entry: Entry, absolute_url: Callable[[str], str]) -> list[str]:
    countries = {c.pk: c for c in entry.countries_of_origin.all()}
    countries.update({c.pk: c for c in entry.countries_applied.all()})
    path = reverse("catalog:entry_detail", kwargs={"module": entry.module, "pk": entry.pk})
    return [
        str(entry.pk),
        entry.module,
        _cell(entry.title),
        _cell(entry.summary),
        "; ".join(sorted(c.iso3 for c in countries.values())),
        "; ".join(theme.code for theme in entry.themes.all()),
        "; ".join(target.code for target in entry.sdg_targets.all()),
        _cell("; ".join(organization.name for organization in entry.providers.all())),
        absolute_url(path),
    ]

"""Filter queries and facet counts.

Values within one facet are ORed, facets are ANDed, and each facet is counted with every filter
but its own (disjunctive facets), so a person sees how many entries each other value would add.
Keyword facets are counted with tantivy's terms aggregation, one call for all the facets that
share the same filters; `opportunity_status` is computed from the deadline at query time.
"""

import datetime
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence

from tantivy import FieldType, Occur, Query, Schema, Searcher, SearchResult

from catalog.models import Entry
from search import schema as fields
from search.filters import CLOSING_SOON, KEYWORD_FACETS, OPEN, OPPORTUNITY_STATUS

CLOSING_SOON_DAYS = 14
# Enough buckets for every value of the largest facet (countries, SDG targets).
_BUCKETS = 1000


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)


def _date_range(
    index_schema: Schema,
    field: str,
    lower: datetime.date | None = None,
    upper: datetime.date | None = None,
) -> Query:
    return Query.range_query(
        index_schema,
        field,
        FieldType.Date,
        _midnight(lower) if lower else None,
        _midnight(upper) if upper else None,
    )


def _module(index_schema: Schema, module: str) -> Query:
    return Query.term_query(index_schema, "module", module)


def status_query(index_schema: Schema, status: str, today: datetime.date) -> Query:
    """Opportunities open (deadline today or later) or closing soon (within 14 days)."""
    upper = today + datetime.timedelta(days=CLOSING_SOON_DAYS) if status == CLOSING_SOON else None
    return all_of(
        [
            _module(index_schema, Entry.Module.OPPORTUNITY),
            _date_range(index_schema, fields.DEADLINE, today, upper),
        ]
    )


def event_query(
    index_schema: Schema, start: datetime.date | None, end: datetime.date | None
) -> Query | None:
    """Events overlapping the period from `start` to `end` (either may be open)."""
    if start is None and end is None:
        return None
    parts = [_module(index_schema, Entry.Module.EVENT)]
    if end is not None:
        parts.append(_date_range(index_schema, fields.EVENT_START, upper=end))
    if start is not None:
        parts.append(_date_range(index_schema, fields.EVENT_END, lower=start))
    return all_of(parts)


def filter_query(
    index_schema: Schema, facet: str, values: Sequence[str], today: datetime.date
) -> Query:
    if facet == OPPORTUNITY_STATUS:
        # "closing soon" lies within "open": both selected read as "open".
        status = OPEN if OPEN in values else CLOSING_SOON
        return status_query(index_schema, status, today)
    return Query.term_set_query(index_schema, facet, list(values))


def all_of(queries: Iterable[Query | None]) -> Query:
    present = [query for query in queries if query is not None]
    if not present:
        return Query.all_query()
    if len(present) == 1:
        return present[0]
    return Query.boolean_query([(Occur.Must, query) for query in present])


def count(
    searcher: Searcher,
    index_schema: Schema,
    *,
    base: Sequence[Query | None],
    filters: Mapping[str, Query],
    facets: Sequence[str],
    today: datetime.date,
) -> dict[str, dict[str, int]]:
    """Counts per value for each facet: `base` (text, dates) and every filter but its own."""
    counts: dict[str, dict[str, int]] = {}
    shared = [facet for facet in facets if facet not in filters and facet in KEYWORD_FACETS]
    if shared:
        query = all_of([*base, *filters.values()])
        counts.update(_terms(searcher, query, shared))
    for facet in facets:
        if facet in counts:
            continue
        query = all_of([*base, *(q for name, q in filters.items() if name != facet)])
        if facet == OPPORTUNITY_STATUS:
            counts[facet] = {
                status: _hits(searcher, all_of([query, status_query(index_schema, status, today)]))
                for status in (OPEN, CLOSING_SOON)
            }
        else:
            counts.update(_terms(searcher, query, [facet]))
    return counts


def hit_count(result: SearchResult) -> int:
    """The number of matching documents (tantivy's type stub leaves `count` out)."""
    return int(getattr(result, "count", 0) or 0)


def _hits(searcher: Searcher, query: Query) -> int:
    # tantivy panics on limit=0; one hit is the cheapest count.
    return hit_count(searcher.search(query, limit=1))


def _terms(searcher: Searcher, query: Query, facets: Sequence[str]) -> dict[str, dict[str, int]]:
    result = searcher.aggregate(
        query, {facet: {"terms": {"field": facet, "size": _BUCKETS}} for facet in facets}
    )
    return {
        facet: {
            str(bucket["key"]): int(bucket["doc_count"])
            for bucket in result.get(facet, {}).get("buckets", [])
        }
        for facet in facets
    }


Counts = dict[str, dict[str, int]]


class CountCache:
    """Recent facet counts of one copy of the index, dropped whenever its searcher changes.

    The same counts are asked for again and again: the search page without words (every
    visitor's first view), each further page of a search, the back button. Counting all
    entries of a million costs tens of milliseconds per facet; a dict lookup does not."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, Counts] = OrderedDict()
        self._lock = threading.Lock()
        self.generation = 0

    def changed(self) -> None:
        """The searcher sees other documents now."""
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def get(self, key: Hashable, compute: Callable[[], Counts]) -> Counts:
        """`key` must include the generation read before the searcher that `compute` uses."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        counts = compute()
        with self._lock:
            self._entries[key] = counts
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return counts

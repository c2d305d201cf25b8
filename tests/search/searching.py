"""Helpers for the tests of the search engine."""

from search.engine import SearchEngine, SearchRequest, SearchResult


def hit_ids(result: SearchResult) -> list[int]:
    return [hit.entry_id for hit in result.hits]


def found(engine: SearchEngine, text: str = "", **request: object) -> list[int]:
    """Ids of the first page of a search, no facets counted."""
    return hit_ids(engine.search(SearchRequest(text=text, facets=(), **request)))  # type: ignore[arg-type]

import datetime

import pytest
from django.utils import timezone

from search.engine import SearchRequest
from tests.factories import EntryFactory, OpportunityFactory
from tests.search.searching import found

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def test_newest_sorts_by_publication_date(build_index):
    now = timezone.now()
    old = EntryFactory(title="Solar pumps", published_at=now - days(30))
    new = EntryFactory(title="Solar pumps and panels for solar farms", published_at=now)
    middle = EntryFactory(title="Solar kiosks", published_at=now - days(3))
    engine = build_index()

    assert found(engine, "solar", sort="newest") == [new.pk, middle.pk, old.pk]
    # With no text, relevance means nothing: newest first.
    assert found(engine) == [new.pk, middle.pk, old.pk]


def test_closing_puts_upcoming_deadlines_first_then_past_then_none(build_index):
    today = timezone.localdate()
    past = OpportunityFactory(deadline=today - days(3))
    later = OpportunityFactory(deadline=today + days(10))
    soon = OpportunityFactory(deadline=today + days(2))
    long_past = OpportunityFactory(deadline=today - days(30))
    today_ = OpportunityFactory(deadline=today)
    rolling = OpportunityFactory(deadline=None, starts_on=today + days(60))
    technology = EntryFactory()
    engine = build_index()

    order = found(engine, sort="closing", page_size=50)

    assert order[:5] == [today_.pk, soon.pk, later.pk, past.pk, long_past.pk]
    assert set(order[5:]) == {rolling.pk, technology.pk}
    # Pages cut across the upcoming and the rest.
    assert found(engine, sort="closing", page_size=2, page=2) == [later.pk, past.pk]
    assert found(engine, sort="closing", page_size=2, page=3) == [long_past.pk, order[5]]


def test_pages_split_the_results_and_a_page_past_the_end_is_the_last(build_index):
    entries = [EntryFactory(title=f"Solar pumps {n}") for n in range(25)]
    engine = build_index()

    pages = [engine.search(SearchRequest(text="solar", page=n, page_size=10)) for n in (1, 2, 3)]

    assert [len(page.hits) for page in pages] == [10, 10, 5]
    assert {page.page_count for page in pages} == {3}
    assert {page.total for page in pages} == {25}
    seen = [hit.entry_id for page in pages for hit in page.hits]
    assert sorted(seen) == sorted(e.pk for e in entries)

    past_the_end = engine.search(SearchRequest(text="solar", page=40, page_size=10))
    assert past_the_end.page == 3
    assert [h.entry_id for h in past_the_end.hits] == [h.entry_id for h in pages[2].hits]
    assert past_the_end.notices == ["There is no page 40; this is the last page, 3."]
    assert engine.search(SearchRequest(text="solar", page=-5, page_size=10)).page == 1


def test_no_results_page_is_page_one_of_one(build_index):
    EntryFactory(title="Solar pumps")
    engine = build_index()

    result = engine.search(SearchRequest(text="geothermal", page=3))

    assert (result.total, result.page, result.page_count, result.hits) == (0, 1, 1, [])


def test_a_misspelt_word_gets_a_suggestion_that_finds_more(build_index):
    entry = EntryFactory(title="Rainwater harvesting for farms")
    engine = build_index()

    result = engine.search(SearchRequest(text="rainwater harvetsing", facets=()))

    assert result.total == 0
    assert result.suggestion == "rainwater harvesting"
    assert found(engine, result.suggestion) == [entry.pk]
    # A query that finds something is not corrected.
    assert engine.search(SearchRequest(text="rainwater harvesting")).suggestion is None
    # Nor one whose correction finds no more, here because of a filter.
    assert (
        engine.search(
            SearchRequest(text="harvetsing", filters={"module": ["event"]}, facets=())
        ).suggestion
        is None
    )


def test_an_absurd_page_number_is_the_last_page(build_index):
    entries = [EntryFactory(title=f"Solar pumps {n}") for n in range(3)]
    engine = build_index()

    result = engine.search(SearchRequest(text="solar", page=10**15, page_size=2))

    assert (result.page, result.page_count, len(result.hits)) == (2, 2, 1)
    assert result.hits[0].entry_id in {e.pk for e in entries}
    assert result.notices == [f"There is no page {10**15}; this is the last page, 2."]

"""`partners.sync.read_ahead`: the next page is fetched while the current one is stored."""

import threading
from collections.abc import Iterator

import pytest

from partners.connectors.base import FeedError, Page
from partners.sync import read_ahead


class Feed:
    """A connector's `fetch`: yields `pages` pages, then raises `failure` if given; records
    which pages it began to fetch, in which thread, and whether it was closed."""

    def __init__(self, pages: int, failure: BaseException | None = None) -> None:
        self.pages = pages
        self.failure = failure
        self.begun: list[int] = []
        self.threads: set[int] = set()
        self.closed = False
        self.fetching = {n: threading.Event() for n in range(pages + 1)}

    def fetch(self) -> Iterator[Page]:
        try:
            for n in range(self.pages):
                self.begun.append(n)
                self.threads.add(threading.get_ident())
                self.fetching[n].set()
                yield Page([f"record {n}"], {"offset": n + 1})
            self.fetching[self.pages].set()
            if self.failure is not None:
                raise self.failure
        finally:
            self.closed = True


def test_the_next_page_is_fetched_in_another_thread_while_the_current_one_is_stored() -> None:
    feed = Feed(3)
    received = []
    for page in read_ahead(feed.fetch()):
        received.append(page.raw_records)
        n = len(received) - 1
        # Still holding page n, the feed is already at page n + 1.
        assert feed.fetching[n + 1].wait(timeout=10)

    assert received == [["record 0"], ["record 1"], ["record 2"]]
    assert threading.get_ident() not in feed.threads
    assert feed.closed


def test_what_the_feed_raises_comes_after_the_pages_before_it() -> None:
    feed = Feed(2, failure=FeedError("HTTP 503", retryable=True))
    received = []

    with pytest.raises(FeedError, match="HTTP 503") as raised:
        for page in read_ahead(feed.fetch()):
            received.append(page.checkpoint)

    assert received == [{"offset": 1}, {"offset": 2}]
    assert raised.value.retryable
    assert feed.closed


def test_a_consumer_that_stops_early_closes_the_feed_and_ends_the_thread() -> None:
    feed = Feed(50)
    pages = read_ahead(feed.fetch())

    first = next(pages)
    pages.close()  # e.g. the run was lost while storing the first page

    assert first.checkpoint == {"offset": 1}
    assert feed.closed
    assert len(feed.begun) < 50  # not read to its end
    assert not any(t.name == "partner-sync-read-ahead" for t in threading.enumerate())

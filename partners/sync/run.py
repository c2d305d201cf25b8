"""A run of a source: fetch from its checkpoint and store page by page (`sync_run_execute`), the
next page read ahead in a thread for network feeds."""

import gc
import queue
import threading
from collections.abc import Iterator
from typing import Any

from django.db import connections
from django.utils import timezone

from partners.connectors.base import Connector, Page
from partners.models import PartnerSource, SyncRun
from partners.sync.records import Counts
from partners.sync.store import PageStore


def sync_run_execute(*, run: SyncRun, connector: Connector) -> Counts:
    """Fetch from the source's checkpoint and store every page; raises what the connector
    raises (`FeedError`) with the pages before it committed. Returns the run's counts; the
    caller marks the run succeeded (`partners.services.sync_run_succeed`)."""
    source = run.source
    checkpoint = dict(source.checkpoint or {})
    if source.pass_started_at is None and (
        not checkpoint or getattr(connector, "complete_listing", False)
    ):
        # A full pass begins: from the start of the feed, or with a connector that lists every
        # record each time (an IATI file read again). It ends with the run that completes it.
        source.pass_started_at = run.started_at or timezone.now()
        PartnerSource.objects.filter(pk=source.pk).update(pass_started_at=source.pass_started_at)
    store = PageStore(run=run, connector=connector)
    total = Counts()
    pages: Iterator[Page] = connector.fetch(checkpoint)
    feed = read_ahead(pages) if source.connector in READ_AHEAD else pages
    try:
        with _fewer_collections:
            for page in feed:
                total.add(store.store(page))
    finally:
        for iterator in (feed, pages):  # the thread first, if any: it may be using `pages`
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
    return total


# The connectors that read a feed over the network. Their `fetch` runs in the read-ahead
# thread, so any query it makes runs in a connection of its own, outside the run's transaction
# (CKAN's note that the portal refused `include_deleted` is committed at once).
READ_AHEAD = {
    PartnerSource.Connector.CKAN,
    PartnerSource.Connector.EXCHANGE,
    PartnerSource.Connector.IATI,
    PartnerSource.Connector.OAI_PMH,
}


def read_ahead(pages: Iterator[Page]) -> Iterator[Page]:
    """The pages of a connector's `fetch`, the next one fetched (downloaded, parsed) in a thread
    while the caller stores the current one: most of a page's storing is spent waiting for
    PostgreSQL, which leaves the interpreter free. At most one page waits and one is being
    fetched, so memory stays flat; what `fetch` raises comes after the pages before it, as
    without the thread. Mapping stays with the caller: connectors read their vocabularies
    from the database, which a thread would read outside the run's transaction."""
    ahead: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def offer(kind: str, value: Any) -> bool:
        while not stop.is_set():
            try:
                ahead.put((kind, value), timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def fetch() -> None:
        try:
            for page in pages:
                if not offer("page", page):
                    return
            offer("end", None)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            offer("error", exc)
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()
            connections.close_all()  # this thread's, should `fetch` have used one

    reader = threading.Thread(target=fetch, name="partner-sync-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = ahead.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        reader.join()


class _FewerCollections:
    """Python's cyclic garbage collector, by default, runs every 700 allocations and then
    traverses every object a page keeps until it is stored (a sixth of a harvest's CPU time
    went there). A page's objects are freed by reference counting anyway: while runs are going
    on in this process (in threads of one worker too), collect less often; as usual after."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs = 0
        self._usual = gc.get_threshold()

    def __enter__(self) -> None:
        with self._lock:
            if self._runs == 0:
                self._usual = gc.get_threshold()
                gc.set_threshold(max(self._usual[0], 50_000), *self._usual[1:])
            self._runs += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._runs -= 1
            if self._runs == 0:
                gc.set_threshold(*self._usual)


_fewer_collections = _FewerCollections()

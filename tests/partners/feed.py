"""Connectors for testing the sync engine, and a real HTTP feed on 127.0.0.1 for one of them.

- `ListConnector`: real `Connector` over a list of records (EntryRecord, Deletion,
  OrganizationRecord, or an exception to raise when that record is mapped), in pages of
  `page_size`, resuming at `{"offset": n}`; it can be told to raise after some pages, or to
  raise retryable feed errors a number of times first.
- `JsonFeedConnector`: reads a paged JSON feed over HTTP (`{"records": [...], "next": n}`),
  maps each JSON record to an EntryRecord or a Deletion; HTTP 5xx is a retryable FeedError.
- `FeedServer`: serves such a feed from a JSON-lines file on 127.0.0.1, in a thread of the test
  (benchmarks/sync.py runs one in a process of its own); it can answer 503 to the first N
  requests and wait before each page.

The factory `connector_for` (set `PARTNER_SYNC_CONNECTOR_FACTORY=tests.partners.feed.connector_for`)
returns a registered ListConnector for a source in this process, else a JsonFeedConnector on the
source's endpoint, which is how a real Celery worker process runs these sources.
"""

import datetime
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from partners.connectors.base import (
    Connector,
    Deletion,
    EntryRecord,
    FeedError,
    OrganizationRecord,
    Page,
    RecordError,
)

REGISTERED: dict[int, Connector] = {}


def connector_for(source: Any, *, credentials: str = "") -> Connector:
    if source.pk in REGISTERED:
        return REGISTERED[source.pk]
    return JsonFeedConnector(source.endpoint, credentials=credentials)


def entry_record(external_id: str, **changes: Any) -> EntryRecord:
    """A valid experience record; `changes` replace its fields."""
    values: dict[str, Any] = {
        "external_id": external_id,
        "module": "experience",
        "kind": "case-study",
        "titles": {"en": f"Mangrove restoration {external_id}"},
        "summaries": {"en": "Community-led replanting of mangroves."},
        "language": "en",
        "countries_iso3": ("KEN",),
        "theme_slugs": (),
        "sdg_targets": ("14.2",),
    }
    values.update(changes)
    return EntryRecord(**values)


class ListConnector:
    def __init__(
        self,
        records: Sequence[Any],
        *,
        page_size: int = 2,
        fail_after_pages: int | None = None,
        failure: BaseException | None = None,
        retryable_failures: int = 0,
        complete_listing: bool = False,
    ) -> None:
        self.records = list(records)
        self.page_size = page_size
        self.fail_after_pages = fail_after_pages
        self.failure = failure or RuntimeError("The worker was killed.")
        self.retryable_failures = retryable_failures
        self.complete_listing = complete_listing
        self.fetches: list[dict[str, Any]] = []

    def fetch(self, checkpoint: dict[str, Any]) -> Iterator[Page]:
        self.fetches.append(dict(checkpoint))
        if self.retryable_failures > 0:
            self.retryable_failures -= 1
            raise FeedError("HTTP 503 from the partner's server", retryable=True)
        offset = int(checkpoint.get("offset", 0))
        pages = 0
        while offset < len(self.records):
            if self.fail_after_pages is not None and pages == self.fail_after_pages:
                self.fail_after_pages = None  # once
                raise self.failure
            chunk = self.records[offset : offset + self.page_size]
            offset += len(chunk)
            pages += 1
            yield Page(chunk, {"offset": offset} if offset < len(self.records) else None)

    def map_record(self, raw: Any) -> EntryRecord | OrganizationRecord | Deletion:
        if isinstance(raw, BaseException):
            raise raw
        assert isinstance(raw, (EntryRecord, OrganizationRecord, Deletion))
        return raw


# --- A JSON feed over HTTP ------------------------------------------------------------------------


class JsonFeedConnector:
    """`GET {endpoint}?offset=N&limit=M` -> `{"records": [...], "next": N2 | null}`."""

    def __init__(self, endpoint: str, *, credentials: str = "", page_size: int = 1000) -> None:
        # `?page_size=N` on the endpoint sets the page size.
        parts = urlsplit(endpoint)
        self.endpoint = parts._replace(query="").geturl()
        self.credentials = credentials
        self.page_size = int(parse_qs(parts.query).get("page_size", [page_size])[0])

    def _get(self, offset: int) -> dict[str, Any]:
        url = f"{self.endpoint}?offset={offset}&limit={self.page_size}"
        request = urllib.request.Request(url)  # noqa: S310 - http://127.0.0.1 in tests
        if self.credentials:
            request.add_header("Authorization", f"Bearer {self.credentials}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return json.loads(response.read())  # type: ignore[no-any-return]
        except urllib.error.HTTPError as exc:
            raise FeedError(f"HTTP {exc.code} from {url}", retryable=exc.code >= 500) from exc
        except (urllib.error.URLError, TimeoutError) as exc:
            raise FeedError(f"{url}: {exc}", retryable=True) from exc
        except ValueError as exc:
            raise FeedError(f"{url} did not answer JSON: {exc}") from exc

    def fetch(self, checkpoint: dict[str, Any]) -> Iterator[Page]:
        offset: int | None = int(checkpoint.get("offset", 0))
        while offset is not None:
            body = self._get(offset)
            offset = body.get("next")
            yield Page(body["records"], {"offset": offset} if offset is not None else None)

    def map_record(self, raw: Any) -> EntryRecord | Deletion:
        external_id = str(raw.get("id") or "")
        if not external_id:
            raise RecordError("The record has no id.")
        if raw.get("deleted"):
            return Deletion(external_id)
        try:
            return EntryRecord(
                external_id=external_id,
                module=raw.get("module", "experience"),
                kind=raw.get("kind", "case-study"),
                titles=raw["titles"],
                summaries=raw.get("summaries", {}),
                bodies=raw.get("bodies", {}),
                language=raw.get("language", "en"),
                countries_iso3=tuple(raw.get("countries", ())),
                origin_countries_iso3=tuple(raw.get("origin", ())),
                theme_slugs=tuple(raw.get("themes", ())),
                sdg_targets=tuple(raw.get("targets", ())),
                providers=tuple(OrganizationRecord(**p) for p in raw.get("providers", ())),
                links=tuple(tuple(link) for link in raw.get("links", ())),  # type: ignore[misc]
                source_url=raw.get("url", ""),
                starts_on=_day(raw.get("starts_on")),
                ends_on=_day(raw.get("ends_on")),
            )
        except (KeyError, TypeError) as exc:
            raise RecordError(f"Malformed record: {exc}", external_id=external_id) from exc


def _day(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


class FeedServer:
    """Serves the JSON-lines file `path` as a paged feed at `server.url` (a thread)."""

    def __init__(
        self, path: Path, *, fail_first: int = 0, port: int = 0, delay: float = 0.0
    ) -> None:
        self.path = path
        self.fail_first = fail_first
        self.delay = delay  # seconds before each page
        self.requests = 0
        self.request_times: list[float] = []
        self._offsets = _line_offsets(path)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                owner.requests += 1
                owner.request_times.append(time.monotonic())
                time.sleep(owner.delay)
                if owner.fail_first > 0:
                    owner.fail_first -= 1
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                query = parse_qs(urlsplit(self.path).query)
                offset = int(query.get("offset", ["0"])[0])
                limit = int(query.get("limit", ["1000"])[0])
                body = owner.page(offset, limit)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/feed"

    def page(self, offset: int, limit: int) -> bytes:
        total = len(self._offsets)
        end = min(offset + limit, total)
        with open(self.path, "rb") as feed:
            feed.seek(self._offsets[offset] if offset < total else 0)
            lines = [feed.readline() for _ in range(max(end - offset, 0))]
        next_offset = end if end < total else None
        return (
            b'{"records": ['
            + b",".join(line.rstrip(b"\n") for line in lines)
            + b'], "next": '
            + (str(next_offset).encode() if next_offset is not None else b"null")
            + b"}"
        )

    def __enter__(self) -> "FeedServer":
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _line_offsets(path: Path) -> list[int]:
    offsets: list[int] = []
    position = 0
    with open(path, "rb") as feed:
        for line in feed:
            offsets.append(position)
            position += len(line)
    return offsets


def write_feed(path: Path, records: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path

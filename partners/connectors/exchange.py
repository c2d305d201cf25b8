"""Another South-South Exchange portal, through its REST API (/api/v1/), so that regional
instances can federate. The endpoint is the other portal's address (`https://x.example.org`);
credentials, when given, are one of its API keys (sent as `Authorization: Bearer <key>`).

`fetch` reads, as the API asks mirrors to, first the deletions (`/api/v1/deletions/?model=entry
&since=`) then the published entries changed since (`/api/v1/entries/?status=published
&updated_since=`), following the `next` cursor links, which must stay on the same portal.

**Checkpoint** `{"since": <ISO time>, "phase": "deletions" | "entries", "next": <cursor URL>,
"started": <ISO time>}` mid-run; the last page's is `{"since": <started>}`, where `started` is
the other portal's clock (its `Date` header) at the first request, less a margin: what changes
while a run reads is read again next time (upserts make that harmless), never lost.

**Mapping**: the fields are ours, so they map one to one; the other portal's entry id is the
external id, its organizations' ids the providers' external ids.
"""

import datetime
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.utils import timezone

from partners.connectors.base import (
    Deletion,
    EntryRecord,
    FeedError,
    OrganizationRecord,
    Page,
    RecordError,
)
from partners.connectors.http import Fetcher
from partners.connectors.vocabulary import content_language, parse_day, parse_when
from partners.models import PartnerSource

PAGE_SIZE = 100
# Changes committed on the other portal while we read are read again next time.
CLOCK_MARGIN = datetime.timedelta(seconds=5)


class ExchangeConnector:
    def __init__(
        self, source: PartnerSource, fetcher: Fetcher | None = None, *, credentials: str = ""
    ) -> None:
        self.source = source
        self.fetcher = fetcher or Fetcher()
        self.base = source.endpoint.rstrip("/")
        if self.base.endswith("/api/v1"):
            self.base = self.base[: -len("/api/v1")]
        self.max_pages: int = settings.PARTNER_FETCH_MAX_PAGES
        if credentials:
            self.fetcher.headers.setdefault("Authorization", f"Bearer {credentials}")

    def _get(self, url: str) -> tuple[dict[str, Any], str]:
        if urlsplit(url)[:2] != urlsplit(self.base)[:2]:
            raise FeedError(f"The portal's next page {url!r} is on another host: refused.")
        with self.fetcher.get(url, expect="json") as response:
            body = response.json()
            date = response.headers.get("date", "")
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise FeedError(f"{url} did not answer as a South-South Exchange API list.")
        return body, date

    def fetch(self, checkpoint: dict[str, Any]) -> Iterator[Page]:
        since: str = checkpoint.get("since", "")
        started: str = checkpoint.get("started", "")
        phase: str = checkpoint.get("phase", "deletions")
        next_url: str | None = checkpoint.get("next") or None
        for phase_name in ("deletions", "entries"):
            if phase == "entries" and phase_name == "deletions":
                continue
            if next_url is None:
                next_url = self._first_url(phase_name, since)
            pages = 0
            while next_url:
                body, date = self._get(next_url)
                if not started:
                    started = self._started(date)
                pages += 1
                if pages > self.max_pages:
                    raise FeedError(
                        f"The portal's {phase_name} still had pages after {self.max_pages} "
                        "(PARTNER_FETCH_MAX_PAGES): stopped as a loop."
                    )
                next_url = body.get("next") or None
                records = [{**row, "_feed": phase_name} for row in body["results"]]
                if next_url:
                    position = {
                        "since": since,
                        "phase": phase_name,
                        "next": next_url,
                        "started": started,
                    }
                elif phase_name == "deletions":
                    position = {"since": since, "phase": "entries", "started": started}
                else:
                    position = {"since": started}
                yield Page(records, position)
            next_url = None

    def _first_url(self, phase: str, since: str) -> str:
        if phase == "deletions":
            query = "model=entry" + (f"&since={_quoted(since)}" if since else "")
            return f"{self.base}/api/v1/deletions/?{query}&page_size={PAGE_SIZE}"
        query = "status=published" + (f"&updated_since={_quoted(since)}" if since else "")
        return f"{self.base}/api/v1/entries/?{query}&page_size={PAGE_SIZE}"

    @staticmethod
    def _started(date_header: str) -> str:
        try:
            moment = parsedate_to_datetime(date_header) if date_header else timezone.now()
        except (TypeError, ValueError):
            moment = timezone.now()
        return (moment - CLOCK_MARGIN).isoformat()

    def map_record(self, raw: dict[str, Any]) -> EntryRecord | OrganizationRecord | Deletion:
        identifier = str(raw.get("id") or "").strip()
        if not identifier:
            raise RecordError("A record from the portal has no id: skipped.")
        if raw.get("_feed") == "deletions":
            return Deletion(external_id=identifier)
        language = content_language(str(raw.get("language") or "")) or "en"
        title, summary = str(raw.get("title") or ""), str(raw.get("summary") or "")
        if not title or not summary:
            raise RecordError(
                f"Entry {identifier} from the portal has no title or summary.",
                external_id=identifier,
            )
        providers = tuple(
            OrganizationRecord(
                name=str(provider.get("name") or ""),
                external_id=str(provider.get("organization") or ""),
                role=str(provider.get("role") or "lead"),
            )
            for provider in raw.get("providers") or []
            if isinstance(provider, dict) and provider.get("name")
        )
        links = tuple(
            (str(link["url"]), str(link.get("label") or ""))
            for link in raw.get("links") or []
            if isinstance(link, dict) and link.get("url")
        )
        return EntryRecord(
            external_id=identifier,
            module=str(raw.get("module") or ""),
            kind=str(raw.get("kind") or ""),
            titles={language: title},
            summaries={language: summary},
            bodies={language: str(raw["body"])} if raw.get("body") else {},
            language=language,
            countries_iso3=tuple(raw.get("countries_applied") or ()),
            origin_countries_iso3=tuple(raw.get("countries_of_origin") or ()),
            theme_slugs=tuple(raw.get("themes") or ()),
            sdg_goals=tuple(int(goal) for goal in raw.get("sdg_goals") or ()),
            sdg_targets=tuple(raw.get("sdg_targets") or ()),
            providers=providers,
            links=links,
            starts_on=parse_day(raw.get("starts_on")),
            ends_on=parse_day(raw.get("ends_on")),
            source_modified=parse_when(raw.get("updated_at")),
            source_url=str(raw.get("url") or ""),
        )


def _quoted(value: str) -> str:
    return quote(value, safe="")

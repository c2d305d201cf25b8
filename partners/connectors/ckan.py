"""CKAN portals (e.g. the Humanitarian Data Exchange) through the action API.

`fetch` walks `package_search` sorted by `metadata_modified asc, id asc` with
`fq=metadata_modified:[<since> TO *]`, using the last modification time read as the cursor
rather than `start` offsets: a dataset changed while the walk runs moves to the end of the
list instead of shifting the others (an offset would then skip one). Datasets sharing the
cursor's exact time that were already read are remembered (`seen`) and skipped.

**Checkpoint** `{"since": <metadata_modified>, "seen": [ids at that time]}`; each page's
checkpoint resumes after it and the last page's is where the next run starts.

**Deletions**: the search asks for `include_deleted=True` (CKAN 2.9 and later), so a dataset
deleted since the last run comes back, with `state` "deleted" and a newer `metadata_modified`,
and its entry is archived by the incremental run. (The portal must keep deleted datasets in its
search index, `ckan.search.remove_deleted_packages = false`; otherwise only a full pass, which
archives what it no longer lists, sees them.) A portal that refuses the parameter (older CKAN:
409) is read without it, and the run says so in a warning.

**Mapping** (module and kind from the mapping, default experience / case-study; language from
the mapping, default English): a dataset whose `state` is "deleted" or that is `private` →
Deletion (CKAN shows them to a key that may see them); title, notes → summary; the organization
→ the lead provider (external id: its CKAN id); groups that are ISO 3166 alpha-3 codes (HDX's
country groups) and `solr_additions.countries` names → countries; tags equal to a theme's code
or name → themes; the dataset's URL and resource URLs → links; `metadata_modified` →
source_modified; `<portal>/dataset/<name>` → source URL. The field mapping's `ckan_fq` narrows
the search (e.g. `organization:unesco`), `ckan_rows` sets the page size (default 100).
"""

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from partners.connectors.base import (
    Deletion,
    EntryRecord,
    FeedError,
    OrganizationRecord,
    Page,
    RecordError,
)
from partners.connectors.http import Fetcher
from partners.connectors.vocabulary import (
    TITLE_MAX,
    Vocabulary,
    clip,
    parse_when,
    summary_and_body,
)
from partners.models import PartnerSource, SyncRecordError, SyncRun

logger = logging.getLogger(__name__)

ROWS = 100
MAX_LINKS = 10


def _solr_time(value: str) -> str:
    """CKAN's "2016-03-29T17:33:22.912275" (UTC, no zone) as a Solr date."""
    moment = parse_when(value)
    if moment is None:
        raise FeedError(f"CKAN returned an unreadable metadata_modified: {value!r}.")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _note_in_run(source: PartnerSource, message: str) -> None:
    """A warning on the source's run in progress (its page lists it with the skipped
    records), and in the worker's log. Committed at once, outside the pages' transactions:
    `fetch` may run in another thread than the one storing the pages."""
    logger.warning("%s: %s", source, message)
    if source.pk is None:
        return
    # At most one: a source's runs never overlap (SyncRun's constraint).
    run = SyncRun.objects.filter(source_id=source.pk, status=SyncRun.Status.RUNNING).first()
    if run is not None:
        SyncRecordError.objects.create(run=run, message=message, is_warning=True)


class CkanConnector:
    def __init__(
        self, source: PartnerSource, fetcher: Fetcher | None = None, *, credentials: str = ""
    ) -> None:
        self.source = source
        self.fetcher = fetcher or Fetcher()
        mapping: dict[str, Any] = getattr(source, "field_mapping", None) or {}
        self.module = mapping.get("module", "experience")
        self.kind = mapping.get("kind", "case-study")
        self.language = mapping.get("language", "en")
        self.extra_fq: str = mapping.get("ckan_fq", "")
        self.rows = int(mapping.get("ckan_rows", ROWS))
        self.max_pages: int = settings.PARTNER_FETCH_MAX_PAGES
        # Whether the portal takes `include_deleted`; None until the run's first search.
        self.include_deleted: bool | None = None
        self.vocabulary = Vocabulary()
        if credentials:
            self.fetcher.headers.setdefault("Authorization", credentials)
        base = source.endpoint.rstrip("/")
        for suffix in ("/api/3/action", "/api/action", "/api/3", "/api"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
                break
        self.portal = base

    def _action(self, name: str, params: dict[str, str]) -> Any:
        url = f"{self.portal}/api/3/action/{name}"
        body = self.fetcher.get_json(url, params=params)
        if not isinstance(body, dict) or "success" not in body:
            raise FeedError(f"{url} did not answer as a CKAN action API.")
        if not body["success"]:
            error = body.get("error") or {}
            message = error.get("message") if isinstance(error, dict) else str(error)
            raise FeedError(f"CKAN refused {name}: {message or json.dumps(error)[:300]}")
        return body.get("result")

    def _search(self, params: dict[str, str]) -> Any:
        """package_search, with deleted datasets when the portal accepts `include_deleted`.

        Whether it does is learnt from the run's first search: CKAN before 2.9 answers it with
        409 (a validation error about the parameter). The same search is then made without it,
        and if that fails too, its error is the run's."""
        if self.include_deleted is False:
            return self._action("package_search", params)
        try:
            result = self._action("package_search", {**params, "include_deleted": "True"})
        except FeedError as exc:
            if exc.retryable or self.include_deleted:
                raise
            refusal = exc
        else:
            self.include_deleted = True
            return result
        result = self._action("package_search", params)
        self.include_deleted = False
        _note_in_run(
            self.source,
            f"The CKAN portal refused include_deleted ({refusal}); this run reads it without. "
            "Datasets deleted there since the last run are not seen: the next full pass (a run "
            "from an empty checkpoint) archives them here.",
        )
        return result

    def fetch(self, checkpoint: dict[str, Any]) -> Iterator[Page]:
        since: str = checkpoint.get("since", "")
        seen: set[str] = set(checkpoint.get("seen", []))
        start = 0
        for _page in range(self.max_pages):
            window = f"metadata_modified:[{_solr_time(since) if since else '*'} TO *]"
            params = {
                "q": "*:*",
                "fq": f"{window} AND ({self.extra_fq})" if self.extra_fq else window,
                "sort": "metadata_modified asc, id asc",
                "rows": str(self.rows),
                "start": str(start),
            }
            result = self._search(params)
            packages = result.get("results") if isinstance(result, dict) else None
            if not isinstance(packages, list):
                raise FeedError("CKAN's package_search result has no list of results.")
            fresh: list[dict[str, Any]] = []
            for package in packages:
                if not isinstance(package, dict):
                    raise FeedError(
                        "CKAN's package_search returned a result that is not an object."
                    )
                key = str(package.get("id", ""))
                modified = str(package.get("metadata_modified", ""))
                if modified == since and key in seen:
                    continue
                fresh.append(package)
                if not modified:
                    continue  # nothing to advance the cursor by (CKAN always gives one)
                if modified != since:
                    since, seen = modified, set()
                seen.add(key)
            full = len(packages) == self.rows
            if not fresh and full:
                # A whole page of datasets already read at one instant: step over it.
                start += self.rows
                continue
            start = 0
            yield Page(fresh, {"since": since, "seen": sorted(seen)})
            if not full:
                return
        raise FeedError(
            f"CKAN package_search still had results after {self.max_pages} pages "
            "(PARTNER_FETCH_MAX_PAGES): stopped as a loop."
        )

    def map_record(self, raw: dict[str, Any]) -> EntryRecord | OrganizationRecord | Deletion:
        identifier = str(raw.get("id") or "").strip()
        if not identifier:
            raise RecordError("A CKAN dataset has no id: skipped.")
        if raw.get("state") == "deleted" or raw.get("private") is True:
            return Deletion(external_id=identifier)
        title = " ".join(str(raw.get("title") or raw.get("name") or "").split())
        if not title:
            raise RecordError(f"CKAN dataset {identifier} has no title.", external_id=identifier)
        summary, body = summary_and_body(str(raw.get("notes") or title))
        countries: dict[str, None] = {}
        for group in raw.get("groups") or []:
            if isinstance(group, dict) and len(name := str(group.get("name", ""))) == 3:
                if iso3 := self.vocabulary.country_by_code(name):
                    countries[iso3] = None
        additions = raw.get("solr_additions")
        if isinstance(additions, str):
            try:
                additions = json.loads(additions)
            except ValueError:
                additions = None  # HDX once wrote these with Python's quotes
        if isinstance(additions, dict):
            for name in additions.get("countries") or []:
                if iso3 := self.vocabulary.country(str(name)):
                    countries[iso3] = None
        themes = tuple(
            dict.fromkeys(
                theme
                for tag in raw.get("tags") or []
                if isinstance(tag, dict)
                and (theme := self.vocabulary.theme(str(tag.get("name", ""))))
            )
        )
        providers: tuple[OrganizationRecord, ...] = ()
        organization = raw.get("organization")
        if isinstance(organization, dict) and (
            organization.get("title") or organization.get("name")
        ):
            providers = (
                OrganizationRecord(
                    name=clip(str(organization.get("title") or organization.get("name")), 255),
                    external_id=str(organization.get("id", "")),
                    description=str(organization.get("description") or ""),
                    role="lead",
                ),
            )
        urls = [str(raw.get("url") or "")] + [
            str(resource.get("url") or "")
            for resource in raw.get("resources") or []
            if isinstance(resource, dict)
        ]
        links = tuple(
            dict.fromkeys((url, "") for url in urls if urlsplit(url).scheme in ("http", "https"))
        )[:MAX_LINKS]
        name = str(raw.get("name") or identifier)
        return EntryRecord(
            external_id=identifier,
            module=self.module,
            kind=self.kind,
            titles={self.language: clip(title, TITLE_MAX)},
            summaries={self.language: summary},
            bodies={self.language: body} if body else {},
            language=self.language,
            countries_iso3=tuple(countries),
            theme_slugs=themes,
            providers=providers,
            links=links,
            source_modified=parse_when(str(raw.get("metadata_modified") or "")),
            source_url=f"{self.portal}/dataset/{name}",
        )

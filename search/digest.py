"""The daily e-mail of new entries that match a user's saved searches.

Each saved search covers the entries published after its `last_sent_at` (or its creation) and up
to the run's cut-off, `INDEX_LAG` before now, which leaves the indexer time to make entries
published just before the run searchable; they go into the next digest instead of being missed.
After the e-mail, `last_sent_at` becomes the cut-off, in the same transaction that locked the
rows, so a second run (a redelivered task, two beat schedulers) finds nothing due and sends
nothing. A failed send rolls the transaction back and the next attempt sends the same digest.
"""

import dataclasses
import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from catalog import selectors as catalog_selectors
from catalog.models import Entry
from search import engine
from search import selectors as search_selectors
from search.forms import SearchForm
from search.models import SavedSearch

logger = logging.getLogger(__name__)

# A run within this time of the last one sends nothing: one digest a day even if beat fires twice.
DIGEST_INTERVAL = datetime.timedelta(hours=20)
INDEX_LAG = datetime.timedelta(minutes=10)
ENTRIES_LISTED = 20
# Newest-first pages read per saved search; a search with more new entries than this says
# "more than" and links to the search page.
_PAGE_SIZE = 100
_MAX_PAGES = 5


@dataclass(frozen=True)
class DigestItem:
    entry: Entry
    url: str


@dataclass(frozen=True)
class DigestSection:
    saved_search: SavedSearch
    items: list[DigestItem]  # the first ENTRIES_LISTED, newest first
    total: int
    more_than_total: bool
    url: str


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _entry_path(entry: Entry) -> str:
    return reverse("catalog:entry_detail", kwargs={"module": entry.module, "pk": entry.pk})


def saved_searches_due(*, now: datetime.datetime) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(
        Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=now - DIGEST_INTERVAL),
        email_digest=True,
        user__is_active=True,
    )


def users_with_digest_due(*, now: datetime.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return sorted(set(saved_searches_due(now=now).values_list("user_id", flat=True)))


def saved_search_new_entry_ids(
    *,
    saved_search: SavedSearch,
    since: datetime.datetime,
    until: datetime.datetime,
    labels: dict[str, dict[str, str]],
) -> tuple[list[int], bool]:
    """Ids of the published entries matching the saved search that were published in
    (since, until], newest first, and whether there may be more than the pages read."""
    form = SearchForm(QueryDict(saved_search.query_string), labels=labels)
    request = dataclasses.replace(
        form.state().request(page_size=_PAGE_SIZE), sort="newest", facets=()
    )
    found: list[int] = []
    for page in range(1, _MAX_PAGES + 1):
        result = engine.search(dataclasses.replace(request, page=page))
        ids = [hit.entry_id for hit in result.hits]
        published = dict(
            Entry.objects.published().filter(pk__in=ids).values_list("pk", "published_at")
        )
        for pk in ids:
            published_at = published.get(pk)
            if published_at is None:
                continue
            if published_at <= since:
                return found, False  # newest first: the rest is older still
            if published_at <= until:
                found.append(pk)
        if page >= result.page_count:
            return found, False
    return found, True


def _sections(searches: list[SavedSearch], *, until: datetime.datetime) -> list[DigestSection]:
    labels = search_selectors.facet_labels()
    sections = []
    for saved_search in searches:
        since = saved_search.last_sent_at or saved_search.created_at
        ids, more = saved_search_new_entry_ids(
            saved_search=saved_search, since=since, until=until, labels=labels
        )
        if not ids:
            continue
        query = saved_search.query_string
        sections.append(
            DigestSection(
                saved_search=saved_search,
                items=[
                    DigestItem(entry, _site_url(_entry_path(entry)))
                    for entry in catalog_selectors.entries_in_order(
                        ids=ids[:ENTRIES_LISTED], cards=False
                    )
                ],
                total=len(ids),
                more_than_total=more,
                url=_site_url(reverse("search:search") + (f"?{query}" if query else "")),
            )
        )
    return sections


def _language_of(user: User) -> str:
    languages = {code for code, _name in settings.LANGUAGES}
    return user.preferred_language if user.preferred_language in languages else "en"


def _send(user: User, sections: list[DigestSection]) -> None:
    with translation.override(_language_of(user)):
        context = {
            "user": user,
            "sections": sections,
            "site_url": _site_url("/"),
            "saved_searches_url": _site_url(reverse("search:saved_list")),
        }
        subject = gettext("New entries for your saved searches")
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("emails/saved_search_digest.txt", context),
            to=[user.email],
        )
        message.attach_alternative(
            render_to_string("emails/saved_search_digest.html", context), "text/html"
        )
        message.send()


def saved_search_digest_send(*, user_id: int, now: datetime.datetime | None = None) -> bool:
    """Send the user one e-mail with the new entries of each due saved search, if there are
    any; True when an e-mail went out. Raises `store.IndexUnavailable` (nothing changes)."""
    now = now or timezone.now()
    until = now - INDEX_LAG
    with transaction.atomic():
        # Another run holding these rows is sending this digest: skip rather than wait.
        searches = list(
            saved_searches_due(now=now)
            .filter(user_id=user_id, created_at__lt=until)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .order_by("name")
        )
        if not searches:
            return False
        sections = _sections(searches, until=until)
        if sections:
            _send(searches[0].user, sections)
        SavedSearch.objects.filter(pk__in=[s.pk for s in searches]).update(last_sent_at=until)
    logger.info(
        "Saved-search digest for user %s: %s searches, %s with new entries",
        user_id,
        len(searches),
        len(sections),
    )
    return bool(sections)

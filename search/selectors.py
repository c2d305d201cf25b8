"""Reads for the search pages: facet labels, a page of results with its entries, similar entries.

The engine (search/engine.py) answers with entry ids, highlighted snippets and facet counts; the
rows shown come from the database, so a page never shows an entry since unpublished.
"""

import dataclasses
import logging
from dataclasses import dataclass, field

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from catalog import selectors as catalog_selectors
from catalog.models import Entry, Organization, SdgGoal
from catalog.models.entries import CONTENT_LANGUAGES
from search import engine, store
from search.engine import FACETS, Hit, SearchRequest, SearchResult

logger = logging.getLogger(__name__)

# Deep pages cost the engine a top-k of page × size; nobody reads past the 10,000th result.
MAX_PAGE = 500

FACET_TITLES: dict[str, StrPromise] = {
    "module": _("Module"),
    "opportunity_status": _("Opportunities"),
    "theme": _("Theme"),
    "sdg_goal": _("Sustainable Development Goal"),
    "region": _("Region"),
    "subregion": _("Sub-region"),
    "country": _("Country"),
    "country_group": _("Country group"),
    "provider_type": _("Type of provider"),
    "cooperation": _("Cooperation"),
    "language": _("Language of the description"),
}
assert set(FACET_TITLES) == set(FACETS), "every facet of the engine has a title"

COUNTRY_GROUP_NAMES: dict[str, StrPromise] = {
    "ldc": _("Least developed countries (LDC)"),
    "lldc": _("Landlocked developing countries (LLDC)"),
    "sids": _("Small island developing States (SIDS)"),
}
OPPORTUNITY_STATUS_NAMES: dict[str, StrPromise] = {
    "open": _("Open for applications"),
    "closing-soon": _("Closing within 14 days"),
}


def facet_labels() -> dict[str, dict[str, str]]:
    """For each facet, its known values and their names in the active language, in the order
    the page lists them when counts are equal."""
    goals = {
        str(goal.number): gettext("%(number)s. %(name)s")
        % {"number": goal.number, "name": goal.short}
        for goal in SdgGoal.objects.all()
    }
    return {
        "module": {value: str(label) for value, label in Entry.Module.choices},
        "opportunity_status": {v: str(label) for v, label in OPPORTUNITY_STATUS_NAMES.items()},
        "theme": dict(catalog_selectors.theme_choices()),
        "sdg_goal": goals,
        "region": dict(catalog_selectors.m49_regions()),
        "subregion": dict(catalog_selectors.m49_subregions()),
        "country": dict(catalog_selectors.country_choices()),
        "country_group": {v: str(label) for v, label in COUNTRY_GROUP_NAMES.items()},
        "provider_type": {value: str(label) for value, label in Organization.Type.choices},
        "cooperation": {value: str(label) for value, label in Entry.Cooperation.choices},
        "language": {code: str(label) for code, label in CONTENT_LANGUAGES},
    }


@dataclass(frozen=True)
class ResultRow:
    hit: Hit
    entry: Entry


@dataclass
class SearchPage:
    result: SearchResult
    rows: list[ResultRow]
    # Notices of this layer (a page past the end), after the engine's own.
    notices: list[str] = field(default_factory=list)


def search_page(request: SearchRequest) -> SearchPage:
    """One page of results with their entries. Raises `store.IndexUnavailable` when there is
    no index to search.

    The engine answers a page past the end with the last page and a notice. Pages past
    MAX_PAGE never reach it: their offset alone would make it collect that many hits."""
    notices: list[str] = []
    if request.page > MAX_PAGE:
        counted = engine.search(dataclasses.replace(request, page=1, facets=()))
        last = min(counted.page_count, MAX_PAGE)
        if counted.page_count > MAX_PAGE:
            notices.append(
                gettext(
                    "Only the first %(last)s pages of results can be shown. Add words or "
                    "filters to narrow the search."
                )
                % {"last": MAX_PAGE}
            )
        else:
            notices.append(
                gettext("There is no page %(page)s; this is the last page, %(last)s.")
                % {"page": request.page, "last": last}
            )
        request = dataclasses.replace(request, page=last)
    result = engine.search(request)
    entries = {
        entry.pk: entry
        for entry in catalog_selectors.entries_in_order(ids=[hit.entry_id for hit in result.hits])
    }
    rows = [ResultRow(hit, entries[hit.entry_id]) for hit in result.hits if hit.entry_id in entries]
    return SearchPage(result=result, rows=rows, notices=notices)


def similar_entries(*, entry: Entry, limit: int = 5) -> list[Entry]:
    """Published entries like this one, best first; none when the index is unavailable (the
    detail page then goes without, and the store has scheduled a rebuild)."""
    try:
        ids = engine.more_like(entry.pk, limit=limit)
    except store.IndexUnavailable:
        logger.info("No similar entries for entry %s: the search index is unavailable", entry.pk)
        return []
    return catalog_selectors.entries_in_order(ids=[pk for pk in ids if pk != entry.pk], cards=False)

"""The filters a search accepts, checked against the values that exist.

Enumerations come from the code (modules, organization types...), the rest from the reference
tables (themes, SDGs, countries and their M49 regions). A filter or value that does not exist is
left out with a notice for the person searching, never an error.
"""

import threading
import time
from collections.abc import Mapping, Sequence

from django.utils.translation import gettext as _

from catalog.models import Country, Entry, Organization, SdgGoal, SdgTarget, Theme
from catalog.models.entries import CONTENT_LANGUAGES
from search import schema as fields

OPPORTUNITY_STATUS = "opportunity_status"
OPEN, CLOSING_SOON = "open", "closing-soon"
# Facets that are keyword fields of the index (all but the computed opportunity status).
KEYWORD_FACETS: tuple[str, ...] = fields.KEYWORD_FIELDS
FILTERABLE: tuple[str, ...] = (*KEYWORD_FACETS, OPPORTUNITY_STATUS)
MAX_VALUES_PER_FILTER = 50
_VOCABULARY_SECONDS = 300.0

_vocabulary: tuple[float, dict[str, frozenset[str]]] = (0.0, {})
_vocabulary_lock = threading.Lock()


def _load_vocabulary() -> dict[str, frozenset[str]]:
    countries = list(Country.objects.values_list("iso3", "region_code", "subregion_code"))
    return {
        "module": frozenset(Entry.Module.values),
        "kind": frozenset(Entry.Kind.values),
        "cooperation": frozenset(Entry.Cooperation.values),
        "provider_type": frozenset(Organization.Type.values),
        "language": frozenset(code for code, _label in CONTENT_LANGUAGES),
        "country_group": frozenset(("ldc", "lldc", "sids")),
        OPPORTUNITY_STATUS: frozenset((OPEN, CLOSING_SOON)),
        "theme": frozenset(Theme.objects.values_list("code", flat=True)),
        "sdg_goal": frozenset(str(n) for n in SdgGoal.objects.values_list("number", flat=True)),
        "sdg_target": frozenset(SdgTarget.objects.values_list("code", flat=True)),
        "country": frozenset(iso3 for iso3, _r, _s in countries),
        "region": frozenset(region for _i, region, _s in countries if region),
        "subregion": frozenset(subregion for _i, _r, subregion in countries if subregion),
    }


def vocabulary() -> dict[str, frozenset[str]]:
    """The values each filter accepts: enums from the code, the rest from the reference tables
    (read again every few minutes, so a process started before `load_reference` recovers)."""
    global _vocabulary
    loaded_at, values = _vocabulary
    if not values or time.monotonic() - loaded_at > _VOCABULARY_SECONDS:
        with _vocabulary_lock:
            values = _load_vocabulary()
            # Without reference data (a database being set up), ask again next time.
            _vocabulary = (time.monotonic() if values["country"] else 0.0, values)
    return values


def _normalized(facet: str, value: str) -> str:
    value = str(value).strip()
    return value.upper() if facet == "country" else value.lower()


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"


def clean_filters(
    filters: Mapping[str, Sequence[str]],
) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """The known filters with their known values, and a notice for everything left out."""
    known = vocabulary()
    cleaned: dict[str, tuple[str, ...]] = {}
    notices: list[str] = []
    for name, raw_values in filters.items():
        if name not in FILTERABLE:
            notices.append(
                _("There is no filter “%(name)s”; it was ignored.") % {"name": _shown(str(name))}
            )
            continue
        values: list[str] = []
        for raw in [raw_values] if isinstance(raw_values, str) else raw_values:
            value = _normalized(name, raw)
            if value in known[name]:
                if value not in values:
                    values.append(value)
            elif value:
                notices.append(
                    _("“%(value)s” is not a value of the filter “%(name)s”; it was ignored.")
                    % {"value": _shown(value), "name": name}
                )
        if values:
            cleaned[name] = tuple(values[:MAX_VALUES_PER_FILTER])
    return cleaned, notices

"""What the search page shows around the results: facet groups with counts, the active filters
with a link that removes each, and the links to other pages of the same search."""

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from search.engine import FacetValue
from search.forms import SearchState
from search.selectors import FACET_TITLES

# The order of the facet groups down the page: what people narrow by first comes first.
FACET_ORDER: tuple[str, ...] = (
    "module",
    "opportunity_status",
    "theme",
    "sdg_goal",
    "region",
    "subregion",
    "country",
    "country_group",
    "provider_type",
    "cooperation",
    "language",
)
_DATE_LABELS = {"event_from": _("from %(date)s"), "event_to": _("until %(date)s")}
# Values listed before a "more" disclosure; selected values are always among them.
FACET_SHOWN = 8
# Facets whose values have a natural order (goals 1 to 17); the others go by count.
_ORDER_BY_LABEL_POSITION = frozenset({"module", "sdg_goal", "opportunity_status"})


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool
    input_id: str


@dataclass(frozen=True)
class FacetGroup:
    name: str
    title: str
    shown: list[FacetOption]
    more: list[FacetOption]

    @property
    def selected_count(self) -> int:
        return sum(option.selected for option in self.shown)


@dataclass(frozen=True)
class ActiveFilter:
    title: str
    label: str
    remove_url: str


def search_url(state: SearchState, *, page: int = 1, **changes: Any) -> str:
    query = state.query_string(page=page, **changes)
    return reverse("search:search") + (f"?{query}" if query else "")


def facet_groups(
    state: SearchState,
    counts: dict[str, list[FacetValue]],
    labels: dict[str, dict[str, str]],
) -> list[FacetGroup]:
    """Facet groups with their values that have entries, plus the selected values even when a
    filter elsewhere leaves them none (so that they can be unchecked)."""
    groups = []
    for name in FACET_ORDER:
        known = labels[name]
        selected = set(state.filters.get(name, ()))
        by_value = {fv.value: fv.count for fv in counts.get(name, []) if fv.value in known}
        for value in selected:
            by_value.setdefault(value, 0)
        position = {value: i for i, value in enumerate(known)}
        options = [
            FacetOption(
                value=value,
                label=known[value],
                count=count,
                selected=value in selected,
                input_id=f"facet-{name}-{value}",
            )
            for value, count in by_value.items()
            if count or value in selected
        ]
        if name in _ORDER_BY_LABEL_POSITION:
            options.sort(key=lambda o: position[o.value])
        else:
            options.sort(key=lambda o: (-o.count, o.label))
        if not options:
            continue
        shown = [o for o in options if o.selected]
        rest = [o for o in options if not o.selected]
        room = max(FACET_SHOWN - len(shown), 0)
        shown += rest[:room]
        if name in _ORDER_BY_LABEL_POSITION:
            shown.sort(key=lambda o: position[o.value])
        groups.append(
            FacetGroup(name=name, title=str(FACET_TITLES[name]), shown=shown, more=rest[room:])
        )
    return groups


def active_filters(state: SearchState, labels: dict[str, dict[str, str]]) -> list[ActiveFilter]:
    """Each filter in force, with the URL of the same search without it."""
    active = []
    for name in FACET_ORDER:
        for value in state.filters.get(name, ()):
            active.append(
                ActiveFilter(
                    title=str(FACET_TITLES[name]),
                    label=labels[name][value],
                    remove_url=search_url(state.without_filter(name, value)),
                )
            )
    dates = (
        ("event_from", state.event_from, dataclasses.replace(state, event_from=None)),
        ("event_to", state.event_to, dataclasses.replace(state, event_to=None)),
    )
    for name, date, without in dates:
        if date:
            active.append(
                ActiveFilter(
                    title=gettext("Event dates"),
                    label=str(_DATE_LABELS[name]) % {"date": date_format(date)},
                    remove_url=search_url(without),
                )
            )
    return active

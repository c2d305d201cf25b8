"""The search page's query string, parsed into a `SearchState`, and the form that saves a search.

Every part of a search lives in the URL (`?q=water&country=KEN&country=UGA&sort=newest&page=2`)
so that a search can be bookmarked, shared and saved. Nothing a person can type there is an
error: an unknown filter value, a date that is not one or a page that is not a number is left
out, and `SearchForm.notices` says so in words.
"""

import dataclasses
import datetime
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from search import selectors
from search.engine import FACETS, SORTS, SearchRequest, Sort
from search.models import SavedSearch

QUERY_MAX_LENGTH = 500
PAGE_SIZE = 20
# C0 and C1 control characters and DEL; tabs and newlines among them count as spaces.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_WHITESPACE_CONTROLS = frozenset("\t\n\r\x0b\x0c")

SORT_CHOICES = [
    ("relevance", _("Relevance")),
    ("newest", _("Newest first")),
    ("closing", _("Closing date, soonest first")),
]
assert [value for value, _label in SORT_CHOICES] == list(SORTS)


def _shown(value: str, limit: int = 60) -> str:
    """A value as typed, for a notice: cut short, control characters shown as �."""
    value = _CONTROL_CHARACTERS.sub("\ufffd", value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass(frozen=True)
class SearchState:
    """A valid search: what the URL asked for, less what could not be understood."""

    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    event_from: datetime.date | None = None
    event_to: datetime.date | None = None
    sort: Sort = "relevance"
    page: int = 1

    def request(self, *, page_size: int = PAGE_SIZE, **changes: Any) -> SearchRequest:
        """The engine's request for this search; `changes` replace its fields."""
        request = SearchRequest(
            text=self.text,
            filters={facet: list(values) for facet, values in self.filters.items() if values},
            event_from=self.event_from,
            event_to=self.event_to,
            sort=self.sort,
            page=self.page,
            page_size=page_size,
        )
        return dataclasses.replace(request, **changes) if changes else request

    @property
    def is_filtered(self) -> bool:
        return bool(self.event_from or self.event_to or any(self.filters.values()))

    def pairs(self) -> list[tuple[str, str]]:
        """The search as query-string pairs, without the page and without defaults."""
        pairs: list[tuple[str, str]] = []
        if self.text:
            pairs.append(("q", self.text))
        for facet in FACETS:
            pairs += [(facet, value) for value in self.filters.get(facet, ())]
        if self.event_from:
            pairs.append(("event_from", self.event_from.isoformat()))
        if self.event_to:
            pairs.append(("event_to", self.event_to.isoformat()))
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        return pairs

    def query_string(self, *, page: int = 1, **changes: Any) -> str:
        """This search as a URL query string, on `page`, with `changes` to its fields."""
        state = dataclasses.replace(self, **changes) if changes else self
        pairs = state.pairs()
        if page > 1:
            pairs.append(("page", str(page)))
        return urllib.parse.urlencode(pairs)

    def without_filter(self, facet: str, value: str) -> "SearchState":
        filters = dict(self.filters)
        filters[facet] = tuple(v for v in filters.get(facet, ()) if v != value)
        return dataclasses.replace(self, filters=filters, page=1)


class SearchTextField(forms.CharField):
    """Free text, never invalid: the form reports and removes control characters (Django's
    CharField would refuse a NUL character) and shortens it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = []


class FacetField(forms.MultipleChoiceField):
    """Values of one facet. Unknown values are not an error of the whole field: `SearchForm`
    keeps the known ones and reports the others."""

    def validate(self, value: Any) -> None:
        pass


class SearchForm(forms.Form):
    q = SearchTextField(label=_("Search for"), required=False)
    event_from = forms.DateField(
        label=pgettext_lazy("start of a period", "From"),
        required=False,
        input_formats=["%Y-%m-%d"],
    )
    event_to = forms.DateField(
        label=pgettext_lazy("end of a period", "To"), required=False, input_formats=["%Y-%m-%d"]
    )
    sort = SearchTextField(label=_("Sort by"), required=False)
    page = SearchTextField(required=False)

    def __init__(
        self, data: Mapping[str, Any], *, labels: dict[str, dict[str, str]] | None = None
    ) -> None:
        super().__init__(data)
        self.labels = labels if labels is not None else selectors.facet_labels()
        for facet in FACETS:
            self.fields[facet] = FacetField(
                label=selectors.FACET_TITLES[facet],
                required=False,
                choices=list(self.labels[facet].items()),
            )
        self.notices: list[str] = []

    def clean_q(self) -> str:
        text = cast(str, self.cleaned_data["q"])
        if any(c not in _WHITESPACE_CONTROLS for c in _CONTROL_CHARACTERS.findall(text)):
            self.notices.append(gettext("Control characters in your search were ignored."))
        text = " ".join(_CONTROL_CHARACTERS.sub(" ", text).split())
        if len(text) > QUERY_MAX_LENGTH:
            self.notices.append(
                gettext(
                    "Your search was longer than %(max)s characters; only its beginning was used."
                )
                % {"max": QUERY_MAX_LENGTH}
            )
            cut = text[:QUERY_MAX_LENGTH]
            text = cut.rsplit(" ", 1)[0] if " " in cut else cut
        return text

    def clean_sort(self) -> str:
        sort = cast(str, self.cleaned_data["sort"])
        if sort and sort not in SORTS:
            self.notices.append(
                gettext('"%(value)s" is not a way to sort results; they are sorted by relevance.')
                % {"value": _shown(sort)}
            )
            return "relevance"
        return sort or "relevance"

    def clean_page(self) -> int:
        page = cast(str, self.cleaned_data["page"]).strip()
        if not page:
            return 1
        if not page.isascii() or not page.isdigit() or int(page) < 1:
            self.notices.append(
                gettext('"%(value)s" is not a page number; this is the first page.')
                % {"value": _shown(page)}
            )
            return 1
        # Python ints do not overflow, the engine's offsets do: selectors.MAX_PAGE caps it.
        return min(int(page), 10**6)

    def state(self) -> SearchState:
        """The search to run. Call once: it validates the form and collects the notices."""
        self.is_valid()
        data = self.cleaned_data
        filters: dict[str, tuple[str, ...]] = {}
        for facet in FACETS:
            values = list(dict.fromkeys(data.get(facet) or []))
            known = tuple(v for v in values if v in self.labels[facet])
            for value in values:
                if value not in self.labels[facet]:
                    self.notices.append(
                        gettext(
                            '"%(value)s" is not a known value of the filter “%(filter)s”, so '
                            "that value was left out."
                        )
                        % {"value": _shown(value), "filter": selectors.FACET_TITLES[facet]}
                    )
            if known:
                filters[facet] = known
        for name in ("event_from", "event_to"):
            if name in self.errors:
                self.notices.append(
                    gettext(
                        '"%(value)s" is not a date (write it as 2026-12-31), so the date '
                        "“%(field)s” was left out."
                    )
                    % {
                        "value": _shown(str(self.data.get(name, ""))),
                        "field": self.fields[name].label,
                    }
                )
        event_from, event_to = data.get("event_from"), data.get("event_to")
        if event_from and event_to and event_from > event_to:
            self.notices.append(
                gettext("The period ended before it began, so its dates were swapped.")
            )
            event_from, event_to = event_to, event_from
        return SearchState(
            text=data.get("q", ""),
            filters=filters,
            event_from=event_from,
            event_to=event_to,
            sort=data.get("sort", "relevance"),
            page=data.get("page", 1),
        )


class SavedSearchForm(forms.ModelForm[SavedSearch]):
    """Saves the search page's query string under a name unique to its owner."""

    class Meta:
        model = SavedSearch
        fields = ["name", "query_string", "email_digest"]
        widgets = {"query_string": forms.HiddenInput}
        error_messages = {
            "query_string": {
                "max_length": _("This search is too long to save. Shorten the search words."),
            }
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["name"].error_messages["required"] = gettext(
            "Give the search a name, so that you can recognise it in the list and the e-mails."
        )

    def clean_query_string(self) -> str:
        """The search as the search page understood it, which is what the digest runs."""
        raw = cast(str, self.cleaned_data["query_string"])
        return SearchForm(QueryDict(raw)).state().query_string()

    def clean_name(self) -> str:
        name = cast(str, self.cleaned_data["name"]).strip()
        if SavedSearch.objects.filter(user=self.user, name__iexact=name).exists():
            raise forms.ValidationError(
                gettext("You already have a saved search named “%(name)s”. Choose another name.")
                % {"name": name}
            )
        return name

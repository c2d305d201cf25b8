"""The reasons of a match's breakdown, language-neutral: a code and its parameters, stored as
`{"code": "shared-targets", "params": {"codes": "6.1, 6.4"}}` and put into words only when
shown (`render`), in the language of the person reading. Rows ranked before reasons had codes
hold the English sentence itself: `render` gives it back as it is.

A parameter named in `LABELLED` holds codes (themes, kinds of support, kinds of entry) that are
turned into their names when shown; the others are shown as they are (SDG codes, dates,
numbers, place names, the matched words).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog.models import SupportKind
from catalog.models.entries import Kind

MESSAGES: dict[str, Promise] = {
    "no-words": _("No words in common"),
    "words": _("Words: %(words)s"),
    "bm25": _("BM25 %(score).1f"),
    "bm25-of-best": _("BM25 %(score).1f, %(share)s%% of the best in the catalogue"),
    "shared-targets": _("Shared SDG targets: %(codes)s"),
    "shared-goals": _("Shared SDG goals: %(codes)s"),
    "shared-themes": _("Shared themes: %(names)s"),
    "inferred-targets": _("SDG targets found in the need's text: %(codes)s"),
    "inferred-themes": _("Themes found in the need's text: %(names)s"),
    "no-tags": _("No SDG target, goal or theme in common"),
    "no-support-sought": _("The need names no kind of support"),
    "offers-support": _("Offers what is sought: %(kinds)s"),
    "kind-suggests": _("Its kind (%(kind)s) suggests: %(kinds)s"),
    "offers-no-support": _("Offers none of the support sought: %(kinds)s"),
    "same-subregion": _("Same sub-region: %(names)s"),
    "same-region": _("Same region: %(names)s"),
    "same-language": _("Same language"),
    "similar-countries": _("Similar countries: %(groups)s"),
    "no-context": _("No shared region, language or country group"),
    "south-south": _("South-South: all providers are in the South"),
    "triangular": _("Triangular: Southern providers with a Northern partner"),
    "northern": _("Northern providers only"),
    "providers-unknown": _("No provider stated other than UN entities"),
    "open-until": _("Open until %(day)s"),
    "closed-on": _("Closed on %(day)s"),
    "under-way": _("Upcoming or under way"),
    "over-since": _("Over since %(day)s"),
    "stale": _("Not confirmed for a long time: may be out of date"),
    "confirmed-on": _("Last confirmed on %(day)s"),
    "confirmed-recently": _("Confirmed recently"),
    "verified": _("Verified by programme staff"),
    "not-verified": _("Not verified yet, no completed match"),
    "not-declined": _("Not declined for similar needs"),
    "declined-here": _("Declined as not relevant for this need"),
}
# Messages with a plural form: (singular, plural); the count is the parameter "count".
PLURALS: dict[str, tuple[str, str]] = {
    "completed-matches": ("%(count)s completed match", "%(count)s completed matches"),
    "declined-similar": (
        "Declined as not relevant for %(count)s similar need",
        "Declined as not relevant for %(count)s similar needs",
    ),
}
if False:  # pragma: no cover - marks the plural messages for makemessages
    ngettext("%(count)s completed match", "%(count)s completed matches", 1)
    ngettext(
        "Declined as not relevant for %(count)s similar need",
        "Declined as not relevant for %(count)s similar needs",
        1,
    )


def _theme_names(codes: Iterable[str]) -> str:
    from matching.ranking.profiles import reference

    names = reference().theme_names
    return ", ".join(sorted(names.get(code, code) for code in codes))


def _support_labels(codes: Iterable[str]) -> str:
    return ", ".join(_label(SupportKind.Code, code) for code in codes)


def _kind_label(code: str) -> str:
    return _label(Kind, code)


def _label(choices: Any, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


# Parameters holding codes, and how they are named when shown.
LABELLED: dict[str, Callable[[Any], str]] = {
    "themes": _theme_names,
    "support": _support_labels,
    "kind": _kind_label,
}
# The name a labelled parameter takes in its message.
LABELLED_AS = {"themes": "names", "support": "kinds", "kind": "kind"}


@dataclass(frozen=True)
class Reason:
    """One reason: a code of MESSAGES or PLURALS and its parameters (JSON values).
    `str()` puts it into words in the active language."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, code: str, **params: Any) -> "Reason":
        return cls(code, tuple(sorted((name, _frozen(value)) for name, value in params.items())))

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": {name: _thawed(v) for name, v in self.params}}

    def __str__(self) -> str:
        return render(self)


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | tuple | set | frozenset) else value


def _thawed(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def render(reason: "Reason | Mapping[str, Any] | str") -> str:
    """A reason in words, in the active language: a `Reason`, its stored JSON, or the sentence
    stored by earlier versions (shown as it is). An unknown code is shown as the code."""
    if isinstance(reason, str):
        return reason
    if isinstance(reason, Reason):
        code, params = reason.code, dict(reason.params)
    elif isinstance(reason, Mapping):
        code = str(reason.get("code", ""))
        raw = reason.get("params")
        params = dict(raw) if isinstance(raw, Mapping) else {}
    else:
        return str(reason)
    values: dict[str, Any] = {}
    for name, value in params.items():
        if name in LABELLED:
            codes = [value] if isinstance(value, str) else list(value or ())
            values[LABELLED_AS[name]] = (
                LABELLED[name](codes[0] if codes else "")
                if name == "kind"
                else LABELLED[name](codes)
            )
        elif isinstance(value, list | tuple):
            values[name] = ", ".join(str(v) for v in value)
        else:
            values[name] = value
    try:
        if code in PLURALS:
            singular, plural = PLURALS[code]
            count = int(values.get("count", 0))
            return ngettext(singular, plural, count) % values
        message = MESSAGES.get(code)
        if message is None:
            return code
        text = str(message)
        return text % values if "%" in text else text
    except (KeyError, TypeError, ValueError):
        return code


def render_all(reasons: Iterable["Reason | Mapping[str, Any] | str"]) -> list[str]:
    return [render(reason) for reason in reasons]

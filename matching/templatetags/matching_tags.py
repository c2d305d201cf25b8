"""Matching on pages of other apps: the catalogue's entry page shows the needs it could serve
(catalog/views.py stays unaware of matching); and the reasons of a match's breakdown, stored as
codes, put into words in the reader's language."""

from collections.abc import Iterable
from typing import Any

from django import template

from catalog.models import Entry
from matching import selectors
from matching.ranking.reasons import render_all

register = template.Library()

REASON_SEPARATOR = "; "


@register.inclusion_tag("matching/_needs_for_entry.html")
def needs_this_could_serve(entry: Entry) -> dict[str, Any]:
    """The open needs `entry` could serve, best first, with why (reverse matching)."""
    return {"servable": selectors.needs_entry_could_serve(entry=entry)}


@register.filter
def reasons_text(reasons: Iterable[Any] | None) -> str:
    """A factor's reasons (codes with parameters, or sentences stored by earlier versions) in
    words, in the active language: `{{ factor.reasons|reasons_text }}`."""
    return REASON_SEPARATOR.join(render_all(reasons or ()))


@register.filter
def factor_reasons(match: Any, name: str) -> str:
    """The reasons of factor `name` in a match's stored breakdown, in words:
    `{{ match|factor_reasons:line.name }}`."""
    breakdown = getattr(match, "breakdown", None)
    if not isinstance(breakdown, dict):
        return ""
    for factor in breakdown.get("factors", []):
        if isinstance(factor, dict) and factor.get("name") == name:
            reasons = factor.get("reasons")
            return reasons_text(reasons if isinstance(reasons, list) else ())
    return ""

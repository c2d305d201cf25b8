"""Tagging help: SDG targets and themes suggested from a text in any of the six UN languages.

The SDG target and goal texts and the theme names, in the six UN languages from the reference
data, sit in search's label index (search/bridge.py). Each word of the text, and each pair of
adjacent words that both name something ("drinking water", "eau potable"), is looked up there:
a word that names one label gives it a point, a word naming several shares the point among
them, and a word naming too many (the bridge's MAX_LABELS: "the", "sustainable") names none.
The labels with the most points are suggested; the author confirms them on the need or entry
form, and confirmed tags count fully in matching (matching.ranking), suggested ones half.
"""

import re
import threading
from dataclasses import dataclass

from catalog.models import SdgTarget, Theme
from search.analysis import prepare
from search.bridge import KIND_TARGET, KIND_THEME, BridgeMatch, LabelIndex, label_index
from search.query import parse

# Words read from a text: enough for a long description, bounded for a pasted document.
MAX_WORDS = 300
SUGGESTED_TARGETS = 6
SUGGESTED_THEMES = 3
# A label needs this many points to be suggested: one word naming it and one other label.
MIN_SCORE = 0.5
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
# Lookups of one word or pair in the label index, which never changes once built.
_CACHE_SIZE = 200_000


@dataclass(frozen=True)
class TagCodes:
    sdg_targets: tuple[str, ...]
    themes: tuple[str, ...]


@dataclass(frozen=True)
class TagSuggestions:
    sdg_targets: list[SdgTarget]
    themes: list[Theme]

    @property
    def targets(self) -> list[SdgTarget]:
        # The name the need form's template uses.
        return self.sdg_targets


_matches: dict[tuple[int, str], BridgeMatch] = {}
_lock = threading.Lock()


def _match(index: LabelIndex, text: str) -> BridgeMatch:
    key = (id(index), text)
    found = _matches.get(key)
    if found is None:
        found = index.match(parse(text))
        with _lock:
            if len(_matches) >= _CACHE_SIZE:
                _matches.clear()
            _matches[key] = found
    return found


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(prepare(text[: MAX_WORDS * 40]))[:MAX_WORDS]]


def suggest_tag_codes(text: str) -> TagCodes:
    """The codes of the SDG targets and themes suggested for `text`, best first (no database
    query once the label index is built)."""
    words = _words(text)
    if not words:
        return TagCodes((), ())
    index = label_index()
    scores: dict[str, dict[str, float]] = {KIND_TARGET: {}, KIND_THEME: {}}
    matches = {word: _match(index, word) for word in set(words)}
    # Pairs of adjacent words that each name something ("drinking water"): a pair with a
    # common word ("water for") would only repeat the other word.
    pairs = {
        (a, b): _match(index, f"{a} {b}")
        for a, b in zip(words, words[1:], strict=False)
        if matches[a] and matches[b]
    }
    for match in (*matches.values(), *pairs.values()):
        for kind, counter in scores.items():
            values = match.values.get(kind, ())
            for value in values:
                counter[value] = counter.get(value, 0.0) + 1 / len(values)

    def best(kind: str, limit: int) -> tuple[str, ...]:
        ranked = sorted(scores[kind].items(), key=lambda item: (-item[1], item[0]))
        return tuple(value for value, score in ranked if score >= MIN_SCORE)[:limit]

    return TagCodes(best(KIND_TARGET, SUGGESTED_TARGETS), best(KIND_THEME, SUGGESTED_THEMES))


def suggest_tags(text: str, language: str = "") -> TagSuggestions:
    """SDG targets and themes for a need's or an entry's text, best first.

    `language` is the text's language; the labels of all six UN languages are searched
    whatever it is, since texts mix them (an English acronym in a French need), so it decides
    nothing today and is kept for callers to say what they know.
    """
    codes = suggest_tag_codes(text)
    targets = {t.code: t for t in SdgTarget.objects.filter(code__in=codes.sdg_targets)}
    themes = {t.code: t for t in Theme.objects.filter(code__in=codes.themes)}
    return TagSuggestions(
        sdg_targets=[targets[code] for code in codes.sdg_targets if code in targets],
        themes=[themes[code] for code in codes.themes if code in themes],
    )

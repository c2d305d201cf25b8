"""Highlighted titles and snippets: the matched words in <mark>, everything else HTML-escaped.

A word of the text is marked when the analyzer of the entry's language turns it into the same
token as a word of the query ("harvesting" marks "Harvest"); Chinese words are marked where
they occur. Highlighting works on the original text, so accents, diacritics and Chinese
without spaces show as the author wrote them.
"""

import functools
import re
from dataclasses import dataclass
from html import escape

from search.analysis import analyzer, language_key, normalize
from search.query import ParsedQuery

SNIPPET_CHARS = 240
# Letters and digits, with the combining marks (accents, Arabic diacritics) and tatweel that
# belong to a word.
_WORD = re.compile(r"(?:\w|[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640])+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+")


@dataclass(frozen=True)
class Terms:
    """The query's words as the analyzer of one language indexes them."""

    tokens: frozenset[str]
    han: tuple[str, ...]
    language: str

    def __bool__(self) -> bool:
        return bool(self.tokens or self.han)


def query_terms(query: ParsedQuery, language: str) -> Terms:
    key = language_key(language)
    tokens: set[str] = set()
    han: list[str] = []
    for word in query.positive_words():
        if _HAN.fullmatch(word):
            han.append(word)
        else:
            tokens.update(_analyzed(key, word))
    return Terms(frozenset(tokens), tuple(sorted(set(han), key=len, reverse=True)), key)


@functools.lru_cache(maxsize=65536)
def _analyzed(language: str, word: str) -> tuple[str, ...]:
    return tuple(analyzer(language).analyze(normalize(word)))


def _spans(text: str, terms: Terms) -> list[tuple[int, int]]:
    """Character ranges of `text` to mark, in order."""
    spans: list[tuple[int, int]] = []
    if not terms:
        return spans
    han = bool(terms.han) and _HAN.search(text) is not None
    tokens, language = terms.tokens, terms.language
    for match in _WORD.finditer(text):
        word = match.group()
        if han and _HAN.search(word):
            spans.extend(_han_spans(word, match.start(), terms.han))
        elif not tokens.isdisjoint(_analyzed(language, word)):
            spans.append(match.span())
    return spans


def _han_spans(word: str, offset: int, han: tuple[str, ...]) -> list[tuple[int, int]]:
    taken = [False] * len(word)
    spans = []
    for term in han:  # longest first
        start = word.find(term)
        while start != -1:
            end = start + len(term)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(term)
                spans.append((offset + start, offset + end))
            start = word.find(term, end)
    return sorted(spans)


def _html(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    parts, position = [], start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        parts.append(escape(text[position:span_start]))
        parts.append("<mark>" + escape(text[span_start:span_end]) + "</mark>")
        position = span_end
    parts.append(escape(text[position:end]))
    return "".join(parts)


def highlight(text: str, terms: Terms) -> str:
    """The whole text (a title), escaped, with the matched words marked."""
    return _html(text, _spans(text, terms), 0, len(text))


def snippet(text: str, terms: Terms, *, max_chars: int = SNIPPET_CHARS) -> str:
    """About `max_chars` characters of `text` around most of the matched words, escaped and
    marked; the start of the text when nothing matches."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return highlight(text, terms)
    spans = _spans(text, terms)
    start = 0
    if spans:
        # The window that holds the most matched words (a sliding window over the spans).
        best, most, last = 0, 0, 0
        for first, (first_start, _end) in enumerate(spans):
            last = max(last, first)
            while last < len(spans) and spans[last][1] <= first_start + max_chars - 20:
                last += 1
            if last - first > most:
                best, most = first, last - first
        # A little context before the first matched word, from a word boundary.
        start = max(0, spans[best][0] - 20)
        space = text.rfind(" ", max(0, start - 20), start + 1)
        start = space + 1 if start and space != -1 else start
    end = min(len(text), start + max_chars)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    html = _html(text, spans, start, end)
    return ("…" if start else "") + html + ("…" if end < len(text) else "")

"""What a person types, read into a small query and written back as a safe tantivy query.

Understood: words (all required), `"a phrase"`, `a OR b` (binds tighter than the implicit AND),
`-word`, `-"a phrase"` and `NOT word` (excluded). Everything else is text, never syntax: field
names (`id:1`), brackets, boosts (`^`), slops (`~`), wildcards and control characters turn into
spaces; a stray quote, a lone `OR` or `-` is dropped; input past `MAX_QUERY_CHARS` characters or
`MAX_TERMS` terms is cut. `parse` never raises, and every word reaches tantivy inside quotes, so
none can be read as an operator.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

from search.analysis import prepare

MAX_QUERY_CHARS = 500
MAX_TERMS = 32

# Typographic quotes people type or paste, read as plain double quotes.
_QUOTES = str.maketrans({c: '"' for c in "“”„‟«»″〝〞＂"})
_TOKEN = re.compile(r'([-+]?)"([^"]*)"|[^\s"]+')
# A character kept inside a word: letters, digits, combining marks, and the joiners of
# "mini-grids", "l'eau" and "1.5" (the analyzers split on them where a language needs it).
_JOINERS = "-'’._"
_CJK_WORD = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+$")


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNM" or char in _JOINERS


def _is_dropped(char: str) -> bool:
    # Control, format (zero-width), surrogate, private-use and unassigned characters.
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn")


@dataclass(frozen=True)
class Term:
    """A word or, with several words, a phrase; words are `analysis.prepare`d."""

    words: tuple[str, ...]
    quoted: bool = False

    def tantivy(self) -> str:
        return '"' + " ".join(self.words) + '"'

    def display(self) -> str:
        text = join_words(self.words)
        return f'"{text}"' if self.quoted or len(self.words) > 1 else text


def join_words(words: tuple[str, ...] | list[str]) -> str:
    """Words back into text: Chinese words touch, others take a space."""
    text = ""
    for word in words:
        if text and not (_CJK_WORD.match(word) and _CJK_WORD.match(text[-1])):
            text += " "
        text += word
    return text


@dataclass(frozen=True)
class ParsedQuery:
    # All groups are required; the terms of one group are alternatives (OR).
    required: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    # The input was longer than the limits and was cut.
    shortened: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.required and not self.excluded

    def required_tantivy(self) -> str:
        """The required part as a query string, for `conjunction_by_default=True`; "" if none."""
        return " ".join(
            group[0].tantivy()
            if len(group) == 1
            else "(" + " OR ".join(term.tantivy() for term in group) + ")"
            for group in self.required
        )

    def tantivy(self) -> str:
        """Required and excluded parts together; "" when nothing is required."""
        if not self.required:
            return ""
        return " ".join([self.required_tantivy(), *("-" + t.tantivy() for t in self.excluded)])

    def excluded_tantivy(self) -> str:
        """The excluded terms as alternatives: a document matching this is left out."""
        return " OR ".join(term.tantivy() for term in self.excluded)

    def positive_words(self) -> list[str]:
        return [word for group in self.required for term in group for word in term.words]

    def display(self) -> str:
        parts = [" OR ".join(term.display() for term in group) for group in self.required]
        parts += ["-" + term.display() for term in self.excluded]
        return join_words(parts)

    def with_words(self, fix: Callable[[str], str]) -> "ParsedQuery":
        """The same query with each required word passed through `fix` (spelling)."""

        def fixed(term: Term) -> Term:
            return replace(term, words=tuple(fix(word) for word in term.words))

        return replace(
            self, required=tuple(tuple(fixed(term) for term in group) for group in self.required)
        )


def _words(text: str) -> tuple[str, ...]:
    """Clean words of a chunk of input: non-word characters become spaces, then `prepare`."""
    cleaned = "".join(char if _is_word_char(char) else " " for char in text)
    words = []
    for piece in prepare(cleaned).split():
        piece = piece.strip(_JOINERS)
        if any(unicodedata.category(char)[0] in "LN" for char in piece):
            words.append(piece)
    return tuple(words)


def parse(text: str) -> ParsedQuery:
    text = text or ""
    shortened = len(text) > MAX_QUERY_CHARS
    text = "".join(" " if _is_dropped(char) else char for char in text[:MAX_QUERY_CHARS])
    text = text.translate(_QUOTES)
    if text.count('"') % 2:
        # A stray quote: drop the last one and read the rest as it is.
        cut = text.rfind('"')
        text = text[:cut] + " " + text[cut + 1 :]

    required: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    pending_not = False
    for match in _TOKEN.finditer(text):
        sign, phrase = match.group(1), match.group(2)
        raw = match.group()
        if phrase is None:
            if raw == "OR":
                pending_or = bool(required) and not pending_not
                continue
            if raw in ("AND", "&&", "+"):
                continue
            if raw == "NOT":
                pending_not = True
                continue
            sign = raw[0] if raw[0] in "-+" else ""
            term = Term(_words(raw[1:] if sign else raw))
        else:
            term = Term(_words(phrase), quoted=True)
        negated = sign == "-" or pending_not
        if term.words and negated:
            excluded.append(term)
        elif term.words and pending_or:
            required[-1].append(term)
        elif term.words:
            required.append([term])
        if term.words or negated:
            pending_or = pending_not = False

    # A required word that the cleaning cut in several ("id:1", a Chinese run) is several
    # required words, not a phrase; in an OR group or excluded it stays a phrase.
    split: list[list[Term]] = []
    for group in required:
        if len(group) == 1 and not group[0].quoted:
            split.extend([Term((word,))] for word in group[0].words)
        else:
            split.append(group)

    kept_required, kept_excluded, count = [], [], 0
    for group in split:
        if count + len(group) > MAX_TERMS:
            shortened = True
            break
        kept_required.append(tuple(group))
        count += len(group)
    for term in excluded:
        if count >= MAX_TERMS:
            shortened = True
            break
        kept_excluded.append(term)
        count += 1
    return ParsedQuery(
        required=tuple(kept_required), excluded=tuple(kept_excluded), shortened=shortened
    )

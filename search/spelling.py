""" "Did you mean": misspelt words corrected from the index's own vocabulary.

A query word that no entry contains is compared with the most frequent words of the index
that start with the same letter; the closest one (one edit for short words, two for longer
ones, a swap of two letters counting as one) replaces it. The engine shows the corrected query
only when it finds more entries than the query as typed.
"""

from collections.abc import Callable

from tantivy import Searcher

from search.analysis import spelling_analyzer
from search.query import ParsedQuery
from search.schema import SPELLING

# The words compared with an unknown one: the most frequent with its first letter.
CANDIDATES = 2000
MIN_WORD_CHARS = 3


def _max_distance(word: str) -> int:
    return 1 if len(word) <= 5 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent swaps (optimal string alignment); `limit + 1` once above."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def correction(searcher: Searcher, word: str) -> str | None:
    """The index word closest to `word` when no entry contains `word`; None otherwise."""
    tokens = spelling_analyzer().analyze(word)
    if len(tokens) != 1 or len(tokens[0]) < MIN_WORD_CHARS or not tokens[0].isalpha():
        return None
    token = tokens[0]
    if searcher.doc_freq(SPELLING, token) > 0:
        return None
    limit = _max_distance(token)
    best: tuple[int, int, str] | None = None
    for candidate, frequency in searcher.terms_with_prefix(SPELLING, token[0], limit=CANDIDATES):
        found = distance(token, candidate, limit)
        if found <= limit and (best is None or (found, -frequency) < best[:2]):
            best = (found, -frequency, candidate)
    return best[2] if best else None


def suggest(
    searcher: Searcher, query: ParsedQuery, total: int, count: Callable[[ParsedQuery], int]
) -> str | None:
    """The corrected query as a person would type it, when it finds more than `total`."""
    corrections = {word: correction(searcher, word) for word in set(query.positive_words())}
    if not any(corrections.values()):
        return None
    corrected = query.with_words(lambda word: corrections.get(word) or word)
    return corrected.display() if count(corrected) > total else None

"""Titles and texts composed from the vocabulary's sentence patterns and weighted terms."""

import itertools
import random
from collections.abc import Sequence

from catalog.generator.draws import Choice, zipf_weights
from catalog.generator.shares import CLUSTER_WEIGHTS, TOPICAL_SHARE
from catalog.generator.vocabulary import CONCEPTS, LANGUAGES


class _Vocabulary:
    """Per language, one Zipf draw over all concepts and one leaning towards each cluster."""

    def __init__(self) -> None:
        general = zipf_weights(len(CONCEPTS))
        total = sum(general)
        self.by_cluster: dict[str, dict[str, Choice[str]]] = {}
        for cluster in CLUSTER_WEIGHTS:
            in_cluster = [
                w if c == cluster else 0.0 for w, (c, _) in zip(general, CONCEPTS, strict=True)
            ]
            cluster_total = sum(in_cluster)
            mixed = [
                (1 - TOPICAL_SHARE) * g / total + TOPICAL_SHARE * t / cluster_total
                for g, t in zip(general, in_cluster, strict=True)
            ]
            self.by_cluster[cluster] = {
                lang: Choice([words[lang] for _, words in CONCEPTS], mixed) for lang in LANGUAGES
            }

    def terms(self, rng: random.Random, language: str, cluster: str, k: int) -> list[str]:
        return self.by_cluster[cluster][language].many(rng, k)


_VOCABULARY: _Vocabulary | None = None


def _vocabulary() -> _Vocabulary:
    global _VOCABULARY
    if _VOCABULARY is None:
        _VOCABULARY = _Vocabulary()
    return _VOCABULARY


def _slots(template: str) -> int:
    return template.count("{}")


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sample(rng: random.Random, items: Sequence[str], k: int) -> list[str]:
    """k different items (all of them if k is larger): a partial Fisher-Yates shuffle."""
    pool = list(items)
    n = len(pool)
    for i in range(min(k, n)):
        j = i + int(rng.random() * (n - i))
        pool[i], pool[j] = pool[j], pool[i]
    return pool[: min(k, n)]


def compose(
    rng: random.Random,
    *,
    language: str,
    cluster: str,
    country: str,
    kind: str,
    templates: Sequence[str],
    sentences: Sequence[int],
) -> list[str]:
    """Texts made of sentences from different templates, one text per number in `sentences`.

    All the terms of all texts come from one weighted draw, which is most of the cost.
    """
    picked = _sample(rng, templates, sum(sentences))
    terms = iter(_vocabulary().terms(rng, language, cluster, sum(map(_slots, picked))))
    filled = [
        _capitalize(t.format(*itertools.islice(terms, _slots(t)), country=country, kind=kind))
        for t in picked
    ]
    separator = "" if language == "zh" else " "
    texts, start = [], 0
    for count in sentences:
        texts.append(separator.join(filled[start : start + count]))
        start += count
    return texts

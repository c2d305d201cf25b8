"""Matching: rank published catalogue entries for a need, and open needs for an entry or an
organization, with a score in [0, 1] and its breakdown by factor.

    rank_entries_for_need(need, limit=20) -> RankingResult(items: list[RankedEntry], notes)
    rank_needs_for_entry(entry, limit=20) -> list[RankedNeed]
    rank_needs_for_organization(organization, limit=20) -> list[RankedNeed]

Modules: `candidates` (what is worth ranking: the search index for entries, shared tags for
needs), `profiles` (what the factors read, loaded in batches), `factors` (one pure function per
factor), `weights` (the weights, documented, and the staff-tuned row), `ranker`.
"""

from matching.ranking.ranker import (
    Factor,
    RankedEntry,
    RankedNeed,
    RankingResult,
    rank_entries_for_need,
    rank_needs_for_entry,
    rank_needs_for_organization,
)
from matching.ranking.weights import DEFAULT_WEIGHTS, FACTOR_NAMES, current_weights

__all__ = [
    "DEFAULT_WEIGHTS",
    "FACTOR_NAMES",
    "Factor",
    "RankedEntry",
    "RankedNeed",
    "RankingResult",
    "current_weights",
    "rank_entries_for_need",
    "rank_needs_for_entry",
    "rank_needs_for_organization",
]

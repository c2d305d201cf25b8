"""Which entries are worth ranking for a need, and which open needs for an entry.

For a need, the search index gives the candidates (search.engine `match_candidates`): the best
by BM25 of the need's words, and the best among the entries sharing its tags (confirmed, and
suggested from its text), so that ranking stays fast at a million entries. For an entry, the
open needs sharing its SDG targets, then its themes, then a kind of support in its region,
newest first: there are far fewer open needs than entries, and they are not in the search index.
"""

from collections.abc import Iterable

from django.db.models import Q

from matching.models import Need
from matching.ranking.profiles import EntryProfile, NeedProfile
from search import engine

# Entries ranked per need: this many by the need's words, half as many more among those
# sharing its SDG targets. Each costs a few index probes in PostgreSQL for its profile: at a
# million entries, ranking 120 candidates takes about half the time of ranking 300, and the
# top 20 rarely change (benchmarks/README.md).
ENTRY_CANDIDATES = 80
# Open needs ranked per entry or organization.
NEED_CANDIDATES = 300

# Constant scores of the need's tags in the search for entries sharing them. Targets are
# specific (a target tags about 1% of the catalogue); themes and goals, far broader, are used
# only when the need has no target, confirmed or suggested from its words.
TARGET_SCORE = 2.0
INFERRED_TARGET_SCORE = 1.0
BROAD_TAG_SCORES = {"theme": 1.0, "sdg_goal": 0.5}
INFERRED_THEME_SCORE = 0.5


def candidate_tags(need: NeedProfile) -> dict[tuple[str, str], float]:
    tags: dict[tuple[str, str], float] = {}
    for code in need.inferred.targets:
        tags[("sdg_target", code)] = INFERRED_TARGET_SCORE
    for code in need.tags.targets:
        tags[("sdg_target", code)] = TARGET_SCORE
    if tags:
        return tags
    for code in need.inferred.themes:
        tags[("theme", code)] = INFERRED_THEME_SCORE
    for code in need.tags.themes:
        tags[("theme", code)] = BROAD_TAG_SCORES["theme"]
    for number in need.tags.goals:
        tags[("sdg_goal", number)] = BROAD_TAG_SCORES["sdg_goal"]
    return tags


def entry_candidates(need: NeedProfile, text: str) -> engine.CandidateMatch:
    return engine.match_candidates(text, tags=candidate_tags(need), limit=ENTRY_CANDIDATES)


def need_candidates(entries: Iterable[EntryProfile], *, limit: int = NEED_CANDIDATES) -> list[int]:
    """Open needs sharing an SDG target with the entries, then a theme, then a kind of
    support sought in a region they come from or were applied in; newest first, at most
    `limit`."""
    targets: set[str] = set()
    themes: set[str] = set()
    support: set[str] = set()
    regions: set[str] = set()
    for entry in entries:
        targets |= entry.tags.targets
        themes |= entry.tags.themes
        support |= entry.tags.support
        regions |= entry.places.regions
    filters = []
    if targets:
        filters.append(Q(sdg_targets__code__in=sorted(targets)))
    if themes:
        filters.append(Q(themes__code__in=sorted(themes)))
    if support and regions:
        filters.append(
            Q(support_kinds__code__in=sorted(support))
            & Q(countries__region_code__in=sorted(regions))
        )
    elif support:
        filters.append(Q(support_kinds__code__in=sorted(support)))
    found: dict[int, None] = {}
    for condition in filters:
        if len(found) >= limit:
            break
        rows = (
            Need.objects.open()
            .filter(condition)
            .exclude(pk__in=list(found))
            .order_by("-pk")
            .values_list("pk", flat=True)
            .distinct()[: limit - len(found)]
        )
        found.update(dict.fromkeys(rows))
    return list(found)

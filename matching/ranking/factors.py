"""One pure function per ranking factor: a need and an entry in, a value in [0, 1] and the
reasons a person can check out. No database access: `profiles` loads what they read.

The same functions rank entries for a need and needs for an entry (reverse matching).
"""

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from catalog.models import Entry, SupportKind
from catalog.models.entries import Kind
from matching.ranking.profiles import Decline, EntryProfile, NeedProfile
from matching.ranking.reasons import Reason

# text: BM25 s as a share of the best BM25 the need's words reach in the catalogue (the top
# candidate by words): 1 for the entry that covers the need's text best, 0.5 for one scoring
# half as much. BM25 alone says little (long needs score higher than short ones, and a few
# shared common words already give 10); its share of the best separates strong matches from
# weak ones. Without a best (reverse matching, one need against a few entries) s becomes
# s / (s + TEXT_HALF_SCORE). TEXT_MIN_BEST keeps a need whose best entry shares a single rare
# word from giving that entry full marks.
TEXT_HALF_SCORE = 12.0
TEXT_MIN_BEST = 4.0
MAX_WORDS_SHOWN = 8

# taxonomy: points per shared tag; the value is 1 - exp(-TAXONOMY_RATE * points), so one
# shared target gives 0.59, a target and a theme 0.68, a theme alone 0.24, a goal alone 0.09.
# A target names a specific problem; a goal (SDG 12 covers tourism and waste alike) or a
# theme (a sixth of the catalogue each) says little on its own.
TARGET_POINTS = 1.0
GOAL_POINTS = 0.1
THEME_POINTS = 0.3
# Tags suggested from the need's words (matching.tagging) that its authors did not confirm:
# a guess, worth about a third of a confirmed tag.
INFERRED_TARGET_POINTS = 0.3
INFERRED_THEME_POINTS = 0.15
TAXONOMY_RATE = 0.9

# support: a kind of support that the entry's kind implies, though the entry does not state it.
IMPLIED_CREDIT = 0.7
NO_SUPPORT_SOUGHT = 0.5
_T = SupportKind.Code
IMPLIED_SUPPORT: dict[str, frozenset[str]] = {
    Kind.TECHNOLOGY: frozenset({_T.TECHNOLOGY_TRANSFER}),
    Kind.TOOL: frozenset({_T.TECHNOLOGY_TRANSFER}),
    Kind.GUIDELINE: frozenset({_T.TECHNOLOGY_TRANSFER, _T.EXPERIENCE_EXCHANGE}),
    Kind.INSTITUTIONAL_EXPERTISE: frozenset({_T.EXPERTISE_ADVISORY}),
    Kind.EXPERT_ROSTER: frozenset({_T.EXPERTISE_ADVISORY, _T.TRAINING}),
    Kind.ADVISORY_SERVICE: frozenset({_T.EXPERTISE_ADVISORY}),
    Kind.BEST_PRACTICE: frozenset({_T.EXPERIENCE_EXCHANGE}),
    Kind.CASE_STUDY: frozenset({_T.EXPERIENCE_EXCHANGE}),
    Kind.LESSONS_LEARNED: frozenset({_T.EXPERIENCE_EXCHANGE}),
    Kind.TRAINING: frozenset({_T.TRAINING}),
    Kind.WORKSHOP: frozenset({_T.TRAINING, _T.NETWORKING}),
    Kind.WEBINAR: frozenset({_T.TRAINING}),
    Kind.FELLOWSHIP: frozenset({_T.TRAINING, _T.EXPERIENCE_EXCHANGE}),
    Kind.STAFF_EXCHANGE: frozenset({_T.EXPERIENCE_EXCHANGE, _T.TRAINING}),
    Kind.FUNDING_CALL: frozenset({_T.FUNDING}),
    Kind.NETWORK: frozenset({_T.NETWORKING}),
    Kind.CONFERENCE: frozenset({_T.NETWORKING}),
}
# A training need favours these as much as entries that state training.
TRAINERS = frozenset({Kind.TRAINING, Kind.WORKSHOP, Kind.WEBINAR, Kind.EXPERT_ROSTER})

# context: value = shares of geography, language and country group. Geography by the finest
# M49 area shared: intermediate region ("Eastern Africa") 1, sub-region ("Sub-Saharan
# Africa") 0.75, region ("Africa") 0.5.
INTERMEDIATE, SUBREGION, REGION = 1.0, 0.75, 0.5
GEOGRAPHY_SHARE, LANGUAGE_SHARE, GROUP_SHARE = 0.5, 0.25, 0.25

# south_south: by Entry.Cooperation. UN entities are left out of it (they facilitate rather
# than provide), so an entry led by a UN entity alone is "not classified": neutral, halfway
# between South-South and Northern, like an entry without providers.
COOPERATION_VALUES: dict[str, float] = {
    Entry.Cooperation.SOUTH_SOUTH: 1.0,
    Entry.Cooperation.TRIANGULAR: 0.75,
    Entry.Cooperation.UNKNOWN: 0.5,
    Entry.Cooperation.NORTHERN: 0.0,
}
TRIANGULAR_FLAG = "triangular"

# availability: 0.6 openness + 0.4 freshness. Openness concerns dated entries (opportunities,
# events, projects): an undated entry (a practice, a technology, an expertise) cannot be
# closed, so it counts as open.
OPEN, UNDATED, CLOSED = 1.0, 1.0, 0.0
RECENT, TO_RECONFIRM, STALE = 1.0, 0.6, 0.2
OPENNESS_SHARE, FRESHNESS_SHARE = 0.6, 0.4

# evidence: verified counts half; completed matches the other half, full at this many.
COMPLETED_FOR_FULL = 3

# feedback: a penalty, 0 without declines. Declined as not relevant for this need: 1; else
# each decline for a similar need adds DECLINE_PENALTY (at most 1). The ranker subtracts it.
DECLINE_PENALTY = 0.5


@dataclass(frozen=True)
class FactorValue:
    value: float
    reasons: tuple[Reason, ...] = ()
    flags: tuple[str, ...] = ()


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _listed(values: Iterable[str]) -> list[str]:
    return sorted(values, key=_code_key)


def _code_key(value: str) -> tuple[object, ...]:
    # "6.1" before "6.a" before "13.2": numbers as numbers.
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in value.split("."))


def text(
    bm25: float,
    matched_words: Sequence[str] = (),
    *,
    best: float | None = None,
    explain: bool = True,
) -> FactorValue:
    """BM25 of the need's words in the entry (from the search index), as a share of `best`,
    the highest BM25 the need's words reach in the catalogue."""
    if bm25 <= 0:
        return FactorValue(0.0, (Reason.of("no-words"),) if explain else ())
    if best is not None and best > 0:
        value = _clamp(bm25 / max(best, TEXT_MIN_BEST))
    else:
        value = _clamp(bm25 / (bm25 + TEXT_HALF_SCORE))
    if not explain:
        return FactorValue(value)
    reasons = []
    if matched_words:
        shown = list(matched_words[:MAX_WORDS_SHOWN])
        more = len(matched_words) - len(shown)
        words = ", ".join(shown) + (f" (+{more})" if more > 0 else "")
        reasons.append(Reason.of("words", words=words))
    if best is not None and best > 0:
        reasons.append(Reason.of("bm25-of-best", score=round(bm25, 1), share=round(100 * value)))
    else:
        reasons.append(Reason.of("bm25", score=round(bm25, 1)))
    return FactorValue(value, tuple(reasons))


def taxonomy(need: NeedProfile, entry: EntryProfile, *, explain: bool = True) -> FactorValue:
    """Shared SDG targets (most), themes and goals (little); tags suggested from the need's
    text and not confirmed count less."""
    targets = need.tags.targets & entry.tags.targets
    goals_of_targets = {code.split(".")[0] for code in targets}
    goals = (need.tags.goals & entry.tags.goals) - goals_of_targets
    themes = need.tags.themes & entry.tags.themes
    inferred_targets = (need.inferred.targets - need.tags.targets) & entry.tags.targets
    inferred_themes = (need.inferred.themes - need.tags.themes) & entry.tags.themes
    points = (
        TARGET_POINTS * len(targets)
        + GOAL_POINTS * len(goals)
        + THEME_POINTS * len(themes)
        + INFERRED_TARGET_POINTS * len(inferred_targets)
        + INFERRED_THEME_POINTS * len(inferred_themes)
    )
    value = _clamp(1 - math.exp(-TAXONOMY_RATE * points))
    if not explain:
        return FactorValue(value)
    reasons = []
    if targets:
        reasons.append(Reason.of("shared-targets", codes=_listed(targets)))
    if goals:
        reasons.append(Reason.of("shared-goals", codes=_listed(goals)))
    if themes:
        reasons.append(Reason.of("shared-themes", themes=sorted(themes)))
    if inferred_targets:
        reasons.append(Reason.of("inferred-targets", codes=_listed(inferred_targets)))
    if inferred_themes:
        reasons.append(Reason.of("inferred-themes", themes=sorted(inferred_themes)))
    if not reasons:
        reasons.append(Reason.of("no-tags"))
    return FactorValue(value, tuple(reasons))


def support(need: NeedProfile, entry: EntryProfile, *, explain: bool = True) -> FactorValue:
    """The kinds of support sought that the entry offers, stated or implied by its kind."""
    sought = need.tags.support
    if not sought:
        return FactorValue(NO_SUPPORT_SOUGHT, (Reason.of("no-support-sought"),) if explain else ())
    implied = IMPLIED_SUPPORT.get(entry.kind, frozenset())
    credit = 0.0
    stated, by_kind = [], []
    for code in sorted(sought):
        if code in entry.tags.support or (code == _T.TRAINING and entry.kind in TRAINERS):
            credit += 1.0
            stated.append(code)
        elif code in implied:
            credit += IMPLIED_CREDIT
            by_kind.append(code)
    value = _clamp(credit / len(sought))
    if not explain:
        return FactorValue(value)
    reasons = []
    if stated:
        reasons.append(Reason.of("offers-support", support=stated))
    if by_kind:
        reasons.append(Reason.of("kind-suggests", kind=entry.kind, support=by_kind))
    if not reasons:
        reasons.append(Reason.of("offers-no-support", support=sorted(sought)))
    return FactorValue(value, tuple(reasons))


def context(need: NeedProfile, entry: EntryProfile, *, explain: bool = True) -> FactorValue:
    """Same sub-region or region, shared language, similar country group."""
    intermediates = need.places.intermediates & entry.places.intermediates
    subregions = need.places.subregions & entry.places.subregions
    regions = need.places.regions & entry.places.regions
    geography = (
        INTERMEDIATE if intermediates else SUBREGION if subregions else REGION if regions else 0.0
    )
    language = 1.0 if need.language and need.language == entry.language else 0.0
    groups = need.places.groups & entry.places.groups
    value = _clamp(
        GEOGRAPHY_SHARE * geography + LANGUAGE_SHARE * language + GROUP_SHARE * bool(groups)
    )
    if not explain:
        return FactorValue(value)
    reasons = []
    names = need.places.names
    if intermediates or subregions:
        shared = sorted(names.get(code, code) for code in intermediates or subregions)
        reasons.append(Reason.of("same-subregion", names=shared))
    elif regions:
        shared = sorted(names.get(code, code) for code in regions)
        reasons.append(Reason.of("same-region", names=shared))
    if language:
        reasons.append(Reason.of("same-language"))
    if groups:
        reasons.append(Reason.of("similar-countries", groups=sorted(groups)))
    if not reasons:
        reasons.append(Reason.of("no-context"))
    return FactorValue(value, tuple(reasons))


COOPERATION_REASONS: dict[str, str] = {
    Entry.Cooperation.SOUTH_SOUTH: "south-south",
    Entry.Cooperation.TRIANGULAR: "triangular",
    Entry.Cooperation.NORTHERN: "northern",
}


def south_south(entry: EntryProfile, *, explain: bool = True) -> FactorValue:
    """Southern providers first; triangular flagged; Northern providers only, last; UN
    entities neutral."""
    cooperation = entry.cooperation
    value = COOPERATION_VALUES.get(cooperation, COOPERATION_VALUES[Entry.Cooperation.UNKNOWN])
    flags = (TRIANGULAR_FLAG,) if cooperation == Entry.Cooperation.TRIANGULAR else ()
    if not explain:
        return FactorValue(value, (), flags)
    code = COOPERATION_REASONS.get(cooperation, "providers-unknown")
    return FactorValue(value, (Reason.of(code),), flags)


def availability(
    entry: EntryProfile,
    *,
    today: datetime.date,
    reconfirm_before: datetime.date,
    stale_before: datetime.date,
    explain: bool = True,
) -> FactorValue:
    """Open opportunities and upcoming events before closed ones; recently confirmed entries
    before stale ones. Undated entries are not penalised for it."""
    last = entry.deadline or entry.ends_on or entry.starts_on
    if last is None:
        openness = UNDATED
    else:
        openness = OPEN if last >= today else CLOSED
    confirmed = entry.last_confirmed_on
    if confirmed is None or confirmed < stale_before:
        freshness = STALE
    elif confirmed < reconfirm_before:
        freshness = TO_RECONFIRM
    else:
        freshness = RECENT
    value = _clamp(OPENNESS_SHARE * openness + FRESHNESS_SHARE * freshness)
    if not explain:
        return FactorValue(value)
    reasons = []
    if entry.deadline:
        day = entry.deadline.isoformat()
        reasons.append(Reason.of("open-until" if openness == OPEN else "closed-on", day=day))
    elif last is not None:
        reasons.append(
            Reason.of("under-way")
            if openness == OPEN
            else Reason.of("over-since", day=last.isoformat())
        )
    if freshness == STALE:
        reasons.append(Reason.of("stale"))
    elif freshness == TO_RECONFIRM:
        assert confirmed is not None
        reasons.append(Reason.of("confirmed-on", day=confirmed.isoformat()))
    else:
        reasons.append(Reason.of("confirmed-recently"))
    return FactorValue(value, tuple(reasons))


def evidence(entry: EntryProfile, *, explain: bool = True) -> FactorValue:
    """Verified by programme staff, and completed matches."""
    completed = min(entry.completed_matches, COMPLETED_FOR_FULL) / COMPLETED_FOR_FULL
    value = _clamp(0.5 * entry.is_verified + 0.5 * completed)
    if not explain:
        return FactorValue(value)
    reasons = []
    if entry.is_verified:
        reasons.append(Reason.of("verified"))
    if entry.completed_matches:
        reasons.append(Reason.of("completed-matches", count=entry.completed_matches))
    if not reasons:
        reasons.append(Reason.of("not-verified"))
    return FactorValue(value, tuple(reasons))


def similar(need: NeedProfile, decline: Decline) -> bool:
    """A declined need like this one: the same need, or sharing an SDG target or a theme."""
    return decline.need_id == need.pk or bool(
        (decline.targets & need.tags.targets) or (decline.themes & need.tags.themes)
    )


def feedback(
    need: NeedProfile, declines: Sequence[Decline], *, explain: bool = True
) -> FactorValue:
    """A penalty (the ranker subtracts it): 0 unless the entry was declined as not relevant.
    `declines`: the entry's matches declined as not relevant (any need). Declined for this
    need: 1; else DECLINE_PENALTY for each decline for a similar need, at most 1."""
    if any(d.need_id == need.pk for d in declines):
        return FactorValue(1.0, (Reason.of("declined-here"),) if explain else ())
    count = sum(1 for d in declines if similar(need, d))
    value = _clamp(DECLINE_PENALTY * count)
    if not explain:
        return FactorValue(value)
    if not count:
        return FactorValue(value, (Reason.of("not-declined"),))
    return FactorValue(value, (Reason.of("declined-similar", count=count),))

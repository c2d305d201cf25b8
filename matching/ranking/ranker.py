"""Ranking: entries for a need, and open needs for an entry or an organization.

The score of a pair is the weighted mean of the factor values (matching/ranking/factors.py,
weights in matching/ranking/weights.py), in [0, 1]; each factor's contribution is its share of
it, so the explanation adds up to the score. Ties are broken by id: the same data gives the
same ranking.

The feedback factor is a penalty: its contribution, `-weight * value / sum of the other
weights`, is negative or zero, so an entry nobody declined is not lifted by it, and a declined
one goes down. Reasons are codes with parameters (`reasons.Reason`), put into words when shown.
"""

import datetime
import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models.functions import Left
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Entry, Organization
from catalog.models.entries import reconfirm_cutoff, stale_cutoff
from matching.models import Need
from matching.ranking import factors
from matching.ranking.candidates import entry_candidates, need_candidates
from matching.ranking.profiles import (
    Decline,
    EntryProfile,
    NeedProfile,
    Tags,
    load_entries,
    load_needs,
    not_relevant_declines,
)
from matching.ranking.reasons import Reason, render_all
from matching.ranking.stopwords import STOP_WORDS
from matching.ranking.weights import FACTOR_NAMES, PENALTIES, current_weights
from matching.tagging import suggest_tag_codes
from search import engine
from search.analysis import analyzer, prepare

# A need's text beyond this is not read for ranking (a pasted document); a note says so.
MAX_TEXT_CHARS = 10_000
# Entry text read to find the words a match shares (the index stores no text).
ENTRY_TEXT_CHARS = 4_000
# An organization's published entries that reverse matching starts from, latest first.
MAX_ORGANIZATION_ENTRIES = 20


@dataclass(frozen=True)
class Factor:
    name: str
    value: float
    weight: float
    contribution: float  # weight * value / sum of weights (negative for a penalty)
    reasons: tuple[Reason, ...]

    @property
    def reason_texts(self) -> tuple[str, ...]:
        """The reasons in words, in the active language."""
        return tuple(render_all(self.reasons))

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": round(self.value, 6),
            "weight": round(self.weight, 6),
            "contribution": round(self.contribution, 6),
            "reasons": [reason.as_json() for reason in self.reasons],
        }


def _json(score: float, factor_list: Sequence[Factor], words: Sequence[str], flags: Sequence[str]):
    return {
        "score": round(score, 6),
        "factors": [factor.as_json() for factor in factor_list],
        "matched_words": list(words),
        "flags": list(flags),
    }


@dataclass(frozen=True)
class RankedEntry:
    entry_id: int
    score: float
    factors: tuple[Factor, ...]
    matched_words: tuple[str, ...]
    flags: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """What a Match row stores as its breakdown."""
        return _json(self.score, self.factors, self.matched_words, self.flags)


@dataclass(frozen=True)
class RankedNeed:
    need_id: int
    score: float
    factors: tuple[Factor, ...]
    matched_words: tuple[str, ...]
    flags: tuple[str, ...]
    # The entry the need was ranked against: for an organization, its best one.
    entry_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        data = _json(self.score, self.factors, self.matched_words, self.flags)
        data["entry_id"] = self.entry_id
        return data


@dataclass
class RankingResult:
    items: list[RankedEntry]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Context:
    weights: Mapping[str, float]
    today: datetime.date
    reconfirm_before: datetime.date
    stale_before: datetime.date

    @classmethod
    def now(cls) -> "_Context":
        today = timezone.localdate()
        return cls(
            weights=current_weights(),
            today=today,
            reconfirm_before=reconfirm_cutoff(today),
            stale_before=stale_cutoff(today),
        )


@dataclass(frozen=True)
class _Scored:
    score: float
    factors: tuple[Factor, ...]
    flags: tuple[str, ...]


def _values(
    need: NeedProfile,
    entry: EntryProfile,
    bm25: float,
    declines: Sequence[Decline],
    context: _Context,
    words: Sequence[str],
    explain: bool,
    best: float | None = None,
) -> dict[str, factors.FactorValue]:
    return {
        "text": factors.text(bm25, words, best=best, explain=explain),
        "taxonomy": factors.taxonomy(need, entry, explain=explain),
        "support": factors.support(need, entry, explain=explain),
        "context": factors.context(need, entry, explain=explain),
        "south_south": factors.south_south(entry, explain=explain),
        "availability": factors.availability(
            entry,
            today=context.today,
            reconfirm_before=context.reconfirm_before,
            stale_before=context.stale_before,
            explain=explain,
        ),
        "evidence": factors.evidence(entry, explain=explain),
        "feedback": factors.feedback(need, declines, explain=explain),
    }


def _quick_score(
    need: NeedProfile,
    entry: EntryProfile,
    bm25: float,
    declines: Sequence[Decline],
    context: _Context,
    best: float | None = None,
) -> float:
    """The score alone, for ordering the candidates; `_score` gives the same number."""
    values = _values(need, entry, bm25, declines, context, (), False, best)
    return _total(context, {name: value.value for name, value in values.items()})[0]


def _total(context: _Context, values: Mapping[str, float]) -> tuple[float, list[float]]:
    weights = context.weights
    total = sum(weights[name] for name in FACTOR_NAMES if name not in PENALTIES) or 1.0
    contributions = [
        (-1 if name in PENALTIES else 1) * weights[name] * values[name] / total
        for name in FACTOR_NAMES
    ]
    return min(1.0, max(0.0, math.fsum(contributions))), contributions


def _score(
    need: NeedProfile,
    entry: EntryProfile,
    bm25: float,
    declines: Sequence[Decline],
    context: _Context,
    words: Sequence[str] = (),
    best: float | None = None,
) -> _Scored:
    """The score of a pair with its explanation."""
    values = _values(need, entry, bm25, declines, context, words, True, best)
    score, contributions = _total(context, {name: value.value for name, value in values.items()})
    lines = tuple(
        Factor(
            name=name,
            value=values[name].value,
            weight=context.weights[name],
            contribution=contribution,
            reasons=values[name].reasons,
        )
        for name, contribution in zip(FACTOR_NAMES, contributions, strict=True)
    )
    flags = tuple(flag for name in FACTOR_NAMES for flag in values[name].flags)
    return _Scored(score=score, factors=lines, flags=flags)


def _sort_key(score: float, pk: int) -> tuple[float, int]:
    # Rounded: sums of the same contributions in another order must tie, then the id decides.
    return (-round(score, 9), pk)


# --- The words a need and an entry share -----------------------------------------------------


@functools.lru_cache(maxsize=100_000)
def _tokens(language: str, word: str) -> tuple[str, ...]:
    return tuple(analyzer(language).analyze(word))


def _entry_texts(entry_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    rows = Entry.objects.filter(pk__in=list(entry_ids)).values_list(
        "pk", "language", "title", "summary", Left("body", ENTRY_TEXT_CHARS)
    )
    return {
        pk: (language, f"{title}\n{summary}\n{body}") for pk, language, title, summary, body in rows
    }


def _shared_words(words: Sequence[str], language: str, text: str) -> tuple[str, ...]:
    """The need's words found in the entry's text, as the entry's analyzer reads both."""
    if not words or not text:
        return ()
    present = set(analyzer(language).analyze(prepare(text)))
    return tuple(
        word
        for word in words
        if (tokens := _tokens(language, word)) and all(token in present for token in tokens)
    )


# --- Entries for a need ------------------------------------------------------------------------


def _need_profile(need: NeedProfile, notes: list[str]) -> tuple[NeedProfile, str]:
    """The need with the tags its words suggest, and the words to match (`_query_text`) from
    its text cut to MAX_TEXT_CHARS."""
    text = need.text.strip()
    if len(text) > MAX_TEXT_CHARS:
        notes.append(
            _(
                "This need's text is long (%(length)s characters); only its first %(kept)s "
                "characters were used for ranking."
            )
            % {"length": f"{len(text):,}", "kept": f"{MAX_TEXT_CHARS:,}"}
        )
        text = text[:MAX_TEXT_CHARS]
    codes = suggest_tag_codes(text)
    inferred = Tags(targets=frozenset(codes.sdg_targets), themes=frozenset(codes.themes))
    return replace(need, inferred=inferred), _query_text(text)


def _query_text(text: str) -> str:
    """The words of a need's text that matching uses: function words left out."""
    return " ".join(word for word in engine.match_words(text) if word not in STOP_WORDS)


def _has_tags(need: NeedProfile) -> bool:
    return bool(
        need.tags.targets
        or need.tags.goals
        or need.tags.themes
        or need.inferred.targets
        or need.inferred.themes
    )


def rank_entries_for_need(need: Need, *, limit: int = 20) -> RankingResult:
    """The published entries best matching `need`, best first, with their explanations.

    Raises search.store.IndexUnavailable when the search index cannot be opened."""
    notes: list[str] = []
    profile = load_needs([need.pk]).get(need.pk) if need.pk else None
    if profile is None:
        return RankingResult(items=[], notes=[_("This need is not saved yet.")])
    profile, text = _need_profile(profile, notes)
    has_text = bool(text)
    if not has_text and not _has_tags(profile):
        notes.append(_("This need has no text and no SDG target or theme: nothing to match on."))
        return RankingResult(items=[], notes=notes)
    found = entry_candidates(profile, text)
    if not has_text:
        notes.append(_("This need has no text; matched on its tags only."))
    elif not any(bm25 > 0 for _pk, bm25 in found.hits):
        notes.append(
            _(
                "No entry shares words with this need's text (is it in a language the portal "
                "does not analyse?); matched on its SDG targets and themes only."
            )
            if _has_tags(profile)
            else _(
                "No entry shares words with this need's text (is it in a language the portal "
                "does not analyse?), and it has no SDG target or theme to match on."
            )
        )
    bm25 = dict(found.hits)
    entries = load_entries(bm25)
    declines: dict[int, list[Decline]] = defaultdict(list)
    for decline in not_relevant_declines(entries.values()):
        declines[decline.entry_id].append(decline)
    context = _Context.now()
    # The best BM25 of the need's words in the catalogue: the candidates include the top
    # entries by BM25.
    top_bm25 = max(bm25.values(), default=0.0)
    scores = {
        pk: _quick_score(profile, entry, bm25[pk], declines[pk], context, top_bm25)
        for pk, entry in entries.items()
    }
    best = sorted(scores, key=lambda pk: _sort_key(scores[pk], pk))[: max(0, limit)]
    texts = _entry_texts(best)
    items = []
    for pk in best:
        language, entry_text = texts.get(pk, (entries[pk].language, ""))
        words = _shared_words(found.words, language, entry_text) if bm25[pk] > 0 else ()
        result = _score(profile, entries[pk], bm25[pk], declines[pk], context, words, top_bm25)
        items.append(
            RankedEntry(
                entry_id=pk,
                score=result.score,
                factors=result.factors,
                matched_words=words,
                flags=result.flags,
            )
        )
    return RankingResult(items=items, notes=notes)


# --- Open needs for an entry or an organization ------------------------------------------------


def rank_needs_for_entry(entry: Entry, *, limit: int = 20) -> list[RankedNeed]:
    """The open needs `entry` could serve, best first (none while it is not published)."""
    return _rank_needs(load_entries([entry.pk]) if entry.pk else {}, limit=limit)


def rank_needs_for_organization(organization: Organization, *, limit: int = 20) -> list[RankedNeed]:
    """The open needs an organization could serve through its published entries (its latest
    MAX_ORGANIZATION_ENTRIES), each need with the entry that serves it best."""
    entry_ids = list(
        Entry.objects.published()
        .filter(provider_links__organization=organization)
        .order_by("-published_at", "-pk")
        .values_list("pk", flat=True)
        .distinct()[:MAX_ORGANIZATION_ENTRIES]
    )
    return _rank_needs(load_entries(entry_ids), limit=limit)


def _rank_needs(entries: dict[int, EntryProfile], *, limit: int) -> list[RankedNeed]:
    if not entries or limit < 1:
        return []
    needs = load_needs(need_candidates(entries.values()))
    declines: dict[int, list[Decline]] = defaultdict(list)
    for decline in not_relevant_declines(entries.values()):
        declines[decline.entry_id].append(decline)
    context = _Context.now()
    # need id -> (score, entry id, BM25, the need's words, the need): its best entry.
    best: dict[int, tuple[float, int, float, tuple[str, ...], NeedProfile]] = {}
    for need_id, raw in needs.items():
        profile, text = _need_profile(raw, [])
        found = engine.match_candidates(text, among=list(entries))
        bm25 = dict(found.hits)
        for entry_id in sorted(entries):
            score = _quick_score(
                profile, entries[entry_id], bm25.get(entry_id, 0.0), declines[entry_id], context
            )
            current = best.get(need_id)
            if current is None or _sort_key(score, entry_id) < _sort_key(current[0], current[1]):
                best[need_id] = (score, entry_id, bm25.get(entry_id, 0.0), found.words, profile)
    ranked = sorted(best, key=lambda pk: _sort_key(best[pk][0], pk))[:limit]
    texts = _entry_texts({best[pk][1] for pk in ranked})
    items = []
    for need_id in ranked:
        _result, entry_id, bm25_value, need_words, profile = best[need_id]
        language, entry_text = texts.get(entry_id, (entries[entry_id].language, ""))
        words = _shared_words(need_words, language, entry_text) if bm25_value > 0 else ()
        result = _score(profile, entries[entry_id], bm25_value, declines[entry_id], context, words)
        items.append(
            RankedNeed(
                need_id=need_id,
                score=result.score,
                factors=result.factors,
                matched_words=words,
                flags=result.flags,
                entry_id=entry_id,
            )
        )
    return items

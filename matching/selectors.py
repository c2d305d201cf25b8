"""Reads of needs, scoped to who asks (accounts/permissions.py `needs_visible_to`)."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import models
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.permissions import matches_visible_to, needs_visible_to
from catalog.models import Country, Entry, RegionalOffice, SdgTarget, Theme
from matching.models import Match, Need, NeedReview
from matching.ranking import RankedNeed, rank_needs_for_entry
from search.analysis import prepare
from search.bridge import KIND_TARGET, KIND_THEME, label_index
from search.query import parse

LIST_PAGE_SIZE = 20


def _with_details(needs: QuerySet[Need]) -> QuerySet[Need]:
    return needs.select_related("regional_office", "created_by").prefetch_related(
        "countries", "themes", "support_kinds", "sdg_targets"
    )


def need_get_for_user(*, user: Any, pk: int) -> Need | None:
    """The need if `user` may see it; None (a 404) for a draft of another office, etc."""
    return (
        _with_details(needs_visible_to(user))
        .prefetch_related(
            Prefetch("reviews", queryset=NeedReview.objects.select_related("by")),
        )
        .filter(pk=pk)
        .first()
    )


def needs_public() -> QuerySet[Need]:
    """Open and matched needs, for everyone: newest opened first."""
    return _with_details(
        Need.objects.filter(status__in=(Need.Status.OPEN, Need.Status.MATCHED))
    ).order_by(models.F("opened_at").desc(nulls_last=True), "-pk")


def needs_for_screening() -> QuerySet[Need]:
    """Submitted needs waiting for staff, the longest waiting first."""
    return _with_details(Need.objects.filter(status=Need.Status.SUBMITTED)).order_by(
        models.F("submitted_at").asc(nulls_first=True), "pk"
    )


@dataclass
class StatusGroup:
    status: str
    label: str
    needs: list[Need] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.needs)


def needs_of_office_by_status(*, office: RegionalOffice) -> list[StatusGroup]:
    """A regional office's needs grouped by status in life-cycle order, each newest first;
    every status is listed, with a count of zero when the office has none."""
    groups = {value: StatusGroup(value, str(label)) for value, label in Need.Status.choices}
    needs = _with_details(Need.objects.for_office(office)).annotate(
        returned_count=Count(
            "reviews", filter=models.Q(reviews__decision=NeedReview.Decision.RETURNED)
        )
    )
    for need in needs.order_by("-updated_at", "-pk"):
        groups[need.status].needs.append(need)
    return list(groups.values())


def region_countries(*, office: RegionalOffice | None) -> QuerySet[Country]:
    if office is None:
        return Country.objects.none()
    return Country.objects.filter(regional_office=office).order_by("name_en")


# History: who changed what and when (django-simple-history records with field diffs).


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryRow:
    when: Any
    who: User | None
    kind: str
    changes: list[FieldChange]


_KIND_LABELS = {
    "+": gettext_lazy("Created"),
    "~": gettext_lazy("Changed"),
    "-": gettext_lazy("Deleted"),
}


def _display(model_field: Any, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if model_field.many_to_many:
        related = model_field.related_model
        name = related._meta.model_name
        pks = [row[name] for row in value if isinstance(row, dict) and name in row]
        return ", ".join(str(obj) for obj in related.objects.filter(pk__in=pks)) or "—"
    if model_field.is_relation:
        obj = model_field.related_model._default_manager.filter(pk=value).first()
        return str(obj) if obj is not None else str(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def need_history(*, need: Need) -> list[HistoryRow]:
    """The need's history, newest first, each record with what it changed from the one
    before."""
    records = list(need.history.select_related("history_user").order_by("history_date"))
    rows = []
    previous = None
    for record in records:
        changes: list[FieldChange] = []
        if previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                model_field = Need._meta.get_field(change.field)
                assert isinstance(model_field, models.Field)
                changes.append(
                    FieldChange(
                        label=str(model_field.verbose_name),
                        old=_display(model_field, change.old),
                        new=_display(model_field, change.new),
                    )
                )
        rows.append(
            HistoryRow(
                when=record.history_date,
                who=record.history_user,
                kind=str(_KIND_LABELS.get(record.history_type, record.history_type)),
                changes=changes,
            )
        )
        previous = record
    rows.reverse()
    return rows


# Suggestions of SDG targets and themes from the words of a need.

# Words read from a need: enough for a long description, bounded for a pasted document.
MAX_SUGGESTION_WORDS = 300
SUGGESTED_TARGETS = 6
SUGGESTED_THEMES = 3
# A word that names one label gives it a point; one naming several shares the point.
MIN_SCORE = 0.5
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@dataclass(frozen=True)
class Suggestions:
    targets: list[SdgTarget]
    themes: list[Theme]


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(prepare(text))[:MAX_SUGGESTION_WORDS]]


def need_suggestions(*, text: str) -> Suggestions:
    """SDG targets and themes whose labels (in any UN language, through search's bridge) share
    words and pairs of adjacent words with `text`, best first.

    The bridge finds nothing for a word that names too many labels ("the", "sustainable"), so
    common words weigh nothing, and a word naming a few labels gives each a share of a point.
    """
    index = label_index()
    scores: dict[str, dict[str, float]] = {KIND_TARGET: {}, KIND_THEME: {}}
    words = _words(text)
    matches = {word: index.match(parse(word)) for word in set(words)}
    # Pairs of adjacent words that each name something ("drinking water"): a pair with a
    # common word ("water for") would only repeat the other word.
    pairs = {
        (a, b): index.match(parse(f"{a} {b}"))
        for a, b in zip(words, words[1:], strict=False)
        if matches[a] and matches[b]
    }
    for match in (*matches.values(), *pairs.values()):
        for kind, counter in scores.items():
            values = match.values.get(kind, ())
            for value in values:
                counter[value] = counter.get(value, 0.0) + 1 / len(values)

    def best(kind: str, limit: int) -> list[str]:
        ranked = sorted(scores[kind].items(), key=lambda item: (-item[1], item[0]))
        return [value for value, score in ranked if score >= MIN_SCORE][:limit]

    target_codes = best(KIND_TARGET, SUGGESTED_TARGETS)
    theme_codes = best(KIND_THEME, SUGGESTED_THEMES)
    targets = {t.code: t for t in SdgTarget.objects.filter(code__in=target_codes)}
    themes = {t.code: t for t in Theme.objects.filter(code__in=theme_codes)}
    return Suggestions(
        targets=[targets[code] for code in target_codes if code in targets],
        themes=[themes[code] for code in theme_codes if code in themes],
    )


def need_missing_for_submission(*, need: Need) -> list[str]:
    """What a draft still lacks before it can be submitted, in words for the review step."""
    missing = []
    if not need.title.strip():
        missing.append(_("a title"))
    if not need.description.strip():
        missing.append(_("a description"))
    if not need.countries.exists():
        missing.append(_("at least one country"))
    if not need.support_kinds.exists():
        missing.append(_("the kind of support sought"))
    if not need.origin:
        missing.append(_("the origin of the need"))
    if need.needed_by is not None and need.needed_by <= timezone.localdate():
        missing.append(_("a “needed by” date after today"))
    return missing


# Matches of a need with catalogue entries.


@dataclass(frozen=True)
class MatchStep:
    when: Any
    who: User | None
    status: str
    label: str


@dataclass
class NeedMatches:
    """What the need's page shows of its matches to one user."""

    suggested: list[Match]
    followed: list[Match]
    steps: dict[int, list[MatchStep]]

    def __bool__(self) -> bool:
        return bool(self.suggested or self.followed)


# Followed matches: those under way first, in life-cycle order, then those that ended.
_FOLLOWED_ORDER = [
    Match.Status.IN_IMPLEMENTATION,
    Match.Status.AGREED,
    Match.Status.CONTACTED,
    Match.Status.SHORTLISTED,
    Match.Status.COMPLETED,
    Match.Status.DECLINED,
    Match.Status.WITHDRAWN,
]


def match_get_for_user(*, user: Any, need_pk: int, pk: int) -> Match | None:
    """The match `pk` of need `need_pk` if `user` may see it; None (a 404) otherwise."""
    return (
        matches_visible_to(user)
        .select_related("need", "entry")
        .filter(pk=pk, need_id=need_pk)
        .first()
    )


def match_steps(*, matches: list[Match]) -> dict[int, list[MatchStep]]:
    """Each match's steps from its history, oldest first: who took which step when."""
    steps: dict[int, list[MatchStep]] = {match.pk: [] for match in matches}
    labels = dict(Match.Status.choices)
    previous: dict[int, str] = {}
    records = (
        Match.history.filter(id__in=list(steps))
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    for record in records:
        if record.history_type == "-" or previous.get(record.id) == record.status:
            continue
        previous[record.id] = record.status
        steps[record.id].append(
            MatchStep(
                when=record.history_date,
                who=record.history_user,
                status=record.status,
                label=str(labels.get(record.status, record.status)),
            )
        )
    return steps


def need_matches(*, need: Need, user: Any) -> NeedMatches:
    """The matches of `need` that `user` may see: suggestions best first, then the matches
    people followed, those under way first. Staff and the need's officers see all of them,
    a provider the followed matches of its entries, anyone else none."""
    matches = list(
        matches_visible_to(user)
        .filter(need=need)
        .select_related("entry", "declined_by")
        .prefetch_related("entry__providers__country")
        .order_by("-score", "pk")
    )
    suggested = [m for m in matches if m.status == Match.Status.SUGGESTED]
    followed = sorted(
        (m for m in matches if m.status != Match.Status.SUGGESTED),
        key=lambda m: (_FOLLOWED_ORDER.index(Match.Status(m.status)), -m.score, m.pk),
    )
    return NeedMatches(suggested=suggested, followed=followed, steps=match_steps(matches=followed))


@dataclass(frozen=True)
class ServableNeed:
    need: Need
    ranked: RankedNeed


# How long an entry page shows the same "needs this could serve" (see below).
SERVABLE_NEEDS_CACHE_SECONDS = 300


def needs_entry_could_serve(*, entry: Entry, limit: int = 5) -> list[ServableNeed]:
    """The open needs `entry` could serve, best first (reverse matching), for its public page:
    open needs are public.

    The ranking is cached for a few minutes per version of the entry: a public page is viewed
    far more often than needs are opened, and the ranking costs a search and a dozen queries.
    """
    key = f"needs-entry-could-serve:{entry.pk}:{entry.updated_at.timestamp()}:{limit}"
    ranked = cache.get(key)
    if ranked is None:
        ranked = rank_needs_for_entry(entry, limit=limit)
        cache.set(key, ranked, SERVABLE_NEEDS_CACHE_SECONDS)
    needs = (
        Need.objects.open()
        .select_related("regional_office")
        .in_bulk([item.need_id for item in ranked])
    )
    return [
        ServableNeed(need=needs[item.need_id], ranked=item)
        for item in ranked
        if item.need_id in needs
    ]

"""The life of a need: draft → submitted → validated → open → (matched) → closed, and the life of
its matches with catalogue entries (see "Matches" below).

Validating, opening and closing are decisions of programme staff. As for entries, the who/when
fields record the last time each step happened.
"""

import datetime
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog.models import Country, Entry, RegionalOffice, SdgGoal, SdgTarget, SupportKind, Theme
from exchange.errors import ApplicationError
from matching import tasks
from matching.models import Match, Need, NeedReview
from matching.ranking import RankedEntry, rank_entries_for_need
from matching.signals import suggestions_stored
from notifications.models import Notification
from notifications.services import notify

Status = Need.Status


class Unset:
    """The type of UNSET: an argument not given, where None is a value."""


UNSET = Unset()


def _require_staff(by: User, doing: str) -> None:
    if not by.is_staff:
        raise ApplicationError(f"Only programme staff can {doing}.")


def _wrong_status(need: Need, expected: str) -> ApplicationError:
    return ApplicationError(f"{expected}; this need is {need.get_status_display().lower()}.")


def _save(need: Need, *, changes: dict[str, Any]) -> Need:
    for field, value in changes.items():
        setattr(need, field, value)
    need.save(update_fields=[*changes, "updated_at"])
    return need


def _need_url(need: Need) -> str:
    return reverse("matching:need_detail", kwargs={"pk": need.pk})


def _officers_of(need: Need) -> list[User]:
    """Whoever answers for the need: its creator and the officers of its regional office."""
    people = list(
        User.objects.filter(regional_office_id=need.regional_office_id, is_active=True).order_by(
            "pk"
        )
    )
    if need.created_by is not None and need.created_by not in people:
        people.append(need.created_by)
    return people


def _check_countries_in_region(countries: Iterable[Country], office_id: int) -> None:
    outside = [country for country in countries if country.regional_office_id != office_id]
    if outside:
        office = RegionalOffice.objects.get(pk=office_id)
        names = ", ".join(str(country.name) for country in outside)
        raise ApplicationError(
            f"{names}: not a country of the {office.name} regional office. "
            "Choose only countries your office serves.",
            extra={"fields": {"countries": [names]}},
        )


def _check_needed_by(needed_by: datetime.date | None) -> None:
    if needed_by is not None and needed_by <= timezone.localdate():
        raise ApplicationError(
            "The date the support is needed by must be after today.",
            extra={"fields": {"needed_by": ["after today"]}},
        )


@transaction.atomic
def need_create_draft(
    *,
    by: User,
    title: str,
    description: str,
    language: str,
    regional_office: RegionalOffice | None = None,
    creation_token: uuid.UUID | None = None,
) -> Need:
    """Start a need as a draft of the officer's regional office (staff name the office).

    With `creation_token`, a second call with the same token (a double click) returns the need
    the first call created instead of creating another.
    """
    if creation_token is not None:
        existing = Need.objects.filter(creation_token=creation_token).first()
        if existing is not None:
            if existing.created_by_id != by.pk:
                raise ApplicationError("This form was already used by someone else.")
            return existing
    office = regional_office if by.is_staff and regional_office else by.regional_office
    if office is None:
        raise ApplicationError("Only officers of a regional office and staff can register needs.")
    need = Need(
        title=title,
        description=description,
        language=language,
        regional_office=office,
        status=Status.DRAFT,
        created_by=by,
        creation_token=creation_token,
    )
    try:
        # A savepoint, so that losing the race to a concurrent double click leaves this
        # transaction usable for reading the winner's need.
        with transaction.atomic():
            need.save()
    except IntegrityError:
        existing = Need.objects.filter(creation_token=creation_token).first()
        if existing is None:
            raise
        return existing
    return need


def _require_editable(need: Need, by: User) -> None:
    if not by.has_perm("needs.edit", need):
        raise ApplicationError("You cannot change this need.")
    if need.status != Status.DRAFT:
        raise _wrong_status(need, "Only a draft need can be changed")


@transaction.atomic
def need_update(
    *,
    need: Need,
    by: User,
    title: str | None = None,
    description: str | None = None,
    language: str | None = None,
    countries: Iterable[Country] | None = None,
    themes: Iterable[Theme] | None = None,
    sdg_targets: Iterable[SdgTarget] | None = None,
    support_kinds: Iterable[SupportKind] | None = None,
    priority: str | None = None,
    time_frame: str | None = None,
    needed_by: datetime.date | None | Unset = UNSET,
    origin: str | None = None,
    origin_reference: str | None = None,
) -> Need:
    """Change a draft need: only the arguments given are changed (None, or UNSET for
    `needed_by` which may be emptied, leaves a field as it is).

    Countries must belong to the need's regional office; the SDG goals follow the targets;
    `needed_by` must be after today.
    """
    _require_editable(need, by)
    changes: dict[str, Any] = {
        field: value
        for field, value in (
            ("title", title),
            ("description", description),
            ("language", language),
            ("priority", priority),
            ("time_frame", time_frame),
            ("origin", origin),
            ("origin_reference", origin_reference),
        )
        if value is not None
    }
    if not isinstance(needed_by, Unset):
        _check_needed_by(needed_by)
        changes["needed_by"] = needed_by
    if countries is not None:
        countries = list(countries)
        _check_countries_in_region(countries, need.regional_office_id)
    if changes:
        _save(need, changes=changes)
    if countries is not None:
        need.countries.set(countries)
    if themes is not None:
        need.themes.set(list(themes))
    if sdg_targets is not None:
        targets = list(sdg_targets)
        need.sdg_targets.set(targets)
        need.sdg_goals.set(SdgGoal.objects.filter(targets__in=targets).distinct())
    if support_kinds is not None:
        need.support_kinds.set(list(support_kinds))
    return need


@transaction.atomic
def need_submit(*, need: Need, by: User) -> Need:
    if need.status != Status.DRAFT:
        raise _wrong_status(need, "Only a draft need can be submitted")
    # The admin form requires these, but drafts saved by other means may lack them.
    missing = [
        label
        for label, related in (
            ("a country", need.countries),
            ("a kind of support", need.support_kinds),
        )
        if not related.exists()
    ]
    if missing:
        raise ApplicationError(
            f"Add {' and '.join(missing)} to this need before submitting it.",
            extra={"missing": missing},
        )
    try:
        need.full_clean(exclude=["creation_token"])
    except ValidationError as exc:
        raise ApplicationError.from_validation_error(
            exc, prefix="This need cannot be submitted yet."
        ) from exc
    _check_countries_in_region(need.countries.all(), need.regional_office_id)
    _check_needed_by(need.needed_by)
    _save(
        need,
        changes={"status": Status.SUBMITTED, "submitted_at": timezone.now(), "submitted_by": by},
    )
    notify(
        recipients=User.objects.filter(is_staff=True, is_active=True),
        kind=Notification.Kind.SUBMISSION_RECEIVED,
        subject=f"Need submitted for screening: {need.title}",
        body=f"{by} submitted this need of the {need.regional_office.name} regional office.",
        url=_need_url(need),
    )
    return need


def _criteria(
    fits_national_priorities: bool | None, ldc_sids_priority: bool | None, is_clear: bool | None
) -> dict[str, bool | None]:
    return {
        "fits_national_priorities": fits_national_priorities,
        "ldc_sids_priority": ldc_sids_priority,
        "is_clear": is_clear,
    }


@transaction.atomic
def need_validate(
    *,
    need: Need,
    by: User,
    comment: str = "",
    fits_national_priorities: bool | None = None,
    ldc_sids_priority: bool | None = None,
    is_clear: bool | None = None,
) -> Need:
    """Accept a submitted need. The screening answers, when given, must say that the need fits
    national priorities and is clearly stated; LDC/LLDC/SIDS priority is recorded only."""
    _require_staff(by, "validate needs")
    if need.status != Status.SUBMITTED:
        raise _wrong_status(need, "Only a submitted need can be validated")
    if fits_national_priorities is False or is_clear is False:
        raise ApplicationError(
            "A need that does not fit national priorities or is not clearly stated cannot be "
            "validated: return it with comments instead."
        )
    _save(
        need,
        changes={"status": Status.VALIDATED, "validated_at": timezone.now(), "validated_by": by},
    )
    NeedReview.objects.create(
        need=need,
        by=by,
        decision=NeedReview.Decision.VALIDATED,
        comment=comment.strip(),
        **_criteria(fits_national_priorities, ldc_sids_priority, is_clear),
    )
    notify(
        recipients=_officers_of(need),
        kind=Notification.Kind.NEED_VALIDATED,
        subject=f"Need validated: {need.title}",
        body=comment.strip(),
        url=_need_url(need),
    )
    return need


@transaction.atomic
def need_return(
    *,
    need: Need,
    by: User,
    comment: str,
    fits_national_priorities: bool | None = None,
    ldc_sids_priority: bool | None = None,
    is_clear: bool | None = None,
) -> Need:
    """Send a submitted need back to draft, saying what to change; its officers are told."""
    _require_staff(by, "return needs")
    if need.status != Status.SUBMITTED:
        raise _wrong_status(need, "Only a submitted need can be returned")
    comment = comment.strip()
    if not comment:
        raise ApplicationError("Say what the officer should change before returning the need.")
    _save(need, changes={"status": Status.DRAFT})
    NeedReview.objects.create(
        need=need,
        by=by,
        decision=NeedReview.Decision.RETURNED,
        comment=comment,
        **_criteria(fits_national_priorities, ldc_sids_priority, is_clear),
    )
    notify(
        recipients=_officers_of(need),
        kind=Notification.Kind.RETURNED,
        subject=f"Need returned with comments: {need.title}",
        body=comment,
        url=_need_url(need),
    )
    return need


@transaction.atomic
def need_open(*, need: Need, by: User) -> Need:
    """Open a validated need to matching."""
    _require_staff(by, "open needs")
    if need.status != Status.VALIDATED:
        raise _wrong_status(need, "Only a validated need can be opened")
    _save(need, changes={"status": Status.OPEN, "opened_at": timezone.now(), "opened_by": by})
    tasks.enqueue_need_refresh(need.pk)
    return need


@transaction.atomic
def need_close(*, need: Need, by: User, reason: str) -> Need:
    """Close a need at any stage, saying why (met elsewhere, withdrawn, duplicate...)."""
    _require_staff(by, "close needs")
    if need.status == Status.CLOSED:
        raise ApplicationError("This need is already closed.")
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why this need is being closed.")
    _save(
        need,
        changes={
            "status": Status.CLOSED,
            "closed_at": timezone.now(),
            "closed_by": by,
            "closed_reason": reason,
        },
    )
    # A closed need keeps the matches people followed; its suggestions go.
    tasks.enqueue_need_refresh(need.pk)
    return need


# Matches -----------------------------------------------------------------------------------------
#
# The ranker's suggestions become `suggested` matches (`need_suggestions_refresh`); people then
# move each match along TRANSITIONS, the one statement of its life cycle:
#
#   suggested → shortlisted → contacted → agreed → in implementation → completed
#   suggested, shortlisted or contacted → declined (with a reason)
#   shortlisted … in implementation → withdrawn (saying why)
#
# Who may take which step is in accounts/permissions.py: "matches.act" (the need side: staff and
# the officers of the need's office) for every step, "matches.respond" (also the members of the
# organization leading the entry) for contacted, agreed, implementation, completion and withdrawal.
#
# The need follows its matches: a need is "matched" from the first agreed match; when the last
# agreed, in-implementation or completed match of a matched need is withdrawn, it is open again.
#
# Every step names the `version` its author saw; a match changed meanwhile by someone else refuses
# the step (STALE_MATCH) and nothing changes, so no one's change is lost silently.

MatchStatus = Match.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    MatchStatus.SUGGESTED: frozenset(
        {MatchStatus.SHORTLISTED, MatchStatus.CONTACTED, MatchStatus.DECLINED}
    ),
    MatchStatus.SHORTLISTED: frozenset(
        {MatchStatus.CONTACTED, MatchStatus.DECLINED, MatchStatus.WITHDRAWN}
    ),
    MatchStatus.CONTACTED: frozenset(
        {MatchStatus.AGREED, MatchStatus.DECLINED, MatchStatus.WITHDRAWN}
    ),
    MatchStatus.AGREED: frozenset({MatchStatus.IN_IMPLEMENTATION, MatchStatus.WITHDRAWN}),
    MatchStatus.IN_IMPLEMENTATION: frozenset({MatchStatus.COMPLETED, MatchStatus.WITHDRAWN}),
    MatchStatus.COMPLETED: frozenset(),
    MatchStatus.DECLINED: frozenset(),
    MatchStatus.WITHDRAWN: frozenset(),
}

# The permission each step asks for (accounts/permissions.py).
STEP_PERMISSION: dict[str, str] = {
    MatchStatus.SHORTLISTED: "matches.act",
    MatchStatus.DECLINED: "matches.act",
    MatchStatus.CONTACTED: "matches.respond",
    MatchStatus.AGREED: "matches.respond",
    MatchStatus.IN_IMPLEMENTATION: "matches.respond",
    MatchStatus.COMPLETED: "matches.respond",
    MatchStatus.WITHDRAWN: "matches.respond",
}

# The who/when fields each step fills.
STEP_FIELDS: dict[str, tuple[str, str]] = {
    MatchStatus.SHORTLISTED: ("shortlisted_at", "shortlisted_by"),
    MatchStatus.CONTACTED: ("contacted_at", "contacted_by"),
    MatchStatus.AGREED: ("agreed_at", "agreed_by"),
    MatchStatus.IN_IMPLEMENTATION: ("implementation_started_at", "implementation_started_by"),
    MatchStatus.COMPLETED: ("completed_at", "completed_by"),
    MatchStatus.DECLINED: ("declined_at", "declined_by"),
    MatchStatus.WITHDRAWN: ("withdrawn_at", "withdrawn_by"),
}

# "This match cannot be …": each step in words.
STEP_WORDS: dict[str, str] = {
    MatchStatus.SHORTLISTED: "shortlisted",
    MatchStatus.CONTACTED: "marked as contacted",
    MatchStatus.AGREED: "agreed",
    MatchStatus.IN_IMPLEMENTATION: "moved to implementation",
    MatchStatus.COMPLETED: "completed",
    MatchStatus.DECLINED: "declined",
    MatchStatus.WITHDRAWN: "withdrawn",
}

# Steps that take a need further towards a match: not on a closed need or a retired entry.
_FORWARD_STEPS = (MatchStatus.SHORTLISTED, MatchStatus.CONTACTED, MatchStatus.AGREED)
# Needs that get suggestions and whose matches can move forward.
MATCHABLE = (Status.OPEN, Status.MATCHED)

STALE_MATCH = "This match was changed by someone else meanwhile; reload the page and try again."
GONE_MATCH = (
    "This suggestion is no longer in the list: the suggestions were refreshed meanwhile. "
    "Reload the page."
)


def _illegal_step(match: Match, to: str) -> ApplicationError:
    status = match.get_status_display().lower()
    if match.status == to:
        return ApplicationError(f"This match is already {status}.")
    allowed = [STEP_WORDS[step] for step in MatchStatus if step in TRANSITIONS[match.status]]
    if not allowed:
        return ApplicationError(
            f"This match is {status}, which ends it: it cannot be {STEP_WORDS[to]}."
        )
    choices = " or ".join([", ".join(allowed[:-1]), allowed[-1]] if len(allowed) > 1 else allowed)
    return ApplicationError(
        f"This match is {status}: it cannot be {STEP_WORDS[to]}. It can be {choices}."
    )


def _match_step(
    *, match: Match, by: User, version: int, to: str, changes: dict[str, Any] | None = None
) -> Match:
    """Move `match` to `to` if `by` may, the step is allowed from its status now, and no one
    changed it since `by` saw `version`; otherwise raise and change nothing.

    The row is locked for the check and the write, so that of two steps taken at once on the
    same version, the second finds the first's version and is refused.
    """
    locked = (
        Match.objects.select_for_update(of=("self",))
        .select_related("need", "entry")
        .filter(pk=match.pk)
        .first()
    )
    if locked is None:
        raise ApplicationError(GONE_MATCH)
    if not by.has_perm(STEP_PERMISSION[to], locked):
        raise ApplicationError(
            f"You cannot take this step: this match cannot be {STEP_WORDS[to]} by you."
        )
    if locked.version != version:
        raise ApplicationError(STALE_MATCH, extra={"version": locked.version})
    if to not in TRANSITIONS[locked.status]:
        raise _illegal_step(locked, to)
    if to in _FORWARD_STEPS:
        if locked.need.status not in MATCHABLE:
            raise ApplicationError(
                f"This need is {locked.need.get_status_display().lower()}: "
                f"its matches cannot be {STEP_WORDS[to]}."
            )
        if locked.entry.status != Entry.Status.PUBLISHED:
            raise ApplicationError(
                f"This solution is no longer published: the match cannot be {STEP_WORDS[to]}."
            )
    at, who = STEP_FIELDS[to]
    values = {
        "status": to,
        at: timezone.now(),
        who: by,
        **(changes or {}),
        "version": locked.version + 1,
    }
    for name, value in values.items():
        setattr(locked, name, value)
        setattr(match, name, value)
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=[*values, "updated_at"])
    match.updated_at = locked.updated_at
    return locked


def _lock_need(need_id: int) -> Need:
    return Need.objects.select_for_update().get(pk=need_id)


@transaction.atomic
def match_shortlist(*, match: Match, by: User, version: int) -> Match:
    """Keep a suggestion for a closer look."""
    return _match_step(match=match, by=by, version=version, to=MatchStatus.SHORTLISTED)


@transaction.atomic
def match_mark_contacted(*, match: Match, by: User, version: int) -> Match:
    """Record that the need's side and the entry's provider are in touch."""
    return _match_step(match=match, by=by, version=version, to=MatchStatus.CONTACTED)


@transaction.atomic
def match_agree(*, match: Match, by: User, version: int) -> Match:
    """Record that both sides agreed to work together; an open need becomes matched."""
    match = _match_step(match=match, by=by, version=version, to=MatchStatus.AGREED)
    need = _lock_need(match.need_id)
    if need.status == Status.OPEN:
        need._history_user = by  # type: ignore[attr-defined]
        _save(need, changes={"status": Status.MATCHED, "matched_at": match.agreed_at})
    match.need = need
    return match


@transaction.atomic
def match_start_implementation(*, match: Match, by: User, version: int) -> Match:
    return _match_step(match=match, by=by, version=version, to=MatchStatus.IN_IMPLEMENTATION)


@transaction.atomic
def match_complete(
    *,
    match: Match,
    by: User,
    version: int,
    results: str,
    beneficiaries: str,
    lessons_learned: str,
) -> Match:
    """Close a match in implementation with its outcome: results, beneficiaries and lessons
    learned are all required (the reports read them)."""
    outcome = {
        "results": results.strip(),
        "beneficiaries": beneficiaries.strip(),
        "lessons_learned": lessons_learned.strip(),
    }
    missing = [name.replace("_", " ") for name, value in outcome.items() if not value]
    if missing:
        raise ApplicationError(
            f"Record the outcome before completing the match: {', '.join(missing)} missing.",
            extra={"fields": {name: ["required"] for name, value in outcome.items() if not value}},
        )
    return _match_step(
        match=match, by=by, version=version, to=MatchStatus.COMPLETED, changes=outcome
    )


@transaction.atomic
def match_decline(*, match: Match, by: User, version: int, reason: str, comment: str = "") -> Match:
    """Turn a match down, saying why; "other" needs a comment. A decline as "not relevant"
    teaches the ranker (its feedback factor) about similar needs."""
    if reason not in Match.DeclineReason.values:
        raise ApplicationError(
            "Choose why this match is declined.", extra={"fields": {"reason": ["required"]}}
        )
    comment = comment.strip()
    if reason == Match.DeclineReason.OTHER and not comment:
        raise ApplicationError(
            "Say in a comment why this match is declined.",
            extra={"fields": {"comment": ["required"]}},
        )
    return _match_step(
        match=match,
        by=by,
        version=version,
        to=MatchStatus.DECLINED,
        changes={"decline_reason": reason, "decline_comment": comment},
    )


@transaction.atomic
def match_withdraw(*, match: Match, by: User, version: int, comment: str) -> Match:
    """Stop a match that was under way, saying why. When it was the last agreed, in
    implementation or completed match of a matched need, the need is open again, so that
    other solutions can be followed."""
    comment = comment.strip()
    if not comment:
        raise ApplicationError(
            "Say why this match is withdrawn.", extra={"fields": {"comment": ["required"]}}
        )
    match = _match_step(
        match=match,
        by=by,
        version=version,
        to=MatchStatus.WITHDRAWN,
        changes={"withdraw_comment": comment},
    )
    need = _lock_need(match.need_id)
    if (
        need.status == Status.MATCHED
        and not Match.objects.engaged().filter(need_id=need.pk).exists()
    ):
        need._history_user = by  # type: ignore[attr-defined]
        _save(need, changes={"status": Status.OPEN})
    match.need = need
    return match


# Suggestions: the ranker's top entries for a need, stored as `suggested` matches.


@dataclass(frozen=True)
class RefreshResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    notes: tuple[str, ...] = ()


def _as_stored_json(item: RankedEntry) -> dict[str, Any]:
    # As the JSON field gives it back (lists, not tuples), so that an unchanged breakdown
    # compares equal to the stored one and is not written again.
    stored: dict[str, Any] = json.loads(json.dumps(item.as_json()))
    return stored


def need_suggestions_refresh(*, need: Need, limit: int | None = None) -> RefreshResult:
    """Rank the catalogue for `need` and store the `limit` best entries as its suggested
    matches: new ones are created, the score and breakdown of those already suggested are
    updated, suggested ones that left the list are deleted. Matches someone acted on (past
    "suggested") are never touched, nor suggested again. Only open and matched needs get
    suggestions; for any other, the suggestions are removed.

    Safe to run twice: a second run with the same catalogue writes nothing. The ranking runs
    before the transaction, which only locks the need's matches for the short write.
    """
    limit = limit or settings.MATCH_SUGGESTIONS_PER_NEED
    items: Sequence[RankedEntry] = ()
    notes: list[str] = []
    if need.status in MATCHABLE:
        followed = Match.objects.followed().filter(need=need).count()
        ranking = rank_entries_for_need(need, limit=limit + followed)
        items, notes = ranking.items, list(ranking.notes)
    return _suggestions_store(need_id=need.pk, items=items, limit=limit, notes=notes)


@transaction.atomic
def _suggestions_store(
    *, need_id: int, items: Sequence[RankedEntry], limit: int, notes: list[str]
) -> RefreshResult:
    # Locks the rows this run reads: a step taken meanwhile waits for the refresh (or the
    # refresh for the step), so a match cannot be shortlisted and deleted at once.
    existing = {
        match.entry_id: match
        for match in Match.objects.select_for_update()
        .filter(need_id=need_id)
        .order_by("pk")
        .only("pk", "entry_id", "status", "score", "breakdown")
    }
    if not Need.objects.filter(pk=need_id, status__in=MATCHABLE).exists():
        items = ()  # closed (or gone) while the ranking ran
    now = timezone.now()
    to_create: list[Match] = []
    to_update: list[Match] = []
    kept: set[int] = set()
    for item in items:
        if len(kept) == limit:
            break
        match = existing.get(item.entry_id)
        if match is not None and match.status != MatchStatus.SUGGESTED:
            continue  # followed by people: theirs, not the ranker's
        kept.add(item.entry_id)
        breakdown = _as_stored_json(item)
        score = min(max(float(item.score), 0.0), 1.0)
        if match is None:
            to_create.append(
                Match(
                    need_id=need_id,
                    entry_id=item.entry_id,
                    score=score,
                    breakdown=breakdown,
                    ranked_at=now,
                )
            )
        elif match.score != score or match.breakdown != breakdown:
            match.score, match.breakdown, match.ranked_at = score, breakdown, now
            to_update.append(match)
    dropped = [
        match.pk
        for entry_id, match in existing.items()
        if match.status == MatchStatus.SUGGESTED and entry_id not in kept
    ]
    # A concurrent refresh of the same need may have created some of these: the unique
    # (need, entry) keeps one, and that run's rows are as good as ours.
    Match.objects.bulk_create(to_create, ignore_conflicts=True)
    Match.objects.bulk_update(to_update, ["score", "breakdown", "ranked_at"])
    deleted = 0
    if dropped:
        # A raw delete: suggestions are the ranker's output, kept out of the history (which
        # records people's steps), as their bulk creation is.
        deleted = Match.objects.filter(pk__in=dropped, status=MatchStatus.SUGGESTED)._raw_delete(  # type: ignore[attr-defined]
            Match.objects.db
        )
    Need.objects.filter(pk=need_id).update(suggestions_refreshed_at=now)
    suggestions_stored.send(sender=Match, need_id=need_id, ranked_at=now)
    return RefreshResult(
        created=len(to_create),
        updated=len(to_update),
        deleted=deleted,
        notes=tuple(str(note) for note in notes),
    )


# Strong matches: one notification a day per person, listing the new ones.

STRONG_DIGEST_LISTED = 20


def _start_of_day(now: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


@transaction.atomic
def matches_notify_strong(*, now: datetime.datetime | None = None) -> int:
    """Tell the officers of each need's office and its creator about its new strong
    suggestions (score at least MATCH_STRONG_THRESHOLD, not told before): one notification per
    person listing them all, then mark the matches told.

    At most one such digest a day: when one already went out today, nothing is sent and the
    matches wait for tomorrow's. Returns the number of notifications sent.
    """
    now = now or timezone.now()
    strong = list(
        Match.objects.select_for_update(of=("self",))
        .filter(
            status=MatchStatus.SUGGESTED,
            strong_notified_at__isnull=True,
            score__gte=settings.MATCH_STRONG_THRESHOLD,
            need__status__in=MATCHABLE,
        )
        .select_related("need", "entry")
        .order_by("need_id", "-score", "pk")
    )
    if not strong:
        return 0
    # Checked after the lock: a run that waited for another one sees that one's notifications.
    if Notification.objects.filter(
        kind=Notification.Kind.STRONG_MATCH, created_at__gte=_start_of_day(now)
    ).exists():
        return 0
    per_user: dict[int, tuple[User, list[Match]]] = {}
    officers: dict[int, list[User]] = {}
    for match in strong:
        need = match.need
        if need.regional_office_id not in officers:
            officers[need.regional_office_id] = list(
                User.objects.filter(regional_office_id=need.regional_office_id, is_active=True)
            )
        people = list(officers[need.regional_office_id])
        if need.created_by_id is not None and need.created_by is not None:
            people.append(need.created_by)
        for user in people:
            per_user.setdefault(user.pk, (user, []))[1].append(match)
    for user, matches in per_user.values():
        needs = {match.need_id for match in matches}
        lines = [
            f"• {match.need.title}: {match.entry.title} ({round(match.score * 100)}%)"
            for match in matches[:STRONG_DIGEST_LISTED]
        ]
        if len(matches) > STRONG_DIGEST_LISTED:
            lines.append(f"… and {len(matches) - STRONG_DIGEST_LISTED} more.")
        notify(
            recipients=[user],
            kind=Notification.Kind.STRONG_MATCH,
            subject=(
                f"{len(matches)} new strong match for your needs"
                if len(matches) == 1
                else f"{len(matches)} new strong matches for your needs"
            ),
            body="\n".join(lines),
            url=_need_url(matches[0].need)
            if len(needs) == 1 or user.regional_office_id is None
            else reverse("matching:my_needs"),
        )
    Match.objects.filter(pk__in=[match.pk for match in strong]).update(strong_notified_at=now)
    return len(per_user)

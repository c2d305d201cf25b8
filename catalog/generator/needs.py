"""Generated needs: what countries ask for, at every step of the matching workflow."""

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from catalog.generator.draws import (
    BLOCK_SIZE,
    UTC,
    block_rng,
    days,
    moment_on,
    share_choice,
    small_count,
)
from catalog.generator.reference import Draws, Reference, draw_sdgs
from catalog.generator.shares import NEED_ORIGIN_SHARES, NEED_STATUS_SHARES
from catalog.generator.text import compose
from catalog.generator.vocabulary import (
    NEED_CLOSED_REASONS,
    NEED_ORIGIN_DOCUMENTS,
    NEED_SENTENCES,
    NEED_TITLES,
)
from matching.models import Need


@dataclass(slots=True)
class GeneratedNeed:
    title: str
    description: str
    language: str
    priority: str
    time_frame: str
    needed_by: datetime.date | None
    regional_office_id: int
    origin: str
    origin_reference: str
    status: str
    submitted_at: datetime.datetime | None
    validated_at: datetime.datetime | None
    opened_at: datetime.datetime | None
    matched_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    closed_reason: str
    external_id: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    countries: list[int] = field(default_factory=list)
    themes: list[int] = field(default_factory=list)
    sdg_goals: list[int] = field(default_factory=list)
    sdg_targets: list[int] = field(default_factory=list)
    support_kinds: list[int] = field(default_factory=list)

    def model_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in NEED_COLUMNS}


NEED_COLUMNS = (
    "title",
    "description",
    "language",
    "priority",
    "time_frame",
    "needed_by",
    "regional_office_id",
    "origin",
    "origin_reference",
    "status",
    "submitted_at",
    "validated_at",
    "opened_at",
    "matched_at",
    "closed_at",
    "closed_reason",
    "external_id",
    "created_at",
    "updated_at",
)
NEED_LINKS = ("countries", "themes", "sdg_goals", "sdg_targets", "support_kinds")

_NEED_STATUSES = share_choice(NEED_STATUS_SHARES)
_NEED_ORIGINS = share_choice(NEED_ORIGIN_SHARES)
_PRIORITIES = share_choice({"high": 0.3, "medium": 0.5, "low": 0.2})
_TIME_FRAMES = share_choice({"short": 0.3, "medium": 0.5, "long": 0.2})
_REACHED: dict[str, int] = {  # the workflow steps a need in each status has passed
    Need.Status.DRAFT: 0,
    Need.Status.SUBMITTED: 1,
    Need.Status.VALIDATED: 2,
    Need.Status.OPEN: 3,
    Need.Status.MATCHED: 4,
    Need.Status.CLOSED: 4,
}


def iter_needs(
    reference: Reference, *, seed: int, count: int, today: datetime.date
) -> Iterator[GeneratedNeed]:
    """Needs 0..count-1 in order; need n is the same whatever `count` is."""
    draws = Draws(reference, today)
    for block in range((count + BLOCK_SIZE - 1) // BLOCK_SIZE):
        rng = block_rng(seed, "needs", block)
        for n in range(block * BLOCK_SIZE, min(count, (block + 1) * BLOCK_SIZE)):
            yield _need(rng, draws, seed=seed, n=n)


def _need(rng: random.Random, draws: Draws, *, seed: int, n: int) -> GeneratedNeed:
    language = draws.languages.one(rng)
    first = draws.need_countries.one(rng)
    # Joint needs come from neighbours served by the same regional office.
    countries = [first]
    for other in draws.by_office[first.office_id].distinct(rng, small_count(rng, 0, 2)):
        if other is not first:
            countries.append(other)
    themes = draws.themes.distinct(rng, small_count(rng, 1, 2))
    goals, targets = draw_sdgs(rng, draws)
    support = draws.support_any.distinct(rng, small_count(rng, 1, 2))
    text = {"language": language, "cluster": themes[0][1], "country": first.names[language]}
    (title,) = compose(rng, kind="", templates=NEED_TITLES[language], sentences=[1], **text)
    (description,) = compose(
        rng,
        kind="",
        templates=NEED_SENTENCES[language],
        sentences=[2 + small_count(rng, 0, 2)],
        **text,
    )

    latest_at = datetime.datetime.combine(draws.latest, datetime.time(23, 59), tzinfo=UTC)
    status = _NEED_STATUSES.one(rng)
    created_at = moment_on(draws.latest - days(2200 * rng.random() ** 1.3), rng)
    steps: list[datetime.datetime | None] = [None, None, None, None, None]
    moment = created_at
    for step, (low, high) in enumerate(((0, 20), (1, 60), (0, 10), (10, 300), (10, 400))):
        if step < _REACHED[status] or (step == 4 and status == Need.Status.CLOSED):
            moment = min(moment + days(low + (high - low) * rng.random()), latest_at)
            steps[step] = moment
    submitted_at, validated_at, opened_at, matched_at, closed_at = steps
    if status == Need.Status.CLOSED:
        matched_at = None  # a closed need kept its step 4 moment as the closing one
    origin = _NEED_ORIGINS.one(rng)
    year = created_at.year - int(3 * rng.random())
    needed_by = created_at.date() + days(180 + 1300 * rng.random()) if rng.random() < 0.6 else None
    return GeneratedNeed(
        title=title,
        description=description,
        language=language,
        priority=_PRIORITIES.one(rng),
        time_frame=_TIME_FRAMES.one(rng),
        needed_by=needed_by,
        regional_office_id=first.office_id or 0,
        origin=origin,
        origin_reference=f"{NEED_ORIGIN_DOCUMENTS[origin]}, {first.names['en']} ({year})",
        status=status,
        submitted_at=submitted_at,
        validated_at=validated_at,
        opened_at=opened_at,
        matched_at=matched_at,
        closed_at=closed_at,
        closed_reason=(
            NEED_CLOSED_REASONS[int(rng.random() * len(NEED_CLOSED_REASONS))]
            if status == Need.Status.CLOSED
            else ""
        ),
        external_id=f"gen-{seed}-need-{n}",
        created_at=created_at,
        updated_at=moment,
        countries=[c.id for c in countries],
        themes=[pk for pk, _ in themes],
        sdg_goals=goals,
        sdg_targets=targets,
        support_kinds=support,
    )

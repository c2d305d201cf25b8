"""Generated catalogue entries, with their providers and links to reference rows."""

import datetime
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from catalog.generator.draws import (
    BLOCK_SIZE,
    UTC,
    Choice,
    block_rng,
    days,
    moment_on,
    share_choice,
    small_count,
    zipf_weights,
)
from catalog.generator.errors import GeneratorError
from catalog.generator.organizations import GeneratedOrganization
from catalog.generator.reference import Draws, Reference, draw_sdgs
from catalog.generator.shares import ENTRY_STATUS_SHARES, SUPPORT_BY_KIND
from catalog.generator.text import compose
from catalog.generator.vocabulary import (
    CONTACT_FIRST_NAMES,
    CONTACT_LAST_NAMES,
    ENTRY_SENTENCES,
    ENTRY_TITLES,
    KIND_LABELS,
)
from catalog.models import Entry, EntryProvider
from catalog.models.entries import KINDS_BY_MODULE, Kind, Module


@dataclass(slots=True)
class GeneratedEntry:
    """One entry's columns (as `Entry` field attnames) and its many-to-many links."""

    module: str
    kind: str
    title: str
    summary: str
    body: str
    language: str
    contact_name: str
    contact_email: str
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    deadline: datetime.date | None
    venue: str
    venue_country_id: int | None
    is_online: bool
    is_verified: bool
    status: str
    submitted_at: datetime.datetime | None
    published_at: datetime.datetime | None
    archived_at: datetime.datetime | None
    external_id: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    last_confirmed_on: datetime.date | None
    countries_of_origin: list[int] = field(default_factory=list)
    countries_applied: list[int] = field(default_factory=list)
    themes: list[int] = field(default_factory=list)
    sdg_goals: list[int] = field(default_factory=list)
    sdg_targets: list[int] = field(default_factory=list)
    support_kinds: list[int] = field(default_factory=list)
    providers: list[tuple[int, str]] = field(default_factory=list)  # (organization index, role)
    member_organizations: list[int] = field(default_factory=list)  # organization indexes

    def model_fields(self) -> dict[str, Any]:
        """Keyword arguments for `Entry(...)`: the columns, without the links."""
        return {name: getattr(self, name) for name in ENTRY_COLUMNS}


ENTRY_COLUMNS = (
    "module",
    "kind",
    "title",
    "summary",
    "body",
    "language",
    "contact_name",
    "contact_email",
    "starts_on",
    "ends_on",
    "deadline",
    "venue",
    "venue_country_id",
    "is_online",
    "is_verified",
    "status",
    "submitted_at",
    "published_at",
    "archived_at",
    "external_id",
    "created_at",
    "updated_at",
    "last_confirmed_on",
)
# Links to reference rows, stored as ids; `member_organizations` and `providers` hold
# organization indexes instead.
ENTRY_REFERENCE_LINKS = (
    "countries_of_origin",
    "countries_applied",
    "themes",
    "sdg_goals",
    "sdg_targets",
    "support_kinds",
)


class _OrganizationDraws:
    def __init__(self, organizations: Sequence[GeneratedOrganization]) -> None:
        self.organizations = organizations
        south = [i for i, o in enumerate(organizations) if o.is_southern]
        north = [i for i, o in enumerate(organizations) if not o.is_southern]
        if not south or not north:
            raise GeneratorError("Entries need both Southern and Northern organizations.")
        # A few prolific providers and a long tail, as in any partner database.
        self.south = Choice(south, zipf_weights(len(south), exponent=0.8))
        self.north = Choice(north, zipf_weights(len(north), exponent=0.8))
        self.any = Choice(range(len(organizations)), [1.0] * len(organizations))


def iter_entries(
    reference: Reference,
    organizations: Sequence[GeneratedOrganization],
    *,
    seed: int,
    count: int,
    today: datetime.date,
) -> Iterator[GeneratedEntry]:
    """Entries 0..count-1 in order; entry n is the same whatever `count` is."""
    draws = Draws(reference, today)
    orgs = _OrganizationDraws(organizations)
    for block in range((count + BLOCK_SIZE - 1) // BLOCK_SIZE):
        rng = block_rng(seed, "entries", block)
        for n in range(block * BLOCK_SIZE, min(count, (block + 1) * BLOCK_SIZE)):
            yield _entry(rng, draws, orgs, seed=seed, n=n)


_ENTRY_STATUSES = share_choice(ENTRY_STATUS_SHARES)
_KINDS = {str(module): tuple(str(k) for k in kinds) for module, kinds in KINDS_BY_MODULE.items()}
# Kinds with a start date: all events and the opportunities that run over a period.
_DATED_KINDS = (Kind.TRAINING, Kind.FELLOWSHIP, Kind.STAFF_EXCHANGE)
_DURATION_DAYS = {Kind.FELLOWSHIP: 180, Kind.STAFF_EXCHANGE: 60, Kind.TRAINING: 10, Kind.WEBINAR: 0}


_LEAD, _PARTNER, _FUNDER = (str.__str__(role) for role in EntryProvider.Role)


def _providers(rng: random.Random, orgs: _OrganizationDraws) -> list[tuple[int, str]]:
    """Mostly a Southern lead; a sixth triangular with a Northern partner or funder."""
    providers: list[tuple[int, str]] = []

    def add(index: int, role: str) -> None:
        if all(index != other for other, _ in providers):
            providers.append((index, role))

    roll = rng.random()
    if roll < 0.05:
        return providers  # provider not stated
    if roll < 0.10:
        add(orgs.north.one(rng), _LEAD)
        return providers
    add(orgs.south.one(rng), _LEAD)
    if rng.random() < 0.25:
        add(orgs.south.one(rng), _PARTNER)
    if roll > 0.83:
        role = _FUNDER if rng.random() < 0.5 else _PARTNER
        add(orgs.north.one(rng), role)
    return providers


def _entry(
    rng: random.Random, draws: Draws, orgs: _OrganizationDraws, *, seed: int, n: int
) -> GeneratedEntry:
    module = draws.modules.one(rng)
    kinds = _KINDS[module]
    kind = kinds[int(rng.random() * len(kinds))]
    language = draws.languages.one(rng)

    providers = _providers(rng, orgs)
    lead = orgs.organizations[providers[0][0]] if providers else None
    origin = [lead.country_id] if lead else [draws.southern.one(rng).id]
    if rng.random() < 0.15:
        other = draws.southern.one(rng).id
        if other not in origin:
            origin.append(other)
    applied = draws.southern.distinct(rng, small_count(rng, 1, 4))

    themes = draws.themes.distinct(rng, small_count(rng, 1, 2))
    goals, targets = draw_sdgs(rng, draws)
    support = [draws.support_kinds[SUPPORT_BY_KIND[Kind(kind)]]]
    if rng.random() < 0.3:
        extra = draws.support_any.one(rng)
        if extra not in support:
            support.append(extra)

    label = KIND_LABELS[kind][language]
    text = {"language": language, "cluster": themes[0][1], "country": applied[0].names[language]}
    (title,) = compose(rng, kind=label, templates=ENTRY_TITLES[language], sentences=[1], **text)
    summary, body = compose(
        rng,
        kind=label if language == "zh" else label.lower(),
        templates=ENTRY_SENTENCES[language],
        sentences=[2, 2 + small_count(rng, 1, 4)],
        **text,
    )

    status = _ENTRY_STATUSES.one(rng)
    dates = _entry_dates(rng, draws, module=module, kind=kind, status=status)

    is_online = module == Module.EVENT and (kind == Kind.WEBINAR or rng.random() < 0.15)
    venue, venue_country_id = "", None
    if module == Module.EVENT and not is_online:
        if lead and lead.is_southern:
            venue, venue_country_id = lead.name, lead.country_id
        else:
            venue_country_id = draws.southern.one(rng).id
    members = orgs.any.distinct(rng, 3 + int(rng.random() * 13)) if module == Module.NETWORK else []

    first = CONTACT_FIRST_NAMES[int(rng.random() * len(CONTACT_FIRST_NAMES))]
    last = CONTACT_LAST_NAMES[int(rng.random() * len(CONTACT_LAST_NAMES))]
    has_contact = rng.random() < 0.7
    return GeneratedEntry(
        module=module,
        kind=kind,
        title=title,
        summary=summary,
        body=body,
        language=language,
        contact_name=f"{first} {last}" if has_contact else "",
        contact_email=f"{first}.{last}@example.org".lower() if has_contact else "",
        venue=venue,
        venue_country_id=venue_country_id,
        is_online=is_online,
        is_verified=rng.random() < 0.3,
        status=status,
        external_id=f"gen-{seed}-{n}",
        countries_of_origin=origin,
        countries_applied=[c.id for c in applied],
        themes=[pk for pk, _ in themes],
        sdg_goals=goals,
        sdg_targets=targets,
        support_kinds=support,
        providers=providers,
        member_organizations=members,
        **dates,
    )


def _entry_dates(
    rng: random.Random, draws: Draws, *, module: str, kind: str, status: str
) -> dict[str, Any]:
    """Timestamps and dates that satisfy `Entry.clean()` and the `entry_ends_after_start` check.

    Nothing lies after yesterday (UTC) except the start, end and deadline of upcoming events
    and opportunities; a deadline lies between publication and the start.
    """
    latest = draws.latest
    latest_at = datetime.datetime.combine(latest, datetime.time(23, 59), tzinfo=UTC)
    starts_on = ends_on = deadline = None
    if module == Module.EVENT or (module == Module.OPPORTUNITY and kind in _DATED_KINDS):
        # Three years of past events and a year of upcoming ones.
        starts_on = draws.today + days(-1100 + 1460 * rng.random())
        duration = _DURATION_DAYS.get(Kind(kind), 4)
        ends_on = starts_on + days(duration * rng.random()) if duration else None
        published_on = min(starts_on - days(20 + 200 * rng.random()), latest)
        if module == Module.OPPORTUNITY or rng.random() < 0.3:
            deadline = published_on + days((starts_on - published_on).days * rng.random())
    else:
        # Ten years of catalogue, more of it recent.
        published_on = latest - days(3650 * rng.random() ** 1.4)
        if kind == Kind.FUNDING_CALL:
            deadline = published_on + days(14 + 100 * rng.random())

    published = moment_on(published_on, rng)
    created_at = published - days(60 * rng.random()) - datetime.timedelta(hours=2)
    submitted = created_at + datetime.timedelta(minutes=int(5 + 100 * rng.random()))
    archived_at = None
    last_confirmed_on = None
    public = status in (Entry.Status.PUBLISHED, Entry.Status.ARCHIVED)
    if public and rng.random() > 0.08:
        # Confirmations lag: some rows were last confirmed years ago, as the stale report expects.
        span = (latest - published_on).days
        last_confirmed_on = published_on + days(span * rng.random() ** 0.7)
    if status == Entry.Status.ARCHIVED:
        archived_at = max(min(published + days(30 + 1000 * rng.random()), latest_at), published)
    published_at = published if public else None
    submitted_at = None if status == Entry.Status.DRAFT else submitted
    moments = [m for m in (created_at, submitted_at, published_at, archived_at) if m]
    if last_confirmed_on:
        moments.append(moment_on(last_confirmed_on, rng))
    return {
        "starts_on": starts_on,
        "ends_on": ends_on,
        "deadline": deadline,
        "submitted_at": submitted_at,
        "published_at": published_at,
        "archived_at": archived_at,
        "created_at": created_at,
        "updated_at": max(moments),
        "last_confirmed_on": last_confirmed_on,
    }

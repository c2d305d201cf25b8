"""Synthetic catalogue data at scale, for load tests and search benchmarks.

Two halves. The pure half (`reference_load` aside, no database) turns a seed into rows:
`generate_organizations`, `iter_entries` and `iter_needs` return plain dataclasses whose fields
are the model columns, with reference data as database ids and organizations as indexes into the
generated list. The writer, `catalogue_generate`, stores them: with COPY on PostgreSQL, with
`bulk_create` elsewhere.

The same seed gives the same rows, whatever --batch-size: every block of `BLOCK_SIZE` rows draws
from its own random stream named by the seed, the kind of row and the block number. Dates are
laid out relative to `today`, so rows also depend on the day they are generated.

Generated rows are told apart by their source, the `PartnerSource` named
"Synthetic data (seed S)", and by their external ids: "gen-S-n" (entries), "gen-S-org-n"
(organizations) and "gen-S-need-n" (needs).
"""

import bisect
import datetime
import io
import itertools
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone, translation

from catalog.generator_vocabulary import (
    CONCEPTS,
    CONTACT_FIRST_NAMES,
    CONTACT_LAST_NAMES,
    ENTRY_SENTENCES,
    ENTRY_TITLES,
    KIND_LABELS,
    LANGUAGES,
    NEED_CLOSED_REASONS,
    NEED_ORIGIN_DOCUMENTS,
    NEED_SENTENCES,
    NEED_TITLES,
    ORGANIZATION_FIELDS,
    ORGANIZATION_NAMES,
)
from catalog.models import (
    Country,
    Entry,
    EntryProvider,
    Organization,
    RegionalOffice,
    SdgGoal,
    SdgTarget,
    SupportKind,
    Theme,
)
from catalog.models.entries import KINDS_BY_MODULE, Kind, Module
from exchange.errors import ApplicationError
from matching.models import Need
from partners.models import PartnerSource

BLOCK_SIZE = 1000
UTC = datetime.UTC

# Shares of a catalogue like the one the programme publishes: many technologies and experiences,
# few networks.
MODULE_SHARES: dict[str, float] = {
    Module.TECHNOLOGY: 0.30,
    Module.EXPERTISE: 0.12,
    Module.EXPERIENCE: 0.25,
    Module.OPPORTUNITY: 0.13,
    Module.NETWORK: 0.05,
    Module.EVENT: 0.15,
}
LANGUAGE_SHARES: dict[str, float] = {
    "en": 0.60,
    "fr": 0.13,
    "es": 0.13,
    "zh": 0.05,
    "ar": 0.05,
    "ru": 0.04,
}
ENTRY_STATUS_SHARES: dict[str, float] = {
    Entry.Status.PUBLISHED: 0.86,
    Entry.Status.SUBMITTED: 0.04,
    Entry.Status.DRAFT: 0.05,
    Entry.Status.ARCHIVED: 0.05,
}
NEED_STATUS_SHARES: dict[str, float] = {
    Need.Status.DRAFT: 0.08,
    Need.Status.SUBMITTED: 0.10,
    Need.Status.VALIDATED: 0.10,
    Need.Status.OPEN: 0.45,
    Need.Status.MATCHED: 0.17,
    Need.Status.CLOSED: 0.10,
}
NEED_ORIGIN_SHARES: dict[str, float] = {
    Need.Origin.TNA: 0.25,
    Need.Origin.NDC: 0.20,
    Need.Origin.NAP: 0.15,
    Need.Origin.NATIONAL_COMMUNICATION: 0.05,
    Need.Origin.NBSAP: 0.10,
    Need.Origin.REGIONAL_CONSULTATION: 0.10,
    Need.Origin.GOVERNMENT_REQUEST: 0.10,
    Need.Origin.OTHER: 0.05,
}
ORGANIZATION_TYPE_SHARES: dict[str, float] = {
    Organization.Type.GOVERNMENT: 0.20,
    Organization.Type.UN_ENTITY: 0.03,
    Organization.Type.INTERGOVERNMENTAL: 0.05,
    Organization.Type.CENTRE_OF_EXCELLENCE: 0.15,
    Organization.Type.UNIVERSITY_RESEARCH: 0.20,
    Organization.Type.NGO: 0.20,
    Organization.Type.PRIVATE_SECTOR: 0.12,
    Organization.Type.NETWORK_SECRETARIAT: 0.05,
}
# Environment-related goals dominate a UNEP catalogue.
SDG_GOAL_WEIGHTS = {
    1: 2, 2: 4, 3: 2, 4: 2, 5: 2, 6: 6, 7: 6, 8: 2, 9: 3,
    10: 1, 11: 4, 12: 5, 13: 10, 14: 4, 15: 6, 16: 1, 17: 4,
}  # fmt: skip
SUPPORT_BY_KIND = {
    Kind.TECHNOLOGY: "technology-transfer",
    Kind.TOOL: "technology-transfer",
    Kind.GUIDELINE: "expertise-advisory",
    Kind.INSTITUTIONAL_EXPERTISE: "expertise-advisory",
    Kind.EXPERT_ROSTER: "expertise-advisory",
    Kind.BEST_PRACTICE: "experience-exchange",
    Kind.CASE_STUDY: "experience-exchange",
    Kind.LESSONS_LEARNED: "experience-exchange",
    Kind.TRAINING: "training",
    Kind.FELLOWSHIP: "training",
    Kind.STAFF_EXCHANGE: "experience-exchange",
    Kind.ADVISORY_SERVICE: "expertise-advisory",
    Kind.FUNDING_CALL: "funding",
    Kind.NETWORK: "networking",
    Kind.WORKSHOP: "training",
    Kind.CONFERENCE: "networking",
    Kind.WEBINAR: "training",
}
# Theme codes are the reference loader's; a theme whose code names none of these reads as
# governance and capacity.
THEME_CLUSTERS = (("climate", "C"), ("nature", "N"), ("chemical", "P"), ("pollution", "P"))
CLUSTER_WEIGHTS = {"C": 0.40, "N": 0.30, "P": 0.15, "G": 0.15}
# Share of an entry's terms drawn from its theme's cluster rather than the whole vocabulary.
TOPICAL_SHARE = 0.35


class GeneratorError(ApplicationError):
    """The generator cannot run: reference data missing or the seed already loaded."""


def source_name(seed: int) -> str:
    return f"Synthetic data (seed {seed})"


# --- Reference data ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class CountryRef:
    id: int
    iso3: str
    names: dict[str, str]
    is_southern: bool
    office_id: int | None
    is_g77: bool = False
    is_ldc: bool = False
    is_sids: bool = False


@dataclass(frozen=True)
class Reference:
    """The reference rows the generator draws from, in a stable order (natural keys)."""

    countries: tuple[CountryRef, ...]
    themes: tuple[tuple[int, str], ...]  # (id, code)
    goals: tuple[tuple[int, int], ...]  # (id, number)
    targets: tuple[tuple[int, int], ...]  # (id, goal number)
    support_kinds: dict[str, int]  # code -> id
    office_ids: tuple[int, ...]


def reference_load() -> Reference:
    countries = tuple(
        CountryRef(
            id=c.pk,
            iso3=c.iso3,
            names={lang: getattr(c, f"name_{lang}") or c.name_en for lang in LANGUAGES},
            is_southern=c.is_southern,
            office_id=c.regional_office_id,
            is_g77=c.is_g77,
            is_ldc=c.is_ldc,
            is_sids=c.is_sids,
        )
        for c in Country.objects.order_by("iso3")
    )
    reference = Reference(
        countries=countries,
        themes=tuple(Theme.objects.order_by("position", "code").values_list("pk", "code")),
        goals=tuple(SdgGoal.objects.order_by("number").values_list("pk", "number")),
        targets=tuple(
            SdgTarget.objects.order_by("goal__number", "position", "code").values_list(
                "pk", "goal__number"
            )
        ),
        support_kinds=dict(SupportKind.objects.values_list("code", "pk")),
        office_ids=tuple(RegionalOffice.objects.order_by("code").values_list("pk", flat=True)),
    )
    missing = [
        name
        for name, present in (
            ("Southern countries with a regional office", _need_countries(reference)),
            ("Northern countries", [c for c in countries if not c.is_southern]),
            ("Southern countries", [c for c in countries if c.is_southern]),
            ("themes", reference.themes),
            ("SDG goals", reference.goals),
            ("SDG targets", reference.targets),
            ("support kinds", reference.support_kinds),
        )
        if not present
    ]
    if missing:
        raise GeneratorError(
            f"Reference data is missing ({', '.join(missing)}): run `manage.py load_reference`."
        )
    return reference


def _need_countries(reference: Reference) -> list[CountryRef]:
    return [c for c in reference.countries if c.is_southern and c.office_id]


# Countries whose institutions most often offer South-South solutions, and the donors most often
# in triangular cooperation; other countries still appear, less often.
MAJOR_SOUTHERN_PROVIDERS = (
    "ARG", "BRA", "CHL", "CHN", "COL", "CUB", "EGY", "GHA", "IDN", "IND", "KEN", "MAR", "MEX",
    "MYS", "NGA", "THA", "TUR", "VNM", "ZAF",
)  # fmt: skip
NORTHERN_PARTNERS = {
    "DEU": 10, "JPN": 10, "USA": 6, "GBR": 6, "FRA": 6, "NOR": 5, "SWE": 5, "NLD": 4, "CHE": 4,
    "DNK": 3, "FIN": 3, "ITA": 3, "ESP": 3, "CAN": 3, "AUS": 2, "BEL": 2, "AUT": 2, "IRL": 1,
    "NZL": 1, "LUX": 1,
}  # fmt: skip


def _provider_weight(country: CountryRef) -> float:
    """How often an organization is based in this country."""
    if not country.is_southern:
        return NORTHERN_PARTNERS.get(country.iso3, 0.02)
    if country.iso3 in MAJOR_SOUTHERN_PROVIDERS:
        return 8.0
    return 1.0 if country.is_g77 else 0.2  # territories and dependencies: rarely


def _recipient_weight(country: CountryRef) -> float:
    """How often a country applies a solution or states a need."""
    weight = 1.0 if country.is_g77 else 0.2
    if country.is_ldc:
        weight *= 2.0
    if country.is_sids:
        weight *= 1.3
    return weight


def _country_choice(
    countries: Sequence[CountryRef], weight: Callable[[CountryRef], float]
) -> "_Choice[CountryRef]":
    return _Choice(countries, [weight(c) for c in countries])


# --- Drawing helpers -----------------------------------------------------------------------------


def _rng(seed: int, stream: str, block: int) -> random.Random:
    # Synthetic content, not secrets: a seeded Mersenne Twister is what we want.
    return random.Random(f"{seed}:{stream}:{block}")  # noqa: S311


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _zipf_weights(n: int, *, exponent: float = 1.0, shift: float = 2.7) -> list[float]:
    """Zipf-Mandelbrot weights by rank: the shift keeps the top terms from swamping the text."""
    return [1.0 / (rank + shift) ** exponent for rank in range(1, n + 1)]


class _Choice[T]:
    """Weighted draws from a fixed list; precomputed so that each draw is one bisect."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = _cumulative(weights)
        self.total = self.cum[-1]

    def one(self, rng: random.Random) -> T:
        return self.items[bisect.bisect(self.cum, rng.random() * self.total)]

    def many(self, rng: random.Random, k: int) -> list[T]:
        return rng.choices(self.items, cum_weights=self.cum, k=k)

    def distinct(self, rng: random.Random, k: int) -> list[T]:
        """Up to k different items; a few redraws, then settle for fewer."""
        seen: list[T] = []
        for _ in range(k * 3):
            item = self.one(rng)
            if item not in seen:
                seen.append(item)
                if len(seen) == k:
                    break
        return seen


def _shares(shares: dict[str, float]) -> _Choice[str]:
    # Plain strings, not the TextChoices members: they are faster to format and compare.
    return _Choice([str.__str__(key) for key in shares], list(shares.values()))


def _count(rng: random.Random, low: int, high: int) -> int:
    """A small count skewed towards `low`: one country, sometimes two, rarely three."""
    return low + int((high - low + 1) * rng.random() ** 2)


class _Vocabulary:
    """Per language, one Zipf draw over all concepts and one leaning towards each cluster."""

    def __init__(self) -> None:
        general = _zipf_weights(len(CONCEPTS))
        total = sum(general)
        self.by_cluster: dict[str, dict[str, _Choice[str]]] = {}
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
                lang: _Choice([words[lang] for _, words in CONCEPTS], mixed) for lang in LANGUAGES
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


def _compose(
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


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    """A working-hours moment of `day`, in UTC."""
    return datetime.datetime.combine(
        day, datetime.time(7 + int(rng.random() * 11), int(rng.random() * 60)), tzinfo=UTC
    )


def _days(n: float) -> datetime.timedelta:
    return datetime.timedelta(days=int(n))


# --- Organizations -------------------------------------------------------------------------------


@dataclass(slots=True)
class GeneratedOrganization:
    name: str
    acronym: str
    type: str
    country_id: int
    is_southern: bool
    website: str
    description: str
    contact_email: str
    external_id: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


def organization_count(entries: int) -> int:
    """One organization for every 20 entries, and enough for a small catalogue to mix."""
    return max(20, entries // 20)


def generate_organizations(
    reference: Reference, *, seed: int, count: int, today: datetime.date
) -> list[GeneratedOrganization]:
    """Organizations in real countries, four in five Southern."""
    southern = [c for c in reference.countries if c.is_southern]
    northern = [c for c in reference.countries if not c.is_southern]
    south_choice = _country_choice(southern, _provider_weight)
    north_choice = _country_choice(northern, _provider_weight)
    types = _shares(ORGANIZATION_TYPE_SHARES)
    with translation.override("en"):
        # English whatever the active language, so that a seed always gives the same rows.
        type_names = {str.__str__(t): str(t.label) for t in Organization.Type}
    latest = today - datetime.timedelta(days=1)
    organizations = []
    rng = _rng(seed, "organizations", 0)
    for n in range(count):
        if n % BLOCK_SIZE == 0:
            rng = _rng(seed, "organizations", n // BLOCK_SIZE)
        # Every 5th is Northern so that even a tiny run has both kinds.
        country = north_choice.one(rng) if n % 5 == 4 else south_choice.one(rng)
        org_type = types.one(rng)
        org_field = ORGANIZATION_FIELDS[int(rng.random() * len(ORGANIZATION_FIELDS))]
        patterns = ORGANIZATION_NAMES[org_type]
        name = patterns[int(rng.random() * len(patterns))].format(
            field=org_field, country=country.names["en"]
        )
        acronym = "".join(w[0] for w in name.replace(",", "").split() if w[0].isupper())[:12]
        domain = f"{re.sub('[^a-z]', '', acronym.lower()) or 'org'}-{n}.example.org"
        created = _at(latest - _days(3650 * rng.random() ** 1.5), rng)
        organizations.append(
            GeneratedOrganization(
                name=name,
                acronym=acronym if len(acronym) > 1 else "",
                type=org_type,
                country_id=country.id,
                is_southern=country.is_southern,
                website=f"https://www.{domain}/" if rng.random() < 0.7 else "",
                description=(
                    f"{type_names[org_type]} in {country.names['en']} working on "
                    f"{org_field.lower()} and South-South cooperation."
                ),
                contact_email=f"info@{domain}" if rng.random() < 0.6 else "",
                external_id=f"gen-{seed}-org-{n}",
                created_at=created,
                updated_at=created,
            )
        )
    return organizations


# --- Entries -------------------------------------------------------------------------------------


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


class _Draws:
    """The weighted choices over reference data, built once per run."""

    def __init__(self, reference: Reference, today: datetime.date) -> None:
        self.today = today
        self.latest = today - datetime.timedelta(days=1)
        southern = [c for c in reference.countries if c.is_southern]
        self.southern = _country_choice(southern, _recipient_weight)
        need_countries = _need_countries(reference)
        self.need_countries = _country_choice(need_countries, _recipient_weight)
        self.by_office: dict[int | None, _Choice[CountryRef]] = {}
        for office_id in {c.office_id for c in need_countries}:
            members = [c for c in need_countries if c.office_id == office_id]
            self.by_office[office_id] = _country_choice(members, _recipient_weight)
        self.modules = _shares(MODULE_SHARES)
        self.languages = _shares(LANGUAGE_SHARES)
        theme_clusters = [_theme_cluster(code) for _, code in reference.themes]
        self.themes = _Choice(
            [
                (pk, cluster)
                for (pk, _), cluster in zip(reference.themes, theme_clusters, strict=True)
            ],
            [CLUSTER_WEIGHTS[c] / theme_clusters.count(c) for c in theme_clusters],
        )
        self.goals = _Choice(
            list(reference.goals), [SDG_GOAL_WEIGHTS.get(n, 1) for _, n in reference.goals]
        )
        self.targets_by_goal: dict[int, list[int]] = {}
        for pk, number in reference.targets:
            self.targets_by_goal.setdefault(number, []).append(pk)
        self.support_kinds = reference.support_kinds
        support_ids = list(reference.support_kinds.values())
        self.support_any = _Choice(support_ids, [1.0] * len(support_ids))


class _OrganizationDraws:
    def __init__(self, organizations: Sequence[GeneratedOrganization]) -> None:
        self.organizations = organizations
        south = [i for i, o in enumerate(organizations) if o.is_southern]
        north = [i for i, o in enumerate(organizations) if not o.is_southern]
        if not south or not north:
            raise GeneratorError("Entries need both Southern and Northern organizations.")
        # A few prolific providers and a long tail, as in any partner database.
        self.south = _Choice(south, _zipf_weights(len(south), exponent=0.8))
        self.north = _Choice(north, _zipf_weights(len(north), exponent=0.8))
        self.any = _Choice(range(len(organizations)), [1.0] * len(organizations))


def _theme_cluster(code: str) -> str:
    for keyword, cluster in THEME_CLUSTERS:
        if keyword in code:
            return cluster
    return "G"


def _sdgs(rng: random.Random, draws: _Draws) -> tuple[list[int], list[int]]:
    """One to three goals, and up to two of each goal's targets."""
    goals = draws.goals.distinct(rng, _count(rng, 1, 3))
    targets: list[int] = []
    for _, number in goals:
        options = draws.targets_by_goal.get(number, [])
        for _ in range(_count(rng, 0, 2)):
            target = options[int(rng.random() * len(options))] if options else None
            if target is not None and target not in targets:
                targets.append(target)
    return [pk for pk, _ in goals], targets


def iter_entries(
    reference: Reference,
    organizations: Sequence[GeneratedOrganization],
    *,
    seed: int,
    count: int,
    today: datetime.date,
) -> Iterator[GeneratedEntry]:
    """Entries 0..count-1 in order; entry n is the same whatever `count` is."""
    draws = _Draws(reference, today)
    orgs = _OrganizationDraws(organizations)
    for block in range((count + BLOCK_SIZE - 1) // BLOCK_SIZE):
        rng = _rng(seed, "entries", block)
        for n in range(block * BLOCK_SIZE, min(count, (block + 1) * BLOCK_SIZE)):
            yield _entry(rng, draws, orgs, seed=seed, n=n)


_ENTRY_STATUSES = _shares(ENTRY_STATUS_SHARES)
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
    rng: random.Random, draws: _Draws, orgs: _OrganizationDraws, *, seed: int, n: int
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
    applied = draws.southern.distinct(rng, _count(rng, 1, 4))

    themes = draws.themes.distinct(rng, _count(rng, 1, 2))
    goals, targets = _sdgs(rng, draws)
    support = [draws.support_kinds[SUPPORT_BY_KIND[Kind(kind)]]]
    if rng.random() < 0.3:
        extra = draws.support_any.one(rng)
        if extra not in support:
            support.append(extra)

    label = KIND_LABELS[kind][language]
    text = {"language": language, "cluster": themes[0][1], "country": applied[0].names[language]}
    (title,) = _compose(rng, kind=label, templates=ENTRY_TITLES[language], sentences=[1], **text)
    summary, body = _compose(
        rng,
        kind=label if language == "zh" else label.lower(),
        templates=ENTRY_SENTENCES[language],
        sentences=[2, 2 + _count(rng, 1, 4)],
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
    rng: random.Random, draws: _Draws, *, module: str, kind: str, status: str
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
        starts_on = draws.today + _days(-1100 + 1460 * rng.random())
        duration = _DURATION_DAYS.get(Kind(kind), 4)
        ends_on = starts_on + _days(duration * rng.random()) if duration else None
        published_on = min(starts_on - _days(20 + 200 * rng.random()), latest)
        if module == Module.OPPORTUNITY or rng.random() < 0.3:
            deadline = published_on + _days((starts_on - published_on).days * rng.random())
    else:
        # Ten years of catalogue, more of it recent.
        published_on = latest - _days(3650 * rng.random() ** 1.4)
        if kind == Kind.FUNDING_CALL:
            deadline = published_on + _days(14 + 100 * rng.random())

    published = _at(published_on, rng)
    created_at = published - _days(60 * rng.random()) - datetime.timedelta(hours=2)
    submitted = created_at + datetime.timedelta(minutes=int(5 + 100 * rng.random()))
    archived_at = None
    last_confirmed_on = None
    public = status in (Entry.Status.PUBLISHED, Entry.Status.ARCHIVED)
    if public and rng.random() > 0.08:
        # Confirmations lag: some rows were last confirmed years ago, as the stale report expects.
        span = (latest - published_on).days
        last_confirmed_on = published_on + _days(span * rng.random() ** 0.7)
    if status == Entry.Status.ARCHIVED:
        archived_at = max(min(published + _days(30 + 1000 * rng.random()), latest_at), published)
    published_at = published if public else None
    submitted_at = None if status == Entry.Status.DRAFT else submitted
    moments = [m for m in (created_at, submitted_at, published_at, archived_at) if m]
    if last_confirmed_on:
        moments.append(_at(last_confirmed_on, rng))
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


# --- Needs ---------------------------------------------------------------------------------------


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

_NEED_STATUSES = _shares(NEED_STATUS_SHARES)
_NEED_ORIGINS = _shares(NEED_ORIGIN_SHARES)
_PRIORITIES = _shares({"high": 0.3, "medium": 0.5, "low": 0.2})
_TIME_FRAMES = _shares({"short": 0.3, "medium": 0.5, "long": 0.2})
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
    draws = _Draws(reference, today)
    for block in range((count + BLOCK_SIZE - 1) // BLOCK_SIZE):
        rng = _rng(seed, "needs", block)
        for n in range(block * BLOCK_SIZE, min(count, (block + 1) * BLOCK_SIZE)):
            yield _need(rng, draws, seed=seed, n=n)


def _need(rng: random.Random, draws: _Draws, *, seed: int, n: int) -> GeneratedNeed:
    language = draws.languages.one(rng)
    first = draws.need_countries.one(rng)
    # Joint needs come from neighbours served by the same regional office.
    countries = [first]
    for other in draws.by_office[first.office_id].distinct(rng, _count(rng, 0, 2)):
        if other is not first:
            countries.append(other)
    themes = draws.themes.distinct(rng, _count(rng, 1, 2))
    goals, targets = _sdgs(rng, draws)
    support = draws.support_any.distinct(rng, _count(rng, 1, 2))
    text = {"language": language, "cluster": themes[0][1], "country": first.names[language]}
    (title,) = _compose(rng, kind="", templates=NEED_TITLES[language], sentences=[1], **text)
    (description,) = _compose(
        rng, kind="", templates=NEED_SENTENCES[language], sentences=[2 + _count(rng, 0, 2)], **text
    )

    latest_at = datetime.datetime.combine(draws.latest, datetime.time(23, 59), tzinfo=UTC)
    status = _NEED_STATUSES.one(rng)
    created_at = _at(draws.latest - _days(2200 * rng.random() ** 1.3), rng)
    steps: list[datetime.datetime | None] = [None, None, None, None, None]
    moment = created_at
    for step, (low, high) in enumerate(((0, 20), (1, 60), (0, 10), (10, 300), (10, 400))):
        if step < _REACHED[status] or (step == 4 and status == Need.Status.CLOSED):
            moment = min(moment + _days(low + (high - low) * rng.random()), latest_at)
            steps[step] = moment
    submitted_at, validated_at, opened_at, matched_at, closed_at = steps
    if status == Need.Status.CLOSED:
        matched_at = None  # a closed need kept its step 4 moment as the closing one
    origin = _NEED_ORIGINS.one(rng)
    year = created_at.year - int(3 * rng.random())
    needed_by = created_at.date() + _days(180 + 1300 * rng.random()) if rng.random() < 0.6 else None
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


# --- Writing -------------------------------------------------------------------------------------


@dataclass
class GenerationReport:
    seed: int
    method: str  # "copy" or "bulk_create"
    rows: dict[str, int]  # table name -> rows inserted
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


ORGANIZATION_COLUMNS = (
    "name",
    "acronym",
    "type",
    "country_id",
    "website",
    "description",
    "contact_email",
    "external_id",
    "created_at",
    "updated_at",
)

Progress = Callable[[str], None]


def catalogue_generate(
    *,
    entries: int,
    needs: int,
    seed: int,
    batch_size: int = 20_000,
    today: datetime.date | None = None,
    use_copy: bool | None = None,
    progress: Progress | None = None,
) -> GenerationReport:
    """Generate and store organizations, entries and needs for `seed`, in one transaction.

    `use_copy` defaults to COPY on PostgreSQL and `bulk_create` elsewhere. Refuses a seed that
    is already loaded: its rows would otherwise be stored twice. The time reported includes the
    commit, where PostgreSQL checks deferred constraints.
    """
    started = time.perf_counter()
    with transaction.atomic():
        method, rows = _generate(
            entries=entries,
            needs=needs,
            seed=seed,
            batch_size=batch_size,
            today=today,
            use_copy=use_copy,
            progress=progress,
        )
    return GenerationReport(
        seed=seed, method=method, rows=rows, seconds=time.perf_counter() - started
    )


def _generate(
    *,
    entries: int,
    needs: int,
    seed: int,
    batch_size: int,
    today: datetime.date | None,
    use_copy: bool | None,
    progress: Progress | None,
) -> tuple[str, dict[str, int]]:
    started = time.perf_counter()
    say = progress or (lambda message: None)
    if PartnerSource.objects.filter(name=source_name(seed)).exists():
        raise GeneratorError(
            f"Synthetic data for seed {seed} is already loaded (partner source "
            f"“{source_name(seed)}”). Use another --seed, or delete that source's rows first."
        )
    reference = reference_load()
    today = today or timezone.localdate()
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    source = PartnerSource.objects.create(
        name=source_name(seed), connector=PartnerSource.Connector.DEMO, enabled=False
    )
    writer: _Writer = (
        _CopyWriter(source.pk, batch_size, say)
        if use_copy
        else _OrmWriter(source.pk, batch_size, say)
    )
    organizations = generate_organizations(
        reference, seed=seed, count=organization_count(entries), today=today
    )
    writer.organizations(organizations)
    say(f"organizations: {len(organizations):,} ({time.perf_counter() - started:.1f} s)")
    writer.entries(
        iter_entries(reference, organizations, seed=seed, count=entries, today=today), entries
    )
    writer.needs(iter_needs(reference, seed=seed, count=needs, today=today), needs)
    writer.finish()
    return ("copy" if use_copy else "bulk_create"), dict(writer.rows)


def _links(model: type[models.Model], name: str) -> tuple[type[models.Model], str, str]:
    """The through model of a many-to-many field and its two id columns."""
    m2m = model._meta.get_field(name)
    assert isinstance(m2m, models.ManyToManyField)
    through = m2m.remote_field.through
    assert through is not None and not isinstance(through, str)
    return through, m2m.m2m_column_name(), m2m.m2m_reverse_name()


class _Writer:
    def __init__(self, source_id: int, batch_size: int, say: Progress) -> None:
        self.source_id = source_id
        self.batch_size = max(1, batch_size)
        self.say = say
        self.rows: dict[str, int] = {}
        self.organization_ids: list[int] = []
        self.started = time.perf_counter()

    def count(self, model: type[models.Model], rows: int) -> None:
        table = model._meta.db_table
        self.rows[table] = self.rows.get(table, 0) + rows

    def report(self, what: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.started
        self.say(f"{what}: {done:,}/{total:,} ({elapsed:.1f} s)")

    def organizations(self, rows: Sequence[GeneratedOrganization]) -> None:
        raise NotImplementedError

    def entries(self, rows: Iterator[GeneratedEntry], count: int) -> None:
        raise NotImplementedError

    def needs(self, rows: Iterator[GeneratedNeed], count: int) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        pass


class _OrmWriter(_Writer):
    """`bulk_create` in batches, for SQLite. `auto_now` fields get the time of the load."""

    def organizations(self, rows: Sequence[GeneratedOrganization]) -> None:
        objects = [
            Organization(
                source_id=self.source_id, **{c: getattr(o, c) for c in ORGANIZATION_COLUMNS}
            )
            for o in rows
        ]
        Organization.objects.bulk_create(objects, batch_size=self.batch_size)
        self.organization_ids = [o.pk for o in objects]
        self.count(Organization, len(objects))

    def entries(self, rows: Iterator[GeneratedEntry], count: int) -> None:
        done = 0
        while batch := list(itertools.islice(rows, self.batch_size)):
            objects = Entry.objects.bulk_create(
                [Entry(source_id=self.source_id, **row.model_fields()) for row in batch]
            )
            self.count(Entry, len(objects))
            for name in (*ENTRY_REFERENCE_LINKS, "member_organizations"):
                ids = self.organization_ids if name == "member_organizations" else None
                self._links(
                    Entry,
                    name,
                    [(o.pk, getattr(r, name)) for o, r in zip(objects, batch, strict=True)],
                    ids,
                )
            providers = [
                EntryProvider(entry_id=o.pk, organization_id=self.organization_ids[i], role=role)
                for o, r in zip(objects, batch, strict=True)
                for i, role in r.providers
            ]
            EntryProvider.objects.bulk_create(providers, batch_size=self.batch_size)
            self.count(EntryProvider, len(providers))
            done += len(batch)
            self.report("entries", done, count)

    def needs(self, rows: Iterator[GeneratedNeed], count: int) -> None:
        done = 0
        while batch := list(itertools.islice(rows, self.batch_size)):
            objects = Need.objects.bulk_create(
                [Need(source_id=self.source_id, **row.model_fields()) for row in batch]
            )
            self.count(Need, len(objects))
            for name in NEED_LINKS:
                self._links(
                    Need,
                    name,
                    [(o.pk, getattr(r, name)) for o, r in zip(objects, batch, strict=True)],
                )
            done += len(batch)
            self.report("needs", done, count)

    def _links(
        self,
        model: type[models.Model],
        name: str,
        pairs: list[tuple[int, list[int]]],
        target_ids: list[int] | None = None,
    ) -> None:
        through, column, reverse = _links(model, name)
        objects = [
            through(**{column: pk, reverse: t if target_ids is None else target_ids[t]})
            for pk, targets in pairs
            for t in targets
        ]
        through.objects.bulk_create(objects, batch_size=self.batch_size)  # type: ignore[attr-defined]
        self.count(through, len(objects))


# COPY's text format: tab-separated, \N for NULL, backslash escapes.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# psycopg2 reads the buffer in pieces of this size; large pieces keep the GIL hand-offs with the
# rendering thread rare.
_COPY_READ_SIZE = 8 * 1024 * 1024


_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(value) else value
    if isinstance(value, datetime.date):  # and datetime
        return value.isoformat()
    return str(value)


_Rendered = list[tuple[str, Sequence[str], bytes, int]]  # (table, columns, data, rows)


class _CopyWriter(_Writer):
    """COPY FROM STDIN into every table, ids reserved from the tables' sequences.

    Rendering the next batch (pure Python) runs in a worker thread while PostgreSQL ingests the
    current one, so both cores are busy.
    """

    def __init__(self, source_id: int, batch_size: int, say: Progress) -> None:
        super().__init__(source_id, batch_size, say)
        self.cursor = connection.cursor()
        self.raw = self.cursor.cursor  # psycopg2's cursor, for copy_expert
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: at this scale the deferred
        # checks would pile up as millions of queued trigger events, all run at COMMIT. Checked
        # at the end of each COPY instead, they run while the next batch renders.
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def finish(self) -> None:
        # Fresh statistics so that the first queries on a million rows plan well.
        for table in self.rows:
            self.cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        self.cursor.close()

    def reserve_ids(self, model: type[models.Model], count: int) -> list[int]:
        """Ids from the table's own sequence, so rows inserted meanwhile by others never clash."""
        self.cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [connection.ops.quote_name(model._meta.db_table), count],
        )
        return [pk for (pk,) in self.cursor.fetchall()]

    def copy(self, rendered: _Rendered) -> None:
        for table, columns, data, rows in rendered:
            if not rows:
                continue
            sql = "COPY {} ({}) FROM STDIN".format(
                connection.ops.quote_name(table),
                ", ".join(connection.ops.quote_name(c) for c in columns),
            )
            self.raw.copy_expert(sql, io.BytesIO(data), size=_COPY_READ_SIZE)
            self.rows[table] = self.rows.get(table, 0) + rows

    def pipeline(
        self,
        model: type[models.Model],
        what: str,
        count: int,
        render: Callable[[list[int]], _Rendered],
    ) -> None:
        done = 0
        pending: Future[_Rendered] | None = None
        pending_size = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate") as pool:
            for start in range(0, count, self.batch_size):
                size = min(self.batch_size, count - start)
                future = pool.submit(render, self.reserve_ids(model, size))
                if pending is not None:
                    self.copy(pending.result())
                    done += pending_size
                    self.report(what, done, count)
                pending, pending_size = future, size
            if pending is not None:
                self.copy(pending.result())
                done += pending_size
                self.report(what, done, count)

    def organizations(self, rows: Sequence[GeneratedOrganization]) -> None:
        self.organization_ids = self.reserve_ids(Organization, len(rows))
        lines = [
            _line([*(getattr(o, c) for c in ORGANIZATION_COLUMNS), self.source_id, pk])
            for o, pk in zip(rows, self.organization_ids, strict=True)
        ]
        self.copy([_rendered(Organization, [*ORGANIZATION_COLUMNS, "source_id", "id"], lines)])

    def entries(self, rows: Iterator[GeneratedEntry], count: int) -> None:
        org_ids = self.organization_ids
        source_id = self.source_id
        links = {
            name: _links(Entry, name) for name in (*ENTRY_REFERENCE_LINKS, "member_organizations")
        }

        def render(ids: list[int]) -> _Rendered:
            batch = list(itertools.islice(rows, len(ids)))
            entry_lines = [
                _line([*(getattr(r, c) for c in ENTRY_COLUMNS), source_id, pk])
                for r, pk in zip(batch, ids, strict=True)
            ]
            rendered = [_rendered(Entry, [*ENTRY_COLUMNS, "source_id", "id"], entry_lines)]
            for name, (through, column, reverse) in links.items():
                if name == "member_organizations":
                    pairs = [
                        f"{pk}\t{org_ids[t]}\n"
                        for r, pk in zip(batch, ids, strict=True)
                        for t in r.member_organizations
                    ]
                else:
                    pairs = [
                        f"{pk}\t{t}\n"
                        for r, pk in zip(batch, ids, strict=True)
                        for t in getattr(r, name)
                    ]
                rendered.append(_rendered(through, [column, reverse], pairs))
            providers = [
                f"{pk}\t{org_ids[i]}\t{role}\n"
                for r, pk in zip(batch, ids, strict=True)
                for i, role in r.providers
            ]
            rendered.append(
                _rendered(EntryProvider, ["entry_id", "organization_id", "role"], providers)
            )
            return rendered

        self.pipeline(Entry, "entries", count, render)

    def needs(self, rows: Iterator[GeneratedNeed], count: int) -> None:
        links = {name: _links(Need, name) for name in NEED_LINKS}
        source_id = self.source_id

        def render(ids: list[int]) -> _Rendered:
            batch = list(itertools.islice(rows, len(ids)))
            need_lines = [
                _line([*(getattr(r, c) for c in NEED_COLUMNS), source_id, pk])
                for r, pk in zip(batch, ids, strict=True)
            ]
            rendered = [_rendered(Need, [*NEED_COLUMNS, "source_id", "id"], need_lines)]
            for name, (through, column, reverse) in links.items():
                pairs = [
                    f"{pk}\t{t}\n"
                    for r, pk in zip(batch, ids, strict=True)
                    for t in getattr(r, name)
                ]
                rendered.append(_rendered(through, [column, reverse], pairs))
            return rendered

        self.pipeline(Need, "needs", count, render)


def _line(values: Sequence[object]) -> str:
    return "\t".join(map(_copy_value, values)) + "\n"


def _rendered(
    model: type[models.Model], columns: Sequence[str], lines: list[str]
) -> tuple[str, Sequence[str], bytes, int]:
    return model._meta.db_table, columns, "".join(lines).encode(), len(lines)

"""The reference rows the generator draws from, and how often it draws each of them."""

import datetime
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from catalog.generator.draws import Choice, share_choice, small_count
from catalog.generator.errors import GeneratorError
from catalog.generator.shares import (
    CLUSTER_WEIGHTS,
    LANGUAGE_SHARES,
    MODULE_SHARES,
    SDG_GOAL_WEIGHTS,
    THEME_CLUSTERS,
)
from catalog.generator.vocabulary import LANGUAGES
from catalog.models import Country, RegionalOffice, SdgGoal, SdgTarget, SupportKind, Theme


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


def provider_weight(country: CountryRef) -> float:
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


def country_choice(
    countries: Sequence[CountryRef], weight: Callable[[CountryRef], float]
) -> Choice[CountryRef]:
    return Choice(countries, [weight(c) for c in countries])


class Draws:
    """The weighted choices over reference data, built once per run."""

    def __init__(self, reference: Reference, today: datetime.date) -> None:
        self.today = today
        self.latest = today - datetime.timedelta(days=1)
        southern = [c for c in reference.countries if c.is_southern]
        self.southern = country_choice(southern, _recipient_weight)
        need_countries = _need_countries(reference)
        self.need_countries = country_choice(need_countries, _recipient_weight)
        self.by_office: dict[int | None, Choice[CountryRef]] = {}
        for office_id in {c.office_id for c in need_countries}:
            members = [c for c in need_countries if c.office_id == office_id]
            self.by_office[office_id] = country_choice(members, _recipient_weight)
        self.modules = share_choice(MODULE_SHARES)
        self.languages = share_choice(LANGUAGE_SHARES)
        theme_clusters = [_theme_cluster(code) for _, code in reference.themes]
        self.themes = Choice(
            [
                (pk, cluster)
                for (pk, _), cluster in zip(reference.themes, theme_clusters, strict=True)
            ],
            [CLUSTER_WEIGHTS[c] / theme_clusters.count(c) for c in theme_clusters],
        )
        self.goals = Choice(
            list(reference.goals), [SDG_GOAL_WEIGHTS.get(n, 1) for _, n in reference.goals]
        )
        self.targets_by_goal: dict[int, list[int]] = {}
        for pk, number in reference.targets:
            self.targets_by_goal.setdefault(number, []).append(pk)
        self.support_kinds = reference.support_kinds
        support_ids = list(reference.support_kinds.values())
        self.support_any = Choice(support_ids, [1.0] * len(support_ids))


def _theme_cluster(code: str) -> str:
    for keyword, cluster in THEME_CLUSTERS:
        if keyword in code:
            return cluster
    return "G"


def draw_sdgs(rng: random.Random, draws: Draws) -> tuple[list[int], list[int]]:
    """One to three goals, and up to two of each goal's targets."""
    goals = draws.goals.distinct(rng, small_count(rng, 1, 3))
    targets: list[int] = []
    for _, number in goals:
        options = draws.targets_by_goal.get(number, [])
        for _ in range(small_count(rng, 0, 2)):
            target = options[int(rng.random() * len(options))] if options else None
            if target is not None and target not in targets:
                targets.append(target)
    return [pk for pk, _ in goals], targets

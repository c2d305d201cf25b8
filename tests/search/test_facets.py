"""Facet counts against database counts over the same filtered set of entries."""

import datetime
import random
from collections.abc import Set as AbstractSet

import pytest
from django.db.models import Q
from django.utils import timezone

from catalog.models import Entry, Organization, SdgGoal, SdgTarget, Theme
from search.engine import FACETS, SearchEngine, SearchRequest
from search.filters import vocabulary
from tests.factories import EntryFactory, EventFactory, OpportunityFactory, OrganizationFactory
from tests.factories import country as get_country
from tests.search.searching import hit_ids

pytestmark = pytest.mark.django_db

COUNTRIES = ["KEN", "NPL", "FJI", "BRA", "CHN", "EGY", "BOL", "HTI", "ETH", "FRA", "USA"]


@pytest.fixture
def catalogue(build_index) -> SearchEngine:
    """Forty entries of every module, language and tag mix, drawn with a fixed seed, and a few
    that are not published."""
    rng = random.Random(20)
    today = timezone.localdate()
    themes = list(Theme.objects.all())
    goals = list(SdgGoal.objects.filter(number__in=[2, 6, 7, 13, 15]))
    targets = list(SdgTarget.objects.filter(code__in=["6.1", "6.4", "7.2", "13.1", "15.3"]))
    organizations = [
        OrganizationFactory(type=kind, country=get_country(iso3))
        for kind, iso3 in [
            (Organization.Type.NGO, "KEN"),
            (Organization.Type.GOVERNMENT, "BRA"),
            (Organization.Type.UNIVERSITY_RESEARCH, "CHN"),
            (Organization.Type.PRIVATE_SECTOR, "FRA"),
            (Organization.Type.GOVERNMENT, "USA"),
            (Organization.Type.UN_ENTITY, "KEN"),
        ]
    ]
    for n in range(40):
        factory = rng.choice([EntryFactory, EntryFactory, OpportunityFactory, EventFactory])
        extra: dict[str, object] = {}
        if factory is OpportunityFactory:
            deadline = today + datetime.timedelta(days=rng.choice([-5, 0, 3, 14, 15, 40]))
            extra = {"deadline": deadline, "starts_on": deadline + datetime.timedelta(days=20)}
        if factory is EventFactory:
            starts = today + datetime.timedelta(days=rng.randint(-30, 60))
            extra = {
                "starts_on": starts,
                "ends_on": rng.choice([None, starts + datetime.timedelta(days=3)]),
            }
        factory(
            title=f"Water and energy solution {n}",
            language=rng.choice(["en", "en", "fr", "es", "zh", "ar", "ru"]),
            countries_of_origin=[get_country(c) for c in rng.sample(COUNTRIES, rng.randint(0, 2))],
            countries_applied=[get_country(c) for c in rng.sample(COUNTRIES, rng.randint(0, 2))],
            themes=rng.sample(themes, rng.randint(0, 2)),
            sdg_goals=rng.sample(goals, rng.randint(0, 2)),
            sdg_targets=rng.sample(targets, rng.randint(0, 2)),
            providers=rng.sample(organizations, rng.randint(0, 3)),
            **extra,
        )
    for status in (Entry.Status.DRAFT, Entry.Status.ARCHIVED, Entry.Status.SUBMITTED):
        EntryFactory(status=status, countries_of_origin=[get_country("KEN")])
    return build_index()


def value_q(facet: str, value: str) -> Q:
    """The entries with this facet value, as an ORM condition."""
    today = timezone.localdate()
    both = ("countries_of_origin", "countries_applied")
    match facet:
        case "module" | "kind" | "language":
            return Q(**{facet: value})
        case "theme":
            return Q(themes__code=value)
        case "sdg_goal":
            return Q(sdg_goals__number=int(value)) | Q(sdg_targets__goal__number=int(value))
        case "sdg_target":
            return Q(sdg_targets__code=value)
        case "region" | "subregion":
            return Q(**{f"{both[0]}__{facet}_code": value}) | Q(
                **{f"{both[1]}__{facet}_code": value}
            )
        case "country":
            return Q(**{f"{both[0]}__iso3": value}) | Q(**{f"{both[1]}__iso3": value})
        case "country_group":
            return Q(**{f"{both[0]}__is_{value}": True}) | Q(**{f"{both[1]}__is_{value}": True})
        case "provider_type":
            return Q(providers__type=value)
        case "cooperation":
            # The model's own rule, row by row.
            entries = Entry.objects.prefetch_related("providers__country")
            return Q(pk__in=[e.pk for e in entries if e.cooperation == value])
        case "opportunity_status":
            upper = today + datetime.timedelta(days=14) if value == "closing-soon" else None
            deadline = Q(deadline__gte=today) & (Q(deadline__lte=upper) if upper else Q())
            return Q(module=Entry.Module.OPPORTUNITY) & deadline
    raise AssertionError(facet)


def any_of(facet: str, values: list[str]) -> Q:
    condition = Q()
    for value in values:
        condition |= value_q(facet, value)
    return condition


def db_counts(
    filters: dict[str, list[str]], facet: str, values: AbstractSet[str]
) -> dict[str, int]:
    """Published entries per value of `facet` (among `values`), with every filter but the
    facet's own."""
    entries = Entry.objects.published()
    for name, selected in filters.items():
        if name != facet:
            entries = entries.filter(any_of(name, selected))
    counts = {value: entries.filter(value_q(facet, value)).distinct().count() for value in values}
    return {value: count for value, count in counts.items() if count}


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"module": ["technology", "opportunity"]},
        {"region": ["002"], "language": ["en", "fr", "zh"]},
        {
            "country_group": ["ldc"],
            "cooperation": ["south-south", "unknown"],
            "theme": ["climate-change"],
        },
        {"sdg_goal": ["6"], "provider_type": ["government"], "opportunity_status": ["open"]},
    ],
    ids=["no-filter", "one-facet", "two-facets", "three-facets", "computed-status"],
)
def test_every_facet_count_equals_the_database_count(catalogue: SearchEngine, filters):
    result = catalogue.search(SearchRequest(filters=filters, page_size=100))

    assert set(result.facets) == set(FACETS)
    for facet in FACETS:
        counted = {v.value: v.count for v in result.facets[facet] if v.count}
        # Every value, but only the countries that entries can have: a query per value.
        values = set(COUNTRIES) if facet == "country" else vocabulary()[facet]
        assert counted == db_counts(filters, facet, values | set(counted)), facet
        assert {v.value for v in result.facets[facet] if v.selected} == set(filters.get(facet, []))
    expected = Entry.objects.published()
    for name, selected in filters.items():
        expected = expected.filter(any_of(name, selected))
    assert sorted(hit_ids(result)) == sorted(expected.distinct().values_list("pk", flat=True))
    assert result.total == len(result.hits) > 0


def test_values_of_one_facet_are_ored_and_facets_anded(catalogue: SearchEngine):
    def total(filters: dict[str, list[str]]) -> int:
        return catalogue.search(SearchRequest(filters=filters, facets=())).total

    kenya, brazil = total({"country": ["KEN"]}), total({"country": ["BRA"]})
    both = (
        Entry.objects.published()
        .filter(
            value_q("country", "KEN") & Q(pk__in=Entry.objects.filter(value_q("country", "BRA")))
        )
        .distinct()
        .count()
    )
    assert total({"country": ["KEN", "BRA"]}) == kenya + brazil - both
    assert total({"country": ["KEN"], "module": ["event"]}) == (
        Entry.objects.published()
        .filter(value_q("country", "KEN"), module="event")
        .distinct()
        .count()
    )
    assert total({"country": ["KEN"], "module": ["event"]}) < kenya


def test_a_selected_value_without_entries_is_still_listed(catalogue: SearchEngine):
    result = catalogue.search(SearchRequest(filters={"country": ["TUV"]}, facets=("country",)))

    assert result.total == 0
    assert [(v.value, v.count, v.selected) for v in result.facets["country"] if v.selected] == [
        ("TUV", 0, True)
    ]


def test_text_and_filters_narrow_the_counts_together(catalogue: SearchEngine, build_index):
    mangroves = EntryFactory(title="Mangrove nurseries", countries_of_origin=[get_country("FJI")])
    build_index(mangroves)

    result = catalogue.search(SearchRequest(text="mangrove", facets=("country", "module")))

    assert result.total == 1
    assert {v.value: v.count for v in result.facets["country"]} == {"FJI": 1}
    assert {v.value: v.count for v in result.facets["module"]} == {"technology": 1}


def test_unknown_filters_and_values_are_ignored_with_a_notice(catalogue: SearchEngine):
    everything = catalogue.search(SearchRequest(facets=())).total

    result = catalogue.search(
        SearchRequest(
            filters={"colour": ["blue"], "module": ["spaceship", "technology"], "region": ["<b>"]},
            facets=("module",),
        )
    )

    assert result.total == catalogue.search(SearchRequest(filters={"module": ["technology"]})).total
    assert result.total < everything
    assert result.notices == [
        "There is no filter “colour”; it was ignored.",
        "“spaceship” is not a value of the filter “module”; it was ignored.",
        "“<b>” is not a value of the filter “region”; it was ignored.",
    ]
    assert [v.value for v in result.facets["module"] if v.selected] == ["technology"]


def test_event_period_keeps_events_overlapping_it(build_index):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    before = EventFactory(starts_on=today - 10 * day, ends_on=today - 5 * day)
    overlapping_start = EventFactory(starts_on=today - 3 * day, ends_on=today + 1 * day)
    inside = EventFactory(starts_on=today + 2 * day, ends_on=None)
    spanning = EventFactory(starts_on=today - 20 * day, ends_on=today + 20 * day)
    after = EventFactory(starts_on=today + 11 * day, ends_on=today + 12 * day)
    EntryFactory()  # not an event
    engine = build_index()

    result = engine.search(
        SearchRequest(event_from=today, event_to=today + 10 * day, facets=(), page_size=50)
    )

    assert sorted(hit_ids(result)) == sorted([overlapping_start.pk, inside.pk, spanning.pk])
    only_from = engine.search(SearchRequest(event_from=today + 11 * day, facets=()))
    assert sorted(hit_ids(only_from)) == sorted([spanning.pk, after.pk])
    only_to = engine.search(SearchRequest(event_to=today - 6 * day, facets=()))
    assert sorted(hit_ids(only_to)) == sorted([before.pk, spanning.pk])


def test_counts_follow_each_commit_and_a_reader_sees_them_after_reloading(
    build_index, engine: SearchEngine
):
    def modules(searcher: SearchEngine) -> dict[str, int]:
        facets = searcher.search(SearchRequest(facets=("module",))).facets
        return {v.value: v.count for v in facets["module"]}

    EntryFactory()
    build_index()
    reader = SearchEngine(engine.path)
    assert modules(engine) == modules(reader) == {"technology": 1}

    event = EventFactory()
    build_index(event)

    assert modules(engine) == {"technology": 1, "event": 1}
    assert modules(reader) == {"technology": 1}
    reader.reload()
    assert modules(reader) == {"technology": 1, "event": 1}

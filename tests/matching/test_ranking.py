"""The ranking of entries for a need (and of needs for an entry): each factor moves the ranking
the way it should, the explanation adds up to the score, a French need finds a Spanish solution
through tags, bad input still gets matches, and the same data gives the same ranking.

Every test ranks against a real tantivy index built from the test's database by the indexer
(tests/conftest.py gives each test its own index directory). Most tests compare two entries
that differ in one thing only: same text, so the same BM25, and one factor apart.
"""

import datetime
import math
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from catalog.models import Entry, SdgGoal, SdgTarget, SupportKind, Theme
from matching.models import Match, Need, RankingWeights
from matching.ranking import (
    DEFAULT_WEIGHTS,
    FACTOR_NAMES,
    RankedEntry,
    current_weights,
    rank_entries_for_need,
    rank_needs_for_entry,
    rank_needs_for_organization,
)
from search import indexer
from tests.factories import (
    EntryFactory,
    EventFactory,
    MatchFactory,
    NeedFactory,
    OpportunityFactory,
    OrganizationFactory,
    country,
)

pytestmark = pytest.mark.django_db

TEXT = "Rainwater harvesting ponds"


@pytest.fixture(autouse=True)
def index_dir(search_index_dir: Path, settings: Any) -> Path:
    """This test's own copy of the index; readers look for new commits at every search."""
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    return search_index_dir


def build_index() -> None:
    indexer.index_rebuild()


def target(code: str) -> SdgTarget:
    return SdgTarget.objects.get(code=code)


def theme(code: str) -> Theme:
    return Theme.objects.get(code=code)


def support(code: str) -> SupportKind:
    return SupportKind.objects.get(code=code)


def entry(title: str = TEXT, *, support_kinds: list[str] = (), **kwargs: Any) -> Entry:  # type: ignore[assignment]
    """A published English entry with only a title, unless told otherwise."""
    kwargs.setdefault("summary", "")
    kwargs.setdefault("body", "")
    created = EntryFactory(title=title, **kwargs)
    if support_kinds:
        created.support_kinds.set([support(code) for code in support_kinds])
    return created


def need(
    title: str = "Rainwater harvesting for dry villages",
    description: str = "",
    *,
    targets: list[str] = (),  # type: ignore[assignment]
    themes: list[str] = (),  # type: ignore[assignment]
    goals: list[int] = (),  # type: ignore[assignment]
    support_kinds: list[str] = (),  # type: ignore[assignment]
    **kwargs: Any,
) -> Need:
    created = NeedFactory(title=title, description=description, **kwargs)
    created.sdg_targets.set([target(code) for code in targets])
    created.themes.set([theme(code) for code in themes])
    created.sdg_goals.set(SdgGoal.objects.filter(number__in=goals))
    created.support_kinds.set([support(code) for code in support_kinds])
    return created


def ranked(the_need: Need, **kwargs: Any) -> list[RankedEntry]:
    return rank_entries_for_need(the_need, **kwargs).items


def order(the_need: Need) -> list[int]:
    return [item.entry_id for item in ranked(the_need)]


def factor(item: RankedEntry, name: str) -> Any:
    [found] = [f for f in item.factors if f.name == name]
    return found


def item_for(items: list[RankedEntry], entry_id: int) -> RankedEntry:
    [found] = [item for item in items if item.entry_id == entry_id]
    return found


def assert_before(the_need: Need, better: Any, worse: Any) -> list[RankedEntry]:
    items = ranked(the_need)
    ids = [item.entry_id for item in items]
    assert better.pk in ids and worse.pk in ids, ids
    assert ids.index(better.pk) < ids.index(worse.pk)
    assert item_for(items, better.pk).score > item_for(items, worse.pk).score
    return items


# --- Each factor --------------------------------------------------------------------------------


def test_an_entry_sharing_the_needs_words_ranks_above_one_that_does_not() -> None:
    the_need = need(themes=["ecosystem-management"])
    about = entry(themes=[theme("ecosystem-management")])
    other = entry("Mercury-free gold mining", themes=[theme("ecosystem-management")])
    build_index()

    items = assert_before(the_need, about, other)

    text = factor(item_for(items, about.pk), "text")
    assert text.value > 0
    assert "Words: rainwater, harvesting" in text.reason_texts
    assert item_for(items, about.pk).matched_words == ("rainwater", "harvesting")
    assert factor(item_for(items, other.pk), "text").value == 0


def test_a_shared_target_counts_more_than_a_shared_goal_which_counts_more_than_nothing() -> None:
    the_need = need(targets=["6.4"])
    same_target = entry(sdg_targets=[target("6.4")])
    same_goal = entry(sdg_targets=[target("6.1")])
    untagged = entry()
    build_index()

    items = ranked(the_need)

    assert [item.entry_id for item in items] == [same_target.pk, same_goal.pk, untagged.pk]
    assert "Shared SDG targets: 6.4" in factor(items[0], "taxonomy").reason_texts
    assert "Shared SDG goals: 6" in factor(items[1], "taxonomy").reason_texts
    assert factor(items[2], "taxonomy").value == 0


def test_a_shared_theme_moves_an_entry_up() -> None:
    the_need = need(themes=["climate-change"])
    same_theme = entry(themes=[theme("climate-change")])
    other_theme = entry(themes=[theme("chemicals-waste")])
    build_index()

    items = assert_before(the_need, same_theme, other_theme)

    assert (
        "Shared themes: Climate change"
        in factor(item_for(items, same_theme.pk), "taxonomy").reason_texts
    )


def test_an_entry_offering_the_support_sought_ranks_above_one_offering_other_support() -> None:
    the_need = need(support_kinds=["funding"])
    offers = entry(support_kinds=["funding"])
    other = entry(support_kinds=["networking"])
    build_index()

    items = assert_before(the_need, offers, other)

    assert factor(item_for(items, offers.pk), "support").value == 1.0
    assert factor(item_for(items, other.pk), "support").value == 0.0


def test_a_training_need_favours_trainings_and_expert_rosters_over_technologies() -> None:
    the_need = need(support_kinds=["training"])
    roster = entry(module=Entry.Module.EXPERTISE, kind=Entry.Kind.EXPERT_ROSTER)
    training = OpportunityFactory(title=TEXT, summary="", body="")
    technology = entry()
    build_index()

    items = ranked(the_need)
    ids = [item.entry_id for item in items]

    assert ids.index(roster.pk) < ids.index(technology.pk)
    assert ids.index(training.pk) < ids.index(technology.pk)
    assert factor(item_for(items, roster.pk), "support").value == 1.0


def test_the_same_sub_region_ranks_above_the_same_region_above_elsewhere() -> None:
    the_need = need(countries=[country("KEN")])
    uganda = entry(countries_of_origin=[country("UGA")])  # Eastern Africa
    nigeria = entry(countries_of_origin=[country("NGA")])  # Sub-Saharan Africa
    egypt = entry(countries_of_origin=[country("EGY")])  # Africa
    brazil = entry(countries_of_origin=[country("BRA")])
    build_index()

    items = ranked(the_need)

    assert [item.entry_id for item in items] == [uganda.pk, nigeria.pk, egypt.pk, brazil.pk]
    assert "Same sub-region: Eastern Africa" in factor(items[0], "context").reason_texts
    assert "Same sub-region: Sub-Saharan Africa" in factor(items[1], "context").reason_texts
    assert "Same region: Africa" in factor(items[2], "context").reason_texts
    assert factor(items[3], "context").reason_texts == ("Same language",)


def test_an_entry_in_the_needs_language_ranks_above_one_in_another() -> None:
    the_need = need("Récupération des eaux de pluie", language="fr")
    french = entry("Récupération des eaux de pluie", language="fr")
    portuguese = entry("Récupération des eaux de pluie", language="pt")
    build_index()

    items = assert_before(the_need, french, portuguese)

    assert "Same language" in factor(item_for(items, french.pk), "context").reason_texts


def test_small_islands_find_solutions_from_other_small_islands_first() -> None:
    the_need = need(countries=[country("FJI")])  # Fiji, a SIDS in Melanesia
    jamaica = entry(countries_of_origin=[country("JAM")])  # a SIDS in the Caribbean
    peru = entry(countries_of_origin=[country("PER")])  # South America, not a SIDS
    build_index()

    items = assert_before(the_need, jamaica, peru)

    assert "Similar countries: SIDS" in factor(item_for(items, jamaica.pk), "context").reason_texts


def test_southern_providers_come_first_and_triangular_entries_are_flagged_not_hidden() -> None:
    the_need = need()
    kenyan = OrganizationFactory(country=country("KEN"))
    german = OrganizationFactory(country=country("DEU"))
    south_south = entry(providers=[kenyan])
    triangular = entry(providers=[kenyan, german])
    northern = entry(providers=[german])
    build_index()

    items = ranked(the_need)

    assert [item.entry_id for item in items] == [south_south.pk, triangular.pk, northern.pk]
    assert items[1].flags == ("triangular",)
    assert items[0].flags == () and items[2].flags == ()
    assert items[1].as_json()["flags"] == ["triangular"]


def test_open_opportunities_rank_above_closed_ones() -> None:
    the_need = need()
    today = timezone.localdate()
    open_call = OpportunityFactory(title=TEXT, summary="", body="")
    closed_call = OpportunityFactory(
        title=TEXT,
        summary="",
        body="",
        published_at=timezone.now() - datetime.timedelta(days=90),
        deadline=today - datetime.timedelta(days=10),
    )
    build_index()

    items = assert_before(the_need, open_call, closed_call)

    assert any(
        r.startswith("Closed on")
        for r in factor(item_for(items, closed_call.pk), "availability").reason_texts
    )


def test_upcoming_events_rank_above_past_ones() -> None:
    the_need = need()
    today = timezone.localdate()
    upcoming = EventFactory(title=TEXT, summary="", body="")
    past = EventFactory(
        title=TEXT,
        summary="",
        body="",
        starts_on=today - datetime.timedelta(days=40),
        ends_on=today - datetime.timedelta(days=38),
    )
    build_index()

    assert_before(the_need, upcoming, past)


def test_recently_confirmed_entries_rank_above_stale_ones() -> None:
    the_need = need()
    fresh = entry()
    stale = entry(last_confirmed_on=timezone.localdate() - datetime.timedelta(days=3 * 365))
    build_index()

    items = assert_before(the_need, fresh, stale)

    assert (
        "Not confirmed for a long time: may be out of date"
        in factor(item_for(items, stale.pk), "availability").reason_texts
    )


def test_verified_entries_rank_above_unverified_ones() -> None:
    the_need = need()
    verified = entry(is_verified=True)
    unverified = entry()
    build_index()

    items = assert_before(the_need, verified, unverified)

    assert (
        "Verified by programme staff"
        in factor(item_for(items, verified.pk), "evidence").reason_texts
    )


def test_entries_with_completed_matches_rank_higher() -> None:
    the_need = need()
    proven = entry()
    untried = entry()
    MatchFactory(
        entry=proven, status=Match.Status.COMPLETED, results="Two villages now store rainwater."
    )
    build_index()

    items = assert_before(the_need, proven, untried)

    assert "1 completed match" in factor(item_for(items, proven.pk), "evidence").reason_texts


def test_an_entry_declined_as_not_relevant_for_a_similar_need_is_pushed_down() -> None:
    the_need = need(targets=["6.4"])
    declined = entry(sdg_targets=[target("6.4")])
    kept = entry(sdg_targets=[target("6.4")])
    MatchFactory(
        need=need("Another need", targets=["6.4"]),
        entry=declined,
        status=Match.Status.DECLINED,
        decline_reason=Match.DeclineReason.NOT_RELEVANT,
    )
    build_index()

    # The declined entry was created first: without the decline it would win the tie.
    items = assert_before(the_need, kept, declined)

    assert factor(item_for(items, declined.pk), "feedback").reason_texts == (
        "Declined as not relevant for 1 similar need",
    )


def test_a_decline_for_an_unrelated_need_or_another_reason_does_not_count() -> None:
    the_need = need(targets=["6.4"])
    first = entry(sdg_targets=[target("6.4")])
    second = entry(sdg_targets=[target("6.4")])
    MatchFactory(
        need=need("Mercury in gold mining", targets=["3.9"]),
        entry=first,
        status=Match.Status.DECLINED,
        decline_reason=Match.DeclineReason.NOT_RELEVANT,
    )
    MatchFactory(
        need=need("Another water need", targets=["6.4"]),
        entry=first,
        status=Match.Status.DECLINED,
        decline_reason=Match.DeclineReason.NOT_AFFORDABLE,
    )
    build_index()

    items = ranked(the_need)

    assert [item.entry_id for item in items] == [first.pk, second.pk]
    assert factor(items[0], "feedback").value == 0.0
    assert factor(items[0], "feedback").contribution == 0.0


# --- The explanation and the weights ------------------------------------------------------------


def test_the_contributions_add_up_to_the_score_and_name_what_matched() -> None:
    the_need = need(
        targets=["6.4"], themes=["ecosystem-management"], support_kinds=["technology-transfer"]
    )
    found = entry(
        "Rainwater harvesting ponds for smallholders",
        sdg_targets=[target("6.4")],
        themes=[theme("ecosystem-management")],
        countries_of_origin=[country("UGA")],
        support_kinds=["technology-transfer"],
    )
    build_index()

    [item] = ranked(the_need)

    assert item.entry_id == found.pk
    assert [f.name for f in item.factors] == list(FACTOR_NAMES)
    assert math.isclose(sum(f.contribution for f in item.factors), item.score, abs_tol=1e-9)
    assert 0 <= item.score <= 1
    total = sum(weight for name, weight in DEFAULT_WEIGHTS.items() if name != "feedback")
    for f in item.factors:
        assert 0 <= f.value <= 1
        assert f.weight == DEFAULT_WEIGHTS[f.name]
        sign = -1 if f.name == "feedback" else 1
        assert math.isclose(f.contribution, sign * f.weight * f.value / total)
        assert f.reasons
    assert factor(item, "taxonomy").reason_texts == (
        "Shared SDG targets: 6.4",
        "Shared themes: Ecosystem management",
    )
    assert "Words: rainwater, harvesting" in factor(item, "text").reason_texts
    assert factor(item, "support").reason_texts == ("Offers what is sought: Technology transfer",)
    stored = item.as_json()
    assert stored["matched_words"] == ["rainwater", "harvesting"]
    assert math.isclose(stored["score"], item.score, abs_tol=1e-6)
    assert [f["name"] for f in stored["factors"]] == list(FACTOR_NAMES)


def test_staff_weights_change_the_ranking() -> None:
    the_need = need(targets=["6.4"])
    # Words only against South-South only.
    by_words = entry(
        "Rainwater harvesting for dry villages",
        providers=[OrganizationFactory(country=country("DEU"))],
    )
    southern = entry("Rainwater ponds", providers=[OrganizationFactory(country=country("KEN"))])
    build_index()
    assert order(the_need)[0] == by_words.pk

    weights = {name: 0.0 for name in FACTOR_NAMES} | {"south_south": 1.0}
    RankingWeights.objects.update_or_create(pk=RankingWeights.SINGLETON_PK, defaults=weights)

    assert current_weights() == weights
    items = ranked(the_need)
    assert items[0].entry_id == southern.pk
    assert items[0].score == 1.0
    assert factor(items[0], "text").contribution == 0.0


def test_without_a_weights_row_the_defaults_apply() -> None:
    RankingWeights.objects.all().delete()

    assert current_weights() == DEFAULT_WEIGHTS


# --- Across languages ---------------------------------------------------------------------------


def test_a_french_need_finds_a_spanish_solution_through_shared_tags() -> None:
    the_need = need(
        "Accès à l'eau potable dans les villages",
        "Les villages manquent d'eau salubre.",
        language="fr",
        targets=["6.1"],
    )
    spanish = entry(
        "Potabilización solar del agua para comunidades rurales",
        language="es",
        sdg_targets=[target("6.1")],
    )
    entry("Minería de oro sin mercurio", language="es", sdg_targets=[target("3.9")])
    build_index()

    items = ranked(the_need)

    assert items[0].entry_id == spanish.pk
    assert "Shared SDG targets: 6.1" in factor(items[0], "taxonomy").reason_texts
    assert factor(items[0], "text").value == 0


def test_a_french_need_without_tags_finds_a_spanish_solution_through_the_sdg_labels() -> None:
    # "eau potable" names target 6.1 (safe drinking water) in the French SDG texts.
    the_need = need("Eau potable", "Eau potable pour les villages.", language="fr")
    spanish = entry("Comunidades rurales", language="es", sdg_targets=[target("6.1")])
    entry("Comunidades rurales", language="es", sdg_targets=[target("3.9")])
    build_index()

    items = ranked(the_need)

    assert items[0].entry_id == spanish.pk
    assert "SDG targets found in the need's text: 6.1" in factor(items[0], "taxonomy").reason_texts


# --- Bad input ----------------------------------------------------------------------------------


def test_a_need_without_text_is_matched_on_its_tags_with_a_note() -> None:
    the_need = need("", "", targets=["6.4"])
    tagged = entry(sdg_targets=[target("6.4")])
    entry()
    build_index()

    result = rank_entries_for_need(the_need)

    assert [item.entry_id for item in result.items] == [tagged.pk]
    assert result.notes == ["This need has no text; matched on its tags only."]


def test_a_need_in_an_unsupported_language_is_matched_on_its_tags_with_a_note() -> None:
    the_need = need("Uvunaji wa maji ya mvua", "Vijiji vinahitaji maji safi.", targets=["6.4"])
    tagged = entry(sdg_targets=[target("6.4")])
    build_index()

    result = rank_entries_for_need(the_need)

    assert [item.entry_id for item in result.items] == [tagged.pk]
    assert len(result.notes) == 1
    assert "No entry shares words with this need's text" in result.notes[0]


def test_a_need_in_an_unsupported_language_without_tags_gets_a_note_saying_why() -> None:
    the_need = need("Uvunaji wa maji ya mvua", "Vijiji vinahitaji maji safi.")
    entry()
    build_index()

    result = rank_entries_for_need(the_need)

    assert result.items == []
    assert result.notes == [
        "No entry shares words with this need's text (is it in a language the portal does not "
        "analyse?), and it has no SDG target or theme to match on."
    ]


def test_a_need_with_neither_text_nor_tags_gets_no_match_and_a_note_saying_why() -> None:
    the_need = need("", "")
    entry()
    build_index()

    result = rank_entries_for_need(the_need)

    assert result.items == []
    assert result.notes == [
        "This need has no text and no SDG target or theme: nothing to match on."
    ]


def test_a_very_long_need_is_truncated_for_ranking_with_a_note() -> None:
    the_need = need("Rainwater harvesting", "word " * 20_000)  # 100,000 characters
    found = entry()
    build_index()

    result = rank_entries_for_need(the_need)

    assert [item.entry_id for item in result.items] == [found.pk]
    assert result.notes == [
        "This need's text is long (100,020 characters); only its first 10,000 characters "
        "were used for ranking."
    ]


def test_only_published_entries_are_matched() -> None:
    the_need = need()
    published = entry()
    entry(status=Entry.Status.DRAFT)
    archived = entry()
    build_index()
    # Archived after the index was built: the index lags, the ranking does not.
    Entry.objects.filter(pk=archived.pk).update(status=Entry.Status.ARCHIVED)

    assert order(the_need) == [published.pk]


def test_the_same_data_gives_the_same_ranking_and_ties_go_to_the_older_entry() -> None:
    the_need = need(themes=["climate-change"])
    twins = [entry(themes=[theme("climate-change")]) for _ in range(4)]
    build_index()

    first = rank_entries_for_need(the_need)
    second = rank_entries_for_need(the_need)

    assert first == second
    assert [item.entry_id for item in first.items] == [e.pk for e in twins]
    assert len({item.score for item in first.items}) == 1


def test_the_limit_caps_the_matches() -> None:
    the_need = need()
    for _ in range(5):
        entry()
    build_index()

    assert len(ranked(the_need, limit=3)) == 3


# --- Reverse matching ---------------------------------------------------------------------------


def test_an_entry_finds_the_open_needs_it_could_serve_best_first() -> None:
    solution = entry(
        "Rainwater harvesting ponds",
        sdg_targets=[target("6.4")],
        countries_of_origin=[country("UGA")],
    )
    close = need(targets=["6.4"], countries=[country("KEN")])
    far = need(targets=["6.4"], countries=[country("BRA")])
    need(targets=["6.4"], status=Need.Status.DRAFT)
    need(
        targets=["6.4"],
        status=Need.Status.CLOSED,
        closed_reason="Met by a national programme.",
    )
    unrelated = need("Mercury-free gold mining", targets=["3.9"])
    build_index()

    needs = rank_needs_for_entry(solution)

    assert [item.need_id for item in needs] == [close.pk, far.pk]
    assert unrelated.pk not in [item.need_id for item in needs]
    first = needs[0]
    assert first.entry_id == solution.pk
    assert "Shared SDG targets: 6.4" in factor(first, "taxonomy").reason_texts  # type: ignore[arg-type]
    assert "rainwater" in first.matched_words
    assert math.isclose(sum(f.contribution for f in first.factors), first.score, abs_tol=1e-9)


def test_an_unpublished_entry_serves_no_need() -> None:
    draft = entry(status=Entry.Status.DRAFT, sdg_targets=[target("6.4")])
    need(targets=["6.4"])
    build_index()

    assert rank_needs_for_entry(draft) == []


def test_an_organization_finds_needs_through_its_best_entry() -> None:
    organization: Any = OrganizationFactory(country=country("KEN"))
    water = entry(sdg_targets=[target("6.4")], providers=[organization])
    mining = entry(
        "Mercury-free gold mining", sdg_targets=[target("3.9")], providers=[organization]
    )
    entry(sdg_targets=[target("6.1")])  # someone else's
    water_need = need(targets=["6.4"])
    mining_need = need("Gold mining without mercury", targets=["3.9"])
    other_need = need("Safe drinking water", targets=["6.1"])
    build_index()

    needs = rank_needs_for_organization(organization)

    by_need = {item.need_id: item.entry_id for item in needs}
    assert by_need[water_need.pk] == water.pk
    assert by_need[mining_need.pk] == mining.pk
    assert other_need.pk not in by_need


# --- Factors that carry no information contribute nothing; tags weigh by how specific ------------


def test_the_text_factor_is_the_share_of_the_best_bm25_for_the_need() -> None:
    the_need = need("Rainwater harvesting ponds for dry villages")
    best = entry("Rainwater harvesting ponds in dry villages")
    weaker = entry("Rainwater tanks")
    build_index()

    items = assert_before(the_need, best, weaker)

    assert factor(item_for(items, best.pk), "text").value == 1.0
    assert 0 < factor(item_for(items, weaker.pk), "text").value < 0.5
    assert any(
        "% of the best in the catalogue" in r
        for r in factor(item_for(items, weaker.pk), "text").reason_texts
    )


def test_a_shared_goal_counts_far_less_than_a_shared_target() -> None:
    the_need = need(targets=["12.5"], goals=[12])
    same_target = entry(sdg_targets=[target("12.5")])
    same_goal = entry(sdg_goals=SdgGoal.objects.filter(number=12))
    build_index()

    items = assert_before(the_need, same_target, same_goal)

    goal_only = factor(item_for(items, same_goal.pk), "taxonomy").value
    assert goal_only < 0.15
    assert factor(item_for(items, same_target.pk), "taxonomy").value > 4 * goal_only


def test_an_entry_nobody_declined_gets_no_feedback_contribution() -> None:
    the_need = need(targets=["6.4"])
    entry(sdg_targets=[target("6.4")])
    build_index()

    [item] = ranked(the_need)

    line = factor(item, "feedback")
    assert (line.value, line.contribution) == (0.0, 0.0)
    assert line.reason_texts == ("Not declined for similar needs",)


def test_a_decline_for_this_need_costs_the_whole_feedback_weight() -> None:
    the_need = need(targets=["6.4"])
    declined = entry(sdg_targets=[target("6.4")])
    MatchFactory(
        need=the_need,
        entry=declined,
        status=Match.Status.DECLINED,
        decline_reason=Match.DeclineReason.NOT_RELEVANT,
    )
    build_index()

    [item] = ranked(the_need)

    line = factor(item, "feedback")
    total = sum(weight for name, weight in DEFAULT_WEIGHTS.items() if name != "feedback")
    assert line.value == 1.0
    assert math.isclose(line.contribution, -DEFAULT_WEIGHTS["feedback"] / total)
    assert math.isclose(sum(f.contribution for f in item.factors), item.score, abs_tol=1e-9)


def test_an_entry_led_by_a_un_entity_alone_is_neutral_for_south_south() -> None:
    from catalog.models import Organization

    the_need = need()
    unep = OrganizationFactory(country=country("KEN"), type=Organization.Type.UN_ENTITY)
    german = OrganizationFactory(country=country("DEU"))
    kenyan = OrganizationFactory(country=country("KEN"))
    by_un = entry(providers=[unep])
    northern = entry(providers=[german])
    southern = entry(providers=[kenyan])
    build_index()

    items = ranked(the_need)

    assert [item.entry_id for item in items] == [southern.pk, by_un.pk, northern.pk]
    assert factor(item_for(items, by_un.pk), "south_south").value == 0.5


def test_an_undated_entry_is_not_ranked_below_an_open_opportunity_for_lacking_dates() -> None:
    the_need = need()
    undated = entry()
    open_call = OpportunityFactory(
        title=TEXT,
        summary="",
        body="",
        deadline=timezone.localdate() + datetime.timedelta(days=30),
        last_confirmed_on=undated.last_confirmed_on,
    )
    build_index()

    items = ranked(the_need)

    assert (
        factor(item_for(items, undated.pk), "availability").value
        == factor(item_for(items, open_call.pk), "availability").value
    )


# --- Reasons: stored as codes, put into words when shown ----------------------------------------


def test_reasons_are_stored_as_codes_and_shown_in_the_readers_language() -> None:
    from django.utils import translation

    from matching.ranking.reasons import render

    the_need = need(targets=["6.4"])
    entry(sdg_targets=[target("6.4")])
    build_index()

    [item] = ranked(the_need)
    stored = item.as_json()
    [taxonomy_line] = [f for f in stored["factors"] if f["name"] == "taxonomy"]

    assert taxonomy_line["reasons"] == [{"code": "shared-targets", "params": {"codes": ["6.4"]}}]
    with translation.override("en"):
        assert render(taxonomy_line["reasons"][0]) == "Shared SDG targets: 6.4"
    with translation.override("fr"):
        assert render(taxonomy_line["reasons"][0]) == "Cibles des ODD communes : 6.4"


def test_reasons_stored_as_sentences_by_earlier_versions_are_shown_as_they_are() -> None:
    from matching.templatetags.matching_tags import factor_reasons, reasons_text

    match = Match(
        breakdown={
            "factors": [
                {"name": "taxonomy", "reasons": ["Shared SDG targets: 6.1"]},
                {
                    "name": "evidence",
                    "reasons": [{"code": "completed-matches", "params": {"count": 2}}],
                },
            ]
        }
    )

    assert factor_reasons(match, "taxonomy") == "Shared SDG targets: 6.1"
    assert factor_reasons(match, "evidence") == "2 completed matches"
    assert factor_reasons(match, "text") == ""
    assert reasons_text([{"code": "unknown-code"}, "Plain"]) == "unknown-code; Plain"

"""Each entry is analysed in its own language; a query searches all languages at once, and the
SDG and theme labels in the six UN languages bridge a query to entries tagged with them."""

import pytest

from catalog.models import SdgGoal, SdgTarget, Theme
from search.documents import entry_documents
from search.engine import SearchRequest
from tests.factories import EntryFactory
from tests.search.searching import found

pytestmark = pytest.mark.django_db


def entry(title: str, language: str, **kwargs: object) -> object:
    return EntryFactory(title=title, summary="", body="", language=language, **kwargs)


@pytest.mark.parametrize(
    ("language", "title", "query"),
    [
        ("en", "Harvest of rainwater in dry areas", "harvesting"),
        ("en", "Rainwater harvesting", "harvest"),
        ("fr", "Gestion durable de la forêt", "forêts"),
        ("fr", "Gestion durable des forêts", "foret"),
        ("es", "Cosecha de agua para comunidades rurales", "comunidad"),
        ("pt", "Gestão das florestas comunitárias", "floresta"),
        ("ru", "Сбор дождевой воды", "вода"),
        ("ar", "حصاد مياه الأمطار", "الامطار"),
        ("ar", "حَصَاد مِيَاه الأَمْطَار", "امطار"),
        ("ar", "حصاد مياه الأمطار", "أَمْطَار"),
        ("ar", "إدارة المياه في الزراعة", "زراعة"),
        ("zh", "雨水收集技术", "雨水"),
        ("zh", "农村社区的饮用水安全", "饮用水"),
        ("zh", "农村社区的饮用水安全", "社区安全"),
    ],
)
def test_a_query_finds_the_entry_in_its_language(build_index, language, title, query):
    target = entry(title, language)
    other = entry("Mercury-free gold mining", "en")
    engine = build_index()

    assert found(engine, query) == [target.pk]
    assert other.pk not in found(engine, query)


def test_chinese_matches_whole_words_not_any_characters(build_index):
    entry("雨水收集技术", "zh")
    engine = build_index()

    # 水收 straddles two words.
    assert found(engine, "水收") == []


@pytest.mark.parametrize(
    ("language", "title", "query", "marked"),
    [
        ("en", "Rainwater harvesting", "harvest", "Rainwater <mark>harvesting</mark>"),
        ("fr", "L’eau des forêts", "foret", "L’eau des <mark>forêts</mark>"),
        ("zh", "雨水收集技术", "收集", "雨水<mark>收集</mark>技术"),
        ("ar", "حَصَاد الأمطار", "حصاد امطار", "<mark>حَصَاد</mark> <mark>الأمطار</mark>"),
    ],
)
def test_highlights_mark_the_words_as_written(build_index, language, title, query, marked):
    entry(title, language)
    engine = build_index()

    [hit] = engine.search(SearchRequest(text=query, facets=())).hits

    assert hit.title_html == marked


@pytest.fixture
def drinking_water(build_index):
    """An English entry tagged with SDG target 6.1 (safe drinking water) that does not say so,
    one tagged with 6.4 (water-use efficiency), and untagged ones."""
    tagged = entry(
        "Community tanks for arid villages",
        "en",
        sdg_targets=[SdgTarget.objects.get(code="6.1")],
    )
    other_target = entry(
        "Efficient irrigation scheduling", "en", sdg_targets=[SdgTarget.objects.get(code="6.4")]
    )
    untagged = entry("Community tanks for schools", "en")
    build_index()
    return tagged, other_target, untagged


@pytest.mark.parametrize(
    "query",
    ["eau potable", "agua potable", "饮用水", "питьевая вода", "مياه الشرب", "drinking water"],
)
def test_sdg_target_labels_bridge_every_un_language(drinking_water, engine, query):
    tagged, _other_target, _untagged = drinking_water

    assert found(engine, query) == [tagged.pk]


def test_entries_with_the_words_rank_above_entries_reached_through_a_tag(drinking_water, engine):
    tagged, _other, _untagged = drinking_water
    written = entry("Accès à l’eau potable dans les écoles", "fr")
    engine.index_entries(entry_documents([written.pk]))
    engine.commit()

    assert found(engine, "eau potable") == [written.pk, tagged.pk]


def test_a_goal_label_reaches_entries_tagged_with_the_goal_or_its_targets(build_index):
    by_goal = entry("Village tanks", "en", sdg_goals=[SdgGoal.objects.get(number=6)])
    by_target = entry("School tanks", "en", sdg_targets=[SdgTarget.objects.get(code="6.3")])
    entry("Clinic tanks", "en", sdg_goals=[SdgGoal.objects.get(number=7)])
    engine = build_index()

    # Goal 6, "Eau propre et assainissement".
    assert sorted(found(engine, "assainissement")) == sorted([by_goal.pk, by_target.pk])


@pytest.mark.parametrize("query", ["climate change", "changements climatiques", "气候变化"])
def test_theme_labels_bridge_languages(build_index, query):
    tagged = entry("Village tanks", "en", themes=[Theme.objects.get(code="climate-change")])
    entry("School tanks", "en", themes=[Theme.objects.get(code="chemicals-waste")])
    engine = build_index()

    assert found(engine, query) == [tagged.pk]


def test_an_excluded_word_also_excludes_entries_reached_through_a_tag(drinking_water, engine):
    tagged, _other, _untagged = drinking_water

    assert found(engine, "eau potable -tanks") == []
    assert found(engine, "eau potable -irrigation") == [tagged.pk]


def test_a_general_word_bridges_to_nothing(drinking_water, engine):
    # "durable" occurs in dozens of targets: it says nothing about a tag.
    assert found(engine, "durable") == []

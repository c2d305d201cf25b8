import pytest

from catalog.models import Entry
from search.engine import SearchEngine, SearchRequest
from tests.factories import EntryFactory
from tests.search.searching import found

pytestmark = pytest.mark.django_db

FILLER = "Community groups share their experience of coastal management and planning. " * 4


def test_exact_title_match_ranks_above_a_passing_mention(build_index):
    mention = EntryFactory(
        title="Coastal planning toolkit",
        summary="A toolkit for coastal planners.",
        body=FILLER + "It also covers solar water pumps for irrigation. " + FILLER,
    )
    titled = EntryFactory(
        title="Solar water pumps",
        summary="Pumps for smallholder farms.",
        body=FILLER,
    )
    unrelated = EntryFactory(title="Mangrove restoration", summary="Mangroves.", body=FILLER)
    engine = build_index()

    result = engine.search(SearchRequest(text="solar water pumps", facets=()))

    assert [hit.entry_id for hit in result.hits] == [titled.pk, mention.pk]
    assert result.hits[0].score > result.hits[1].score
    assert unrelated.pk not in found(engine, "solar water pumps")


def test_all_words_are_required(build_index):
    both = EntryFactory(title="Solar pumps", summary="Pumps.", body="")
    EntryFactory(title="Solar cookers", summary="Cookers.", body="")
    engine = build_index()

    assert found(engine, "solar pumps") == [both.pk]


def test_reindexing_an_entry_replaces_its_document(build_index, engine: SearchEngine):
    entry = EntryFactory(title="Solar pumps", summary="Pumps.", body="")
    build_index()
    Entry.objects.filter(pk=entry.pk).update(title="Wind pumps")

    build_index(entry)

    assert found(engine, "solar") == []
    assert found(engine, "wind") == [entry.pk]
    assert engine.doc_count() == 1


def test_deleted_entries_leave_the_results(build_index, engine: SearchEngine):
    kept, deleted = EntryFactory(), EntryFactory()
    build_index()

    engine.delete_entries([deleted.pk])
    engine.commit()

    assert found(engine, "rainwater") == [kept.pk]


def test_a_second_reader_sees_the_writer_commit(build_index, engine: SearchEngine):
    entry = EntryFactory(title="Solar pumps")
    build_index()
    reader = SearchEngine(engine.path)

    assert found(reader, "solar") == [entry.pk]

    engine.delete_entries([entry.pk])
    engine.commit()
    reader.reload()
    assert found(reader, "solar") == []


def test_more_like_returns_related_entries_not_itself(build_index, engine: SearchEngine):
    entry = EntryFactory(
        title="Rainwater harvesting for smallholder farms",
        summary="Tanks and gutters collect rainwater for dry-season irrigation.",
        body="Farmers build rainwater tanks from local materials.",
    )
    close = EntryFactory(
        title="Rainwater tanks for schools",
        summary="Gutters and tanks collect rainwater on school roofs.",
        body="Local masons build the tanks.",
    )
    farther = EntryFactory(
        title="Drip irrigation for farms",
        summary="Irrigation in the dry season.",
        body="Smallholder farmers save water.",
    )
    unrelated = EntryFactory(
        title="Mercury-free gold mining", summary="Artisanal miners.", body="Retorts."
    )
    build_index()

    similar = engine.more_like(entry.pk, limit=5)

    assert similar[:2] == [close.pk, farther.pk]
    assert entry.pk not in similar
    assert unrelated.pk not in similar
    assert engine.more_like(entry.pk, limit=1) == [close.pk]
    assert engine.more_like(0) == []

import datetime

import pytest
import tantivy
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Entry, Organization, SdgGoal, SdgTarget, Theme
from search import schema
from search.documents import entry_documents
from search.engine import SearchEngine, SearchRequest
from tests.factories import EntryFactory, EventFactory, OrganizationFactory, country

pytestmark = pytest.mark.django_db


def test_document_carries_the_facet_values_of_the_entry():
    entry = EntryFactory(
        title="Solar pumps",
        summary="Pumping with the sun.",
        body="Panels and pumps.",
        countries_of_origin=[country("KEN")],
        countries_applied=[country("NPL"), country("FJI")],
        themes=[Theme.objects.get(code="climate-change")],
        sdg_goals=[SdgGoal.objects.get(number=7)],
        sdg_targets=[SdgTarget.objects.get(code="6.1")],
        providers=[
            OrganizationFactory(type=Organization.Type.NGO, country=country("KEN")),
            OrganizationFactory(type=Organization.Type.PRIVATE_SECTOR, country=country("FRA")),
            # A UN entity does not decide the cooperation, whatever its country.
            OrganizationFactory(type=Organization.Type.UN_ENTITY, country=country("USA")),
        ],
    )

    [document] = entry_documents([entry.pk])

    assert document[schema.ID] == entry.pk
    assert document["title_en"] == "Solar pumps"
    assert document["body_en"] == "Pumping with the sun.\nPanels and pumps."
    assert {key: document[key] for key in schema.KEYWORD_FIELDS} == {
        "module": ["technology"],
        "kind": ["technology"],
        "language": ["en"],
        "theme": ["climate-change"],
        "sdg_goal": ["6", "7"],
        "sdg_target": ["6.1"],
        "region": ["002", "009", "142"],
        "subregion": ["034", "054", "202"],
        "country": ["FJI", "KEN", "NPL"],
        "country_group": ["ldc", "lldc", "sids"],
        "provider_type": ["ngo", "private-sector", "un-entity"],
        "cooperation": ["triangular"],
    }
    assert entry.cooperation == Entry.Cooperation.TRIANGULAR
    assert schema.DEADLINE not in document
    assert schema.EVENT_START not in document


def test_text_goes_to_the_fields_of_the_entry_language_prepared_for_the_index():
    chinese = EntryFactory(title="雨水收集技术", summary="饮用水", body="", language="zh")
    arabic = EntryFactory(title="حَصـاد مياه الأمطار", summary="", body="", language="ar")

    documents = {d[schema.ID]: d for d in entry_documents([chinese.pk, arabic.pk])}

    assert documents[chinese.pk]["title_zh"].split() == ["雨水", "收集", "技术"]
    assert "title_en" not in documents[chinese.pk]
    assert documents[arabic.pk]["title_ar"] == "حصاد مياه امطار"


def test_event_dates_and_deadline_are_dates_at_midnight_utc():
    event = EventFactory(
        starts_on=datetime.date(2031, 3, 2), ends_on=None, deadline=datetime.date(2031, 2, 1)
    )

    [document] = entry_documents([event.pk])

    assert document[schema.EVENT_START] == datetime.datetime(2031, 3, 2, tzinfo=datetime.UTC)
    assert document[schema.EVENT_END] == document[schema.EVENT_START]
    assert document[schema.DEADLINE] == datetime.datetime(2031, 2, 1, tzinfo=datetime.UTC)
    assert document[schema.PUBLISHED_AT] == event.published_at


def test_only_published_entries_are_yielded():
    published = EntryFactory()
    draft = EntryFactory(status=Entry.Status.DRAFT)
    archived = EntryFactory(status=Entry.Status.ARCHIVED)

    assert [d[schema.ID] for d in entry_documents([published.pk, draft.pk, archived.pk, 0])] == [
        published.pk
    ]
    assert [d[schema.ID] for d in entry_documents()] == [published.pk]


@pytest.mark.parametrize("ids", ["all", "listed"])
def test_documents_cost_a_few_queries_per_batch_whatever_the_number_of_entries(ids):
    def queries(count: int) -> int:
        Entry.objects.all().delete()
        entries = [
            EntryFactory(
                countries_of_origin=[country("KEN")],
                themes=[Theme.objects.first()],
                sdg_targets=[SdgTarget.objects.first()],
                providers=[OrganizationFactory()],
            )
            for _ in range(count)
        ]
        selected = None if ids == "all" else [e.pk for e in entries]
        with CaptureQueriesContext(connection) as captured:
            assert len(list(entry_documents(selected, batch_size=10))) == count
        return len(captured)

    # Four reference tables, then per batch of ten: the entries, five many-to-many tables, the
    # providers and their organizations (new in each batch here); one empty page to stop.
    assert queries(10) == 4 + 8 + (1 if ids == "all" else 0)
    assert queries(30) == 4 + 8 * 3 + (1 if ids == "all" else 0)


def test_the_index_stores_no_text_hits_are_shown_as_the_database_has_them(build_index):
    entry = EntryFactory(title="Solar pumps", summary="Pumping with the sun.", body="")
    gone = EntryFactory(title="Solar dryers", summary="Drying with the sun.", body="")
    engine: SearchEngine = build_index()
    # Changed and deleted behind the index's back (no catch-up): the hits still come up.
    Entry.objects.filter(pk=entry.pk).update(title="Solar water pumps")
    Entry.objects.filter(pk=gone.pk).delete()

    hits = engine.search(SearchRequest(text="solar", facets=())).hits

    assert {hit.entry_id: (hit.title_html, hit.snippet_html) for hit in hits} == {
        entry.pk: ("<mark>Solar</mark> water pumps", "Pumping with the sun."),
        gone.pk: ("", ""),
    }
    # Read with tantivy directly: the documents hold nothing to show.
    searcher = tantivy.Index.open(str(engine.path)).searcher()
    addresses = [address for _, address in searcher.search(tantivy.Query.all_query(), 10).hits]
    assert [searcher.doc(address).to_dict() for address in addresses] == [{}, {}]

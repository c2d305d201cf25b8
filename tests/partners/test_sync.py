"""Storing records from a partner source (partners/sync/): upsert, hash skip, field ownership,
deletions, providers, unknown codes and broken records."""

import datetime
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from catalog import services as catalog_services
from catalog.models import (
    Entry,
    EntryProvider,
    EntryTranslation,
    Organization,
    SdgGoal,
    Tombstone,
)
from partners.connectors.base import Deletion, OrganizationRecord, RecordError
from partners.models import PartnerSource, SyncConflict, SyncRecordError, SyncRun
from partners.services import sync_conflict_resolve, sync_run_claim, sync_run_succeed
from partners.sync import PageStore, sync_run_execute
from search.models import EntryChange
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    PartnerSourceFactory,
    StaffUserFactory,
    country,
)
from tests.partners.feed import ListConnector, entry_record

pytestmark = pytest.mark.django_db

Sync = Callable[..., SyncRun]


@pytest.fixture
def source() -> PartnerSource:
    return PartnerSourceFactory(name="IATI of a partner")


@pytest.fixture
def sync(source: PartnerSource) -> Sync:
    """Run the engine in-process over `records` (one run, marked running) and return the run
    as stored."""

    def run(records: Sequence[Any], *, page_size: int = 10, **kwargs: Any) -> SyncRun:
        queued = SyncRun.objects.create(source=source)
        sync_run = sync_run_claim(run_id=queued.pk)
        assert sync_run is not None
        found = sync_run_execute(
            run=sync_run, connector=ListConnector(records, page_size=page_size, **kwargs)
        )
        assert sync_run_succeed(run=sync_run, counts=found)
        sync_run.refresh_from_db()
        source.refresh_from_db()
        return sync_run

    return run


def counts(run: SyncRun) -> dict[str, int]:
    return {
        name: getattr(run, name)
        for name in ("fetched", "created", "updated", "unchanged", "archived", "failed")
    }


def test_new_records_become_submitted_entries_with_their_relations(
    source: PartnerSource, sync: Sync
) -> None:
    provider = OrganizationRecord(
        name="Kenya Forest Service", external_id="KE-GOV-1", country_iso3="KEN", role="lead"
    )
    record = entry_record(
        "A1",
        titles={"en": "Mangrove restoration", "fr": "Restauration des mangroves"},
        summaries={"en": "Replanting.", "fr": "Replantation."},
        bodies={"en": "Long text."},
        countries_iso3=("KEN", "TZA"),
        origin_countries_iso3=("SEN",),
        theme_slugs=(),
        sdg_targets=("14.2", "13.1"),
        sdg_goals=(15,),
        providers=(provider,),
        links=(("https://example.org/report.pdf", "Report"),),
        source_url="https://iati.example.org/activity/A1",
    )

    run = sync([record])

    assert counts(run) == {
        "fetched": 1,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "archived": 0,
        "failed": 0,
    }
    entry = Entry.objects.get(source=source, external_id="A1")
    assert entry.status == Entry.Status.SUBMITTED
    assert (entry.title, entry.summary, entry.body, entry.language) == (
        "Mangrove restoration",
        "Replanting.",
        "Long text.",
        "en",
    )
    assert entry.source_url == "https://iati.example.org/activity/A1"
    assert entry.content_hash and entry.last_seen_at is not None
    assert sorted(entry.countries_applied.values_list("iso3", flat=True)) == ["KEN", "TZA"]
    assert list(entry.countries_of_origin.values_list("iso3", flat=True)) == ["SEN"]
    assert sorted(entry.sdg_targets.values_list("code", flat=True)) == ["13.1", "14.2"]
    # A target brings its goal.
    assert sorted(entry.sdg_goals.values_list("number", flat=True)) == [13, 14, 15]
    link = EntryProvider.objects.get(entry=entry)
    assert (link.organization.name, link.organization.external_id, link.role) == (
        "Kenya Forest Service",
        "KE-GOV-1",
        "lead",
    )
    assert link.organization.source == source
    assert link.organization.type == Organization.Type.OTHER
    assert list(entry.links.values_list("url", "label")) == [
        ("https://example.org/report.pdf", "Report")
    ]
    assert list(EntryTranslation.objects.filter(entry=entry).values_list("language", "title")) == [
        ("fr", "Restauration des mangroves")
    ]
    # The search index hears of it.
    assert EntryChange.objects.filter(entry_id=entry.pk).exists()
    source.refresh_from_db()
    assert source.checkpoint == {}


def test_publish_directly_publishes_new_entries(source: PartnerSource, sync: Sync) -> None:
    source.publish_directly = True
    source.save()

    sync([entry_record("A1")])

    entry = Entry.objects.get(external_id="A1")
    assert entry.status == Entry.Status.PUBLISHED
    assert entry.published_at is not None


def test_an_unchanged_record_is_skipped_by_its_hash(source: PartnerSource, sync: Sync) -> None:
    sync([entry_record("A1"), entry_record("A2")])
    before = Entry.objects.get(external_id="A1")
    # Read now: `last_seen_at` reads the entry's sighting (a narrow row) when first asked.
    seen_before = before.last_seen_at
    changes = EntryChange.objects.count()

    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        run = sync([entry_record("A1"), entry_record("A2", titles={"en": "New title"})])

    assert (run.unchanged, run.updated, run.created) == (1, 1, 0)
    after = Entry.objects.get(external_id="A1")
    assert after.updated_at == before.updated_at
    assert seen_before is not None and after.last_seen_at > seen_before
    # The entry's wide row was not written: the sighting holds the new time.
    assert after.stored_last_seen_at == before.stored_last_seen_at
    assert Entry.objects.get(external_id="A2").title == "New title"
    # Only the changed entry goes to the search index again.
    assert list(EntryChange.objects.filter(id__gt=0).values_list("entry_id", flat=True))[
        changes:
    ] == [Entry.objects.get(external_id="A2").pk]


def test_a_changed_record_replaces_fields_and_relations(source: PartnerSource, sync: Sync) -> None:
    sync([entry_record("A1", countries_iso3=("KEN",), sdg_targets=("14.2",))])

    run = sync(
        [
            entry_record(
                "A1",
                summaries={"en": "Changed."},
                countries_iso3=("UGA", "RWA"),
                sdg_targets=("6.1",),
            )
        ]
    )

    assert run.updated == 1
    entry = Entry.objects.get(external_id="A1")
    assert entry.summary == "Changed."
    assert sorted(entry.countries_applied.values_list("iso3", flat=True)) == ["RWA", "UGA"]
    assert list(entry.sdg_targets.values_list("code", flat=True)) == ["6.1"]
    assert list(entry.sdg_goals.values_list("number", flat=True)) == [6]
    assert Entry.objects.filter(external_id="A1").count() == 1


def test_fields_a_person_edited_are_kept_and_the_conflict_recorded(
    source: PartnerSource, sync: Sync
) -> None:
    source.publish_directly = True
    source.save()
    sync([entry_record("A1", summaries={"en": "From the source."})])
    entry = Entry.objects.get(external_id="A1")
    member: Membership = MembershipFactory()
    EntryProvider.objects.create(entry=entry, organization=member.organization)
    catalog_services.entry_update(
        entry=entry,
        by=member.user,
        data={
            "title": "Our better title",
            "summary": entry.summary,
            "kind": entry.kind,
            "body": entry.body,
            "language": "en",
            "contact_name": "",
            "contact_email": "",
        },
    )
    entry.refresh_from_db()
    assert entry.locally_edited_fields == ["title"]

    run = sync(
        [entry_record("A1", titles={"en": "Source title v2"}, summaries={"en": "Source v2."})]
    )

    entry.refresh_from_db()
    assert run.updated == 1
    assert entry.title == "Our better title"  # ours
    assert entry.summary == "Source v2."  # the source's
    conflict = SyncConflict.objects.get(entry=entry)
    assert (conflict.field, conflict.our_value, conflict.source_value, conflict.run) == (
        "title",
        "Our better title",
        "Source title v2",
        run,
    )

    # The source changes it again: the same open conflict holds its latest value.
    sync([entry_record("A1", titles={"en": "Source title v3"}, summaries={"en": "Source v2."})])
    conflict = SyncConflict.objects.get(entry=entry, resolved=False)
    assert conflict.source_value == "Source title v3"
    entry.refresh_from_db()
    assert entry.title == "Our better title"


def test_staff_take_the_sources_value_and_the_field_goes_back_to_the_source(
    source: PartnerSource, sync: Sync
) -> None:
    sync([entry_record("A1")])
    entry = Entry.objects.get(external_id="A1")
    Entry.objects.filter(pk=entry.pk).update(
        title="Ours", locally_edited_fields=["title", "sdg_targets"]
    )
    sync([entry_record("A1", titles={"en": "Theirs"}, sdg_targets=("6.1",))])
    title = SyncConflict.objects.get(entry=entry, field="title")
    targets = SyncConflict.objects.get(entry=entry, field="sdg_targets")
    staff: User = StaffUserFactory()

    sync_conflict_resolve(conflict=title, keep="source", by=staff)
    sync_conflict_resolve(conflict=targets, keep="ours", by=staff)

    entry.refresh_from_db()
    assert entry.title == "Theirs"
    assert entry.locally_edited_fields == ["sdg_targets"]
    assert list(entry.sdg_targets.values_list("code", flat=True)) == ["14.2"]
    assert not SyncConflict.objects.filter(resolved=False).exists()
    # The next sync updates the title again; the targets stay ours.
    sync([entry_record("A1", titles={"en": "Theirs, v2"}, sdg_targets=("6.1",))])
    entry.refresh_from_db()
    assert entry.title == "Theirs, v2"
    assert list(entry.sdg_targets.values_list("code", flat=True)) == ["14.2"]


def test_a_deletion_archives_the_entry_and_the_record_can_come_back(
    source: PartnerSource, sync: Sync
) -> None:
    source.publish_directly = True
    source.save()
    sync([entry_record("A1"), entry_record("A2")])
    entry = Entry.objects.get(external_id="A1")

    run = sync([Deletion("A1"), Deletion("unknown")])

    assert (run.archived, run.unchanged) == (1, 1)
    entry.refresh_from_db()
    assert entry.status == Entry.Status.ARCHIVED  # never deleted: matches keep pointing at it
    assert Tombstone.objects.filter(model="entry", object_id=entry.pk).count() == 1
    assert Entry.objects.get(external_id="A2").status == Entry.Status.PUBLISHED

    # Deleted again: nothing more happens.
    assert sync([Deletion("A1")]).archived == 0
    # The record is published again at the source: the entry comes back.
    run = sync([entry_record("A1")])
    entry.refresh_from_db()
    assert (run.updated, entry.status) == (1, Entry.Status.PUBLISHED)


def test_an_entry_archived_by_staff_stays_archived_when_its_record_changes(
    source: PartnerSource, sync: Sync
) -> None:
    sync([entry_record("A1")])
    staff: User = StaffUserFactory()
    Entry.objects.filter(external_id="A1").update(status=Entry.Status.ARCHIVED, archived_by=staff)

    sync([entry_record("A1", titles={"en": "Changed"})])

    assert Entry.objects.get(external_id="A1").status == Entry.Status.ARCHIVED


def test_a_completed_full_pass_archives_what_the_source_no_longer_lists(
    source: PartnerSource, sync: Sync
) -> None:
    sync([entry_record("A1"), entry_record("A2"), entry_record("A3")])

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        run = sync([entry_record("A1"), entry_record("A3")])

    assert run.archived == 1
    assert Entry.objects.get(external_id="A2").status == Entry.Status.ARCHIVED
    assert Entry.objects.get(external_id="A1").status == Entry.Status.SUBMITTED


def test_a_sighting_from_an_earlier_pass_does_not_keep_an_entry(
    source: PartnerSource, sync: Sync
) -> None:
    sync([entry_record("A1"), entry_record("A2")])
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        assert sync([entry_record("A1"), entry_record("A2")]).unchanged == 2
    sighted = Entry.objects.get(external_id="A2")
    assert sighted.last_seen_at == sighted.sighting.seen_at > sighted.stored_last_seen_at

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=10)):
        run = sync([entry_record("A1")])

    assert (run.unchanged, run.archived) == (1, 1)
    assert Entry.objects.get(external_id="A2").status == Entry.Status.ARCHIVED
    assert Entry.objects.get(external_id="A1").status == Entry.Status.SUBMITTED


def test_a_pass_that_lists_nothing_archives_nothing(source: PartnerSource, sync: Sync) -> None:
    sync([entry_record("A1")])

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        assert sync([]).archived == 0

    assert Entry.objects.get(external_id="A1").status == Entry.Status.SUBMITTED


def test_unknown_codes_fail_only_their_record(source: PartnerSource, sync: Sync) -> None:
    run = sync(
        [
            entry_record("good"),
            entry_record("bad-country", countries_iso3=("XXX",)),
            entry_record("bad-target", sdg_targets=("99.9",), theme_slugs=("no-such-theme",)),
        ]
    )

    assert (run.created, run.failed) == (1, 2)
    assert list(Entry.objects.values_list("external_id", flat=True)) == ["good"]
    errors = dict(SyncRecordError.objects.values_list("external_id", "message"))
    assert "country “XXX”" in errors["bad-country"]
    assert "SDG target “99.9”" in errors["bad-target"]
    assert "theme “no-such-theme”" in errors["bad-target"]


def test_broken_records_are_skipped_with_a_clear_error(source: PartnerSource, sync: Sync) -> None:
    run = sync(
        [
            RecordError("The activity is not valid against the 2.03 schema.", external_id="X1"),
            ValueError("bad bytes"),
            entry_record(""),
            entry_record("nul\x00", titles={"en": "Title with a NUL \x00 character"}),
            entry_record(
                "dates",
                module="event",
                kind="workshop",
                starts_on=datetime.date(2026, 5, 2),
                ends_on=datetime.date(2026, 5, 1),
            ),  # fmt: skip
            entry_record("kind", kind="workshop"),
            entry_record("no-title", titles={"de": "Nur Deutsch"}),
            entry_record("ok"),
        ]
    )

    assert (run.fetched, run.created, run.failed) == (8, 2, 6)
    messages = list(SyncRecordError.objects.values_list("external_id", "message"))
    assert ("X1", "The activity is not valid against the 2.03 schema.") in messages
    assert ("", "The record could not be read (ValueError: bad bytes).") in messages
    assert ("", "The record has no identifier.") in messages
    assert Entry.objects.get(external_id="nul").title == "Title with a NUL  character"


def test_a_record_listed_twice_in_a_page_is_stored_once(source: PartnerSource, sync: Sync) -> None:
    run = sync([entry_record("A1"), entry_record("A1", titles={"en": "Second copy"})])

    assert (run.created, run.unchanged) == (1, 1)
    assert Entry.objects.get(external_id="A1").title == "Second copy"


def test_providers_are_found_before_they_are_created(source: PartnerSource, sync: Sync) -> None:
    existing = OrganizationFactory(name="Centre Régional AGRHYMET", country=country("NER"))
    run = sync(
        [
            entry_record(
                "A1",
                providers=(
                    OrganizationRecord(name="centre regional agrhymet", country_iso3="NER"),
                    OrganizationRecord(name="Nameless Land Org", country_iso3=""),
                    OrganizationRecord(name="New Funder", country_iso3="NOR", role="funder"),
                ),
            ),
            entry_record(
                "A2", providers=(OrganizationRecord(name="New Funder", country_iso3="NOR"),)
            ),
        ]
    )

    assert run.failed == 0
    entry = Entry.objects.get(external_id="A1")
    assert sorted(entry.provider_links.values_list("organization__name", "role")) == [
        ("Centre Régional AGRHYMET", "lead"),
        ("New Funder", "funder"),
    ]
    assert Organization.objects.filter(name="New Funder").count() == 1
    warning = SyncRecordError.objects.get(external_id="A1")
    assert warning.is_warning and "Nameless Land Org" in warning.message
    assert existing.source is None  # another's organization is not taken over


def test_organization_records_are_upserted(source: PartnerSource, sync: Sync) -> None:
    record = OrganizationRecord(
        name="Partner Institute", external_id="XM-1", country_iso3="IND", type="ngo"
    )
    assert sync([record]).created == 1
    assert sync([record]).unchanged == 1
    changed = OrganizationRecord(
        name="Partner Institute", external_id="XM-1", country_iso3="IND", type="university-research"
    )
    run = sync([changed])
    assert run.updated == 1
    organization = Organization.objects.get(source=source, external_id="XM-1")
    assert organization.type == "university-research"
    assert sync([OrganizationRecord(name="Nowhere", external_id="XM-2")]).failed == 1


def test_the_source_field_mapping_overrides_module_kind_and_codes(
    source: PartnerSource, sync: Sync
) -> None:
    source.field_mapping = {
        "module": "technology",
        "kind": "tool",
        "countries": {"KOS": "SRB"},
        "sdg_targets": {"14.02": "14.2"},
    }
    source.save()

    run = sync([entry_record("A1", countries_iso3=("KOS",), sdg_targets=("14.02",))])

    assert run.failed == 0
    entry = Entry.objects.get(external_id="A1")
    assert (entry.module, entry.kind) == ("technology", "tool")
    assert list(entry.countries_applied.values_list("iso3", flat=True)) == ["SRB"]
    assert list(entry.sdg_targets.values_list("code", flat=True)) == ["14.2"]


def test_a_page_is_stored_whole_or_not_at_all(source: PartnerSource) -> None:
    """A failure inside a page's transaction (here: the run was failed meanwhile) leaves no
    entry, count or checkpoint of that page."""
    from partners.connectors.base import Page
    from partners.sync import RunLost

    run = SyncRun.objects.create(source=source, status=SyncRun.Status.FAILED)
    store = PageStore(run=run, connector=ListConnector([]))

    with pytest.raises(RunLost):
        store.store(Page([entry_record("A1")], {"offset": 1}))

    assert not Entry.objects.exists()
    source.refresh_from_db()
    run.refresh_from_db()
    assert (source.checkpoint, run.fetched) == ({}, 0)
    assert SdgGoal.objects.exists()


def test_the_entry_page_offers_the_other_languages_of_a_synced_entry(
    source: PartnerSource, sync: Sync, client: Any
) -> None:
    source.publish_directly = True
    source.save()
    sync(
        [
            entry_record(
                "A1",
                titles={"en": "Mangrove restoration", "fr": "Restauration des mangroves"},
                summaries={"en": "Replanting.", "fr": "Replantation communautaire."},
            )
        ]
    )
    entry = Entry.objects.get(external_id="A1")

    page = client.get(
        reverse("catalog:entry_detail", kwargs={"module": entry.module, "pk": entry.pk})
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert "Read in French" in html
    assert '<div lang="fr" dir="auto"><h2>Restauration des mangroves</h2>' in html
    assert "Replantation communautaire." in html


def test_a_record_the_database_refuses_is_skipped_and_the_rest_of_its_page_stored(
    source: PartnerSource, sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rule no check before the database foresaw: here, titles longer than the column.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce the length of a text column.")
    monkeypatch.setattr("partners.sync.records._TITLE_MAX", 1000)

    run = sync(
        [entry_record("A1"), entry_record("A2", titles={"en": "x" * 400}), entry_record("A3")]
    )

    assert (run.fetched, run.created, run.failed, run.pages) == (3, 2, 1, 1)
    assert sorted(Entry.objects.values_list("external_id", flat=True)) == ["A1", "A3"]
    error = SyncRecordError.objects.get(run=run)
    assert error.external_id == "A2"
    assert error.message.startswith("The record could not be stored: value too long")

"""The change log gets a row in the transaction of every change an entry's search document is
made of, and none when that transaction rolls back."""

import pytest
from django.db import transaction

from accounts.models import User
from catalog.models import (
    Country,
    Entry,
    EntryProvider,
    Organization,
    SdgGoal,
    SdgTarget,
    SupportKind,
    Technology,
    Theme,
)
from catalog.services import entry_archive
from search.changelog import log_entry_changes, log_entry_changes_for
from search.models import EntryChange
from tests.factories import EntryFactory, OrganizationFactory, StaffUserFactory, country

pytestmark = pytest.mark.django_db


def logged_after(change_id: int) -> list[int]:
    """Entry ids of the log rows written after `change_id`, in log order."""
    return list(
        EntryChange.objects.filter(id__gt=change_id)
        .order_by("id")
        .values_list("entry_id", flat=True)
    )


def last_change_id() -> int:
    last = EntryChange.objects.order_by("-id").first()
    return last.id if last else 0


def test_creating_saving_and_deleting_an_entry_each_log_it() -> None:
    start = last_change_id()
    entry = EntryFactory()
    entry_id = entry.pk
    assert logged_after(start) == [entry_id]

    start = last_change_id()
    entry.title = "Solar water pumps"
    entry.save(update_fields=["title", "updated_at"])
    assert logged_after(start) == [entry_id]

    start = last_change_id()
    entry.delete()
    assert logged_after(start) == [entry_id]


def test_an_entry_saved_through_its_module_proxy_is_logged() -> None:
    start = last_change_id()
    technology = Technology.objects.create(
        kind=Entry.Kind.TOOL, title="Drip kit", summary="Kit.", language="en"
    )
    assert logged_after(start) == [technology.pk]


def test_a_moderation_service_logs_the_entry_it_changes() -> None:
    entry: Entry = EntryFactory()
    staff: User = StaffUserFactory()
    start = last_change_id()
    entry_archive(entry=entry, by=staff)
    assert logged_after(start) == [entry.pk]


def _targets(field: str) -> list[object]:
    if field in ("countries_of_origin", "countries_applied"):
        return [country("KEN"), country("BRA")]
    if field == "themes":
        return list(Theme.objects.order_by("pk")[:2])
    if field == "sdg_goals":
        return list(SdgGoal.objects.order_by("pk")[:2])
    if field == "sdg_targets":
        return list(SdgTarget.objects.order_by("pk")[:2])
    if field == "support_kinds":
        return list(SupportKind.objects.order_by("pk")[:2])
    return [OrganizationFactory(), OrganizationFactory()]


M2M_FIELDS = [
    "countries_of_origin",
    "countries_applied",
    "themes",
    "sdg_goals",
    "sdg_targets",
    "support_kinds",
    "providers",
    "member_organizations",
]


@pytest.mark.parametrize("field", M2M_FIELDS)
def test_adding_removing_and_clearing_a_many_to_many_of_an_entry_logs_it(field: str) -> None:
    entry = EntryFactory()
    first, second = _targets(field)
    manager = getattr(entry, field)

    start = last_change_id()
    manager.add(first, second)
    assert logged_after(start) == [entry.pk]

    start = last_change_id()
    manager.remove(first)
    assert entry.pk in logged_after(start)

    start = last_change_id()
    manager.clear()
    assert entry.pk in logged_after(start)
    assert not manager.exists()


@pytest.mark.parametrize("field", M2M_FIELDS)
def test_changing_a_many_to_many_from_the_other_side_logs_the_entries(field: str) -> None:
    one, two, untouched = EntryFactory(), EntryFactory(), EntryFactory()
    target = _targets(field)[0]
    reverse = Entry._meta.get_field(field).remote_field.get_accessor_name()  # type: ignore[union-attr]
    assert reverse
    manager = getattr(target, reverse)
    untouched_manager = getattr(untouched, field)
    untouched_manager.add(_targets(field)[1])

    # Sets: through `EntryProvider`, a link's own delete is logged as well.
    start = last_change_id()
    manager.add(one, two)
    assert set(logged_after(start)) == {one.pk, two.pk}

    start = last_change_id()
    manager.remove(two)
    assert set(logged_after(start)) == {two.pk}

    start = last_change_id()
    manager.clear()
    assert set(logged_after(start)) == {one.pk}


def test_a_provider_link_saved_or_deleted_logs_its_entry() -> None:
    entry = EntryFactory()
    organization = OrganizationFactory()
    start = last_change_id()
    link = EntryProvider.objects.create(entry=entry, organization=organization)
    assert logged_after(start) == [entry.pk]

    start = last_change_id()
    link.role = EntryProvider.Role.FUNDER
    link.save()
    link.delete()
    assert logged_after(start) == [entry.pk, entry.pk]


@pytest.mark.parametrize(
    ("change", "logged"),
    [
        ({"type": Organization.Type.UN_ENTITY}, True),
        ({"country_id": "DEU"}, True),
        ({"description": "A new description."}, False),
        ({"name": "Renamed institute"}, False),
    ],
)
def test_an_organization_logs_its_entries_when_what_they_show_of_it_changes(
    change: dict[str, str], logged: bool
) -> None:
    """Entries' documents hold their providers' type and country (South-South or triangular)."""
    organization = OrganizationFactory(country=country("KEN"))
    provided = EntryFactory(providers=[organization])
    network = EntryFactory(module=Entry.Module.NETWORK, kind=Entry.Kind.NETWORK)
    network.member_organizations.add(organization)
    EntryFactory(providers=[OrganizationFactory()])  # another organization's entry

    start = last_change_id()
    for name, value in change.items():
        setattr(
            organization,
            name,
            Country.objects.get(iso3=value).pk if name == "country_id" else value,
        )
    organization.save()
    assert sorted(logged_after(start)) == (sorted([provided.pk, network.pk]) if logged else [])


def test_deleting_a_member_organization_logs_its_networks() -> None:
    organization = OrganizationFactory()
    network = EntryFactory(module=Entry.Module.NETWORK, kind=Entry.Kind.NETWORK)
    network.member_organizations.add(organization)
    start = last_change_id()
    organization.delete()
    assert logged_after(start) == [network.pk]


def test_a_rolled_back_change_leaves_no_log_row() -> None:
    entry = EntryFactory()
    theme = Theme.objects.order_by("pk").first()
    start = last_change_id()
    with pytest.raises(RuntimeError), transaction.atomic():
        entry.title = "Changed, then rolled back"
        entry.save()
        entry.themes.add(theme)
        EntryFactory()
        log_entry_changes([entry.pk])
        assert len(logged_after(start)) == 4
        raise RuntimeError("roll back")
    assert logged_after(start) == []


def test_log_entry_changes_logs_each_entry_once_in_the_callers_transaction() -> None:
    entries = [EntryFactory() for _ in range(3)]
    ids = [e.pk for e in entries]
    start = last_change_id()
    with transaction.atomic():
        Entry.objects.filter(pk__in=ids).update(title="Bulk retitled")  # sends no signal
        assert logged_after(start) == []
        assert log_entry_changes([ids[2], ids[0], ids[1], ids[0]]) == 3
    assert logged_after(start) == sorted(ids)
    assert log_entry_changes([]) == 0


@pytest.mark.django_db(transaction=True)
def test_a_transaction_rolled_back_at_the_database_leaves_no_log_row() -> None:
    """Not a savepoint this time: the whole transaction, as a failed request's."""
    if not Country.objects.exists():
        from django.core.management import call_command

        call_command("load_reference", verbosity=0)
    entry = EntryFactory()
    start = last_change_id()
    with pytest.raises(RuntimeError), transaction.atomic():
        entry.title = "Never committed"
        entry.save()
        entry.countries_applied.add(country("BRA"))
        raise RuntimeError("roll back")
    assert logged_after(start) == []
    assert Entry.objects.get(pk=entry.pk).title != "Never committed"


def test_log_entry_changes_for_a_queryset_logs_each_entry_once_in_one_statement() -> None:
    """For the generator's COPY of a million entries: no ids through Python."""
    provider = OrganizationFactory()
    provided = [EntryFactory(providers=[provider]) for _ in range(3)]
    EntryFactory()
    start = last_change_id()
    with transaction.atomic():
        # A join that repeats entries (one row per provider link) still logs each once.
        EntryProvider.objects.create(entry=provided[0], organization=OrganizationFactory())
        start = last_change_id()
        written = log_entry_changes_for(Entry.objects.filter(providers__country__iso3="KEN"))
    assert written == 3
    assert logged_after(start) == sorted(e.pk for e in provided)
    assert log_entry_changes_for(Entry.objects.none()) == 0

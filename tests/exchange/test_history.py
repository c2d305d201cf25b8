import pytest

from catalog.models import Entry, Theme
from tests.factories import EntryFactory, NeedFactory, country

pytestmark = pytest.mark.django_db


def test_a_theme_added_from_the_theme_side_records_a_version_of_the_entry() -> None:
    entry: Entry = EntryFactory()
    theme = Theme.objects.order_by("pk").first()
    assert theme is not None
    versions = entry.history.count()

    theme.entries.add(entry)

    assert entry.history.count() == versions + 1
    latest = entry.history.latest()
    assert list(latest.themes.values_list("theme_id", flat=True)) == [theme.pk]


def test_clearing_from_the_country_side_records_the_entries_it_was_linked_to() -> None:
    kenya = country("KEN")
    linked, other = EntryFactory(countries_applied=[kenya]), EntryFactory()
    versions = (linked.history.count(), other.history.count())

    kenya.entries_applied.clear()

    assert (linked.history.count(), other.history.count()) == (versions[0] + 1, versions[1])
    assert not linked.history.latest().countries_applied.exists()


def test_a_need_edit_records_who_changed_what() -> None:
    need = NeedFactory(title="Early warning")
    need.title = "Drought early warning"
    need.save()

    latest, previous = need.history.all()[:2]
    assert latest.diff_against(previous).changed_fields == ["title"]

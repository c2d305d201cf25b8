"""The synthetic catalogue generator: realistic, valid, deterministic rows, stored once per seed."""

import collections
import datetime
import hashlib
import io
import itertools
import re

import pytest
from django.core.management import CommandError, call_command

from catalog.generator import (
    LANGUAGE_SHARES,
    MODULE_SHARES,
    GeneratorError,
    catalogue_generate,
    generate_organizations,
    iter_entries,
    iter_needs,
    reference_load,
    source_name,
)
from catalog.models import Country, Entry, EntryProvider, Organization
from matching.models import Need
from partners.models import PartnerSource
from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 1)
ENTRIES = 2_000
NEEDS = 200


@pytest.fixture
def generated() -> PartnerSource:
    catalogue_generate(entries=ENTRIES, needs=NEEDS, seed=11, batch_size=700, today=TODAY)
    return PartnerSource.objects.get(name=source_name(11))


def _entry_digest(seed: int, count: int) -> str:
    reference = reference_load()
    organizations = generate_organizations(reference, seed=seed, count=50, today=TODAY)
    digest = hashlib.sha256()
    for entry in iter_entries(reference, organizations, seed=seed, count=count, today=TODAY):
        digest.update(f"{entry.title}|{entry.summary}|{entry.body}|{entry.providers}".encode())
    return digest.hexdigest()


def test_same_seed_generates_the_same_rows_and_another_seed_does_not() -> None:
    assert _entry_digest(5, 1_500) == _entry_digest(5, 1_500)
    assert _entry_digest(5, 1_500) != _entry_digest(6, 1_500)


def test_an_entry_does_not_depend_on_how_many_are_generated() -> None:
    reference = reference_load()
    organizations = generate_organizations(reference, seed=5, count=50, today=TODAY)
    few = list(iter_entries(reference, organizations, seed=5, count=1_200, today=TODAY))
    many = iter_entries(reference, organizations, seed=5, count=3_000, today=TODAY)
    assert few == list(itertools.islice(many, 1_200))


def test_texts_read_like_catalogue_entries_of_50_to_100_words() -> None:
    reference = reference_load()
    organizations = generate_organizations(reference, seed=5, count=50, today=TODAY)
    entries = list(iter_entries(reference, organizations, seed=5, count=2_000, today=TODAY))
    spaced = [e for e in entries if e.language != "zh"]
    words = [len(f"{e.summary} {e.body}".split()) for e in spaced]
    assert 50 <= sum(words) / len(words) <= 100
    assert all(len(e.title) <= 300 and len(e.summary) <= 1000 for e in entries)


def test_terms_follow_a_skewed_frequency_distribution() -> None:
    reference = reference_load()
    organizations = generate_organizations(reference, seed=5, count=50, today=TODAY)
    english = [
        e
        for e in iter_entries(reference, organizations, seed=5, count=3_000, today=TODAY)
        if e.language == "en"
    ]
    counts = collections.Counter(
        word for e in english for word in re.findall(r"[a-z]+", f"{e.summary} {e.body}".lower())
    )
    ranked = [counts[w] for w in ("development", "capacity", "climate", "insurance", "hydrogen")]
    # Common terms are in many entries, rare ones still in a few percent of them.
    assert ranked[0] > 5 * ranked[3]
    assert ranked[3] > len(english) * 0.02
    assert ranked[4] > 0


def test_needs_do_not_depend_on_how_many_are_generated() -> None:
    reference = reference_load()
    few = list(iter_needs(reference, seed=5, count=1_100, today=TODAY))
    many = iter_needs(reference, seed=5, count=2_500, today=TODAY)
    assert few == list(itertools.islice(many, 1_100))


def test_generator_stores_the_requested_rows_in_realistic_module_shares(
    generated: PartnerSource,
) -> None:
    entries = Entry.objects.filter(source=generated)
    assert entries.count() == ENTRIES
    assert Need.objects.filter(source=generated).count() == NEEDS
    assert Organization.objects.filter(source=generated).count() == ENTRIES // 20
    shares = collections.Counter(entries.values_list("module", flat=True))
    for module, share in MODULE_SHARES.items():
        assert shares[module] / ENTRIES == pytest.approx(share, abs=0.03), module
    assert set(entries.values_list("external_id", flat=True)) == {
        f"gen-11-{n}" for n in range(ENTRIES)
    }
    assert set(Need.objects.filter(source=generated).values_list("external_id", flat=True)) == {
        f"gen-11-need-{n}" for n in range(NEEDS)
    }


def test_entries_come_in_all_six_languages_mostly_english(generated: PartnerSource) -> None:
    languages = collections.Counter(
        Entry.objects.filter(source=generated).values_list("language", flat=True)
    )
    assert set(languages) == set(LANGUAGE_SHARES) == {"en", "fr", "es", "zh", "ar", "ru"}
    assert languages.most_common(1)[0][0] == "en"


def test_generated_entries_pass_model_validation_with_their_dates(
    generated: PartnerSource,
) -> None:
    entries = Entry.objects.filter(source=generated)
    dated = list(entries.filter(module__in=["event", "opportunity"]).order_by("pk")[:300])
    sample = dated + list(entries.exclude(module__in=["event", "opportunity"])[:200])
    for entry in sample:
        entry.full_clean()
    assert any(e.deadline and e.starts_on for e in dated)
    assert any(e.ends_on and e.starts_on and e.ends_on > e.starts_on for e in dated)
    assert any(e.module == "event" and not e.is_online and e.venue_country_id for e in dated)
    assert entries.filter(status=Entry.Status.PUBLISHED).count() > ENTRIES * 0.8
    confirmed_years = {d.year for d in entries.values_list("last_confirmed_on", flat=True) if d}
    assert len(confirmed_years) >= 5


def test_entries_carry_reference_links_and_providers(generated: PartnerSource) -> None:
    entries = Entry.objects.filter(source=generated)
    for link in ("countries_applied", "countries_of_origin", "themes", "sdg_goals"):
        assert not entries.filter(**{f"{link}__isnull": True}).exists(), link
    assert entries.filter(sdg_targets__isnull=False).distinct().count() > ENTRIES * 0.5
    assert entries.southern().count() > ENTRIES * 0.8
    assert ENTRIES * 0.05 < entries.triangular().count() < ENTRIES * 0.3
    networks = entries.filter(module=Entry.Module.NETWORK)
    assert not networks.filter(member_organizations__isnull=True).exists()
    leads = EntryProvider.objects.filter(entry__source=generated, role=EntryProvider.Role.LEAD)
    assert leads.count() > ENTRIES * 0.9


def test_needs_have_countries_and_the_office_of_their_first_country(
    generated: PartnerSource,
) -> None:
    needs = Need.objects.filter(source=generated).prefetch_related("countries")
    through = Need.countries.through.objects.order_by("pk")
    first_country: dict[int, int] = {}
    for need_id, country_id in through.values_list("need_id", "country_id"):
        first_country.setdefault(need_id, country_id)
    offices = dict(Country.objects.values_list("pk", "regional_office_id"))
    for need in needs:
        assert 1 <= len(need.countries.all()) <= 3
        assert need.regional_office_id == offices[first_country[need.pk]]
        need.full_clean()
    statuses = collections.Counter(n.status for n in needs)
    assert len(statuses) == len(Need.Status)
    assert not needs.filter(status=Need.Status.CLOSED, closed_reason="").exists()
    assert len({n.origin for n in needs}) >= 6


def test_stored_rows_are_the_ones_the_pure_functions_generate(generated: PartnerSource) -> None:
    reference = reference_load()
    organizations = generate_organizations(reference, seed=11, count=ENTRIES // 20, today=TODAY)
    expected = [
        (e.external_id, e.title, e.summary)
        for e in iter_entries(reference, organizations, seed=11, count=ENTRIES, today=TODAY)
    ]
    stored = Entry.objects.filter(source=generated).order_by("pk")
    assert list(stored.values_list("external_id", "title", "summary")) == expected


def test_running_the_same_seed_again_is_refused_and_changes_nothing(
    generated: PartnerSource,
) -> None:
    with pytest.raises(GeneratorError, match="seed 11 is already loaded"):
        catalogue_generate(entries=10, needs=1, seed=11, today=TODAY)
    assert Entry.objects.filter(source=generated).count() == ENTRIES


def test_generator_adds_to_tables_that_already_hold_rows() -> None:
    existing = EntryFactory()
    catalogue_generate(entries=300, needs=30, seed=21, today=TODAY)
    catalogue_generate(entries=300, needs=30, seed=22, today=TODAY)
    assert Entry.objects.filter(pk=existing.pk).exists()
    assert Entry.objects.count() == 601
    assert Entry.objects.filter(source__name=source_name(22)).count() == 300


def test_bulk_create_fallback_stores_the_same_rows_as_copy() -> None:
    copied = catalogue_generate(entries=250, needs=25, seed=31, today=TODAY, use_copy=True)
    created = catalogue_generate(entries=250, needs=25, seed=32, today=TODAY, use_copy=False)
    assert created.method == "bulk_create"
    assert set(created.rows) == set(copied.rows)
    assert created.rows["catalog_entry"] == 250 and created.rows["matching_need"] == 25
    reference = reference_load()
    organizations = generate_organizations(reference, seed=32, count=20, today=TODAY)
    expected = [
        (e.external_id, e.title, len(e.countries_applied), len(e.providers))
        for e in iter_entries(reference, organizations, seed=32, count=250, today=TODAY)
    ]
    stored = Entry.objects.filter(source__name=source_name(32)).order_by("pk")
    assert [
        (e.external_id, e.title, e.countries_applied.count(), e.provider_links.count())
        for e in stored
    ] == expected


def test_command_reports_rows_and_timing_and_refuses_a_loaded_seed() -> None:
    out = io.StringIO()
    call_command("generate_catalogue", entries=100, needs=10, seed=41, stdout=out)
    assert re.search(r"Generated [\d,]+ rows for seed 41 with copy in [\d.]+ s", out.getvalue())
    assert "catalog_entry: 100 rows" in out.getvalue()
    with pytest.raises(CommandError, match="already loaded"):
        call_command("generate_catalogue", entries=100, needs=10, seed=41, stdout=out)


def test_generated_entries_are_logged_for_the_search_index(generated: PartnerSource) -> None:
    from search.models import EntryChange

    entry_ids = set(Entry.objects.filter(source=generated).values_list("pk", flat=True))
    logged = set(EntryChange.objects.values_list("entry_id", flat=True))
    assert len(entry_ids) == ENTRIES
    assert entry_ids <= logged

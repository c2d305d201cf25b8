"""Cross-source de-duplication of organizations: the keys, the automatic rule the sync engine
applies, the candidate groups staff see, and the merge (every relation re-pointed, provenance
kept, nothing lost when it cannot be done)."""

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models

from accounts.models import AccessRequest, ApiKey, Invitation, Membership, User
from catalog.models import Entry, EntryProvider, Organization, Tombstone
from exchange.errors import ApplicationError
from partners.connectors.base import OrganizationRecord
from partners.dedup import (
    acronym_key,
    duplicate_candidates,
    find_organization,
    find_organization_ids,
    name_key,
    organization_for_alias,
    organization_merge,
    website_host,
)
from partners.models import OrganizationAlias, PartnerSource
from search.models import EntryChange
from tests.factories import (
    EntryFactory,
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    PartnerSourceFactory,
    StaffUserFactory,
    UserFactory,
    country,
)

pytestmark = pytest.mark.django_db


def _staff() -> User:
    staff: User = StaffUserFactory()
    return staff


# --- Keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Centre Régional AGRHYMET", "centre regional agrhymet"),
        ("The Energy and Resources Institute", "Energy & Resources Institute"),
        ("Tata Consultancy Services Ltd.", "TATA CONSULTANCY SERVICES LIMITED"),
        ("Grupo Bimbo S.A.", "Grupo Bimbo"),
        ("Acme Solar Pvt. Ltd.", "Acme Solar"),
        ("Fundação Oswaldo Cruz", "Fundacao Oswaldo-Cruz"),
        ("Practical Action, Inc", "practical action"),
    ],
)
def test_spellings_of_one_organization_share_a_name_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # Words that say what an organization is are kept.
        ("Ford Foundation", "Ford"),
        ("Aga Khan Trust", "Aga Khan Foundation"),
        ("Institute of Development Studies", "Development Studies"),
    ],
)
def test_different_organizations_keep_different_name_keys(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


def test_a_name_that_is_only_a_legal_form_is_kept() -> None:
    assert name_key("Limited") == "limited"
    assert name_key("The") == "the"


def test_website_host_ignores_www_case_paths_and_shared_hosts() -> None:
    assert website_host("https://WWW.icimod.org/about-us?x=1") == "icimod.org"
    assert website_host("icimod.org") == "icimod.org"
    assert website_host("http://www.facebook.com/some-ngo") == ""
    assert website_host("https://my-ngo.wordpress.com") == ""
    assert website_host("") == ""
    assert website_host("http://[broken") == ""


def test_acronym_key_drops_punctuation_and_case() -> None:
    assert acronym_key("I.C.I.M.O.D.") == acronym_key("icimod") == "icimod"


# --- find_organization -------------------------------------------------------------------------


def test_find_organization_by_name_key_and_country() -> None:
    teri: Organization = OrganizationFactory(
        name="The Energy and Resources Institute", country=country("IND")
    )
    OrganizationFactory(name="Energy and Resources Institute", country=country("KEN"))

    found = find_organization(
        OrganizationRecord(name="Energy & Resources Institute", country_iso3="IND")
    )

    assert found == teri


def test_find_organization_without_country_needs_a_unique_name() -> None:
    OrganizationFactory(name="Practical Action", country=country("KEN"))
    only: Organization = OrganizationFactory(name="Barefoot College", country=country("IND"))

    assert find_organization(OrganizationRecord(name="BAREFOOT COLLEGE")) == only
    OrganizationFactory(name="Practical Action Ltd", country=country("BGD"))
    # Two organizations have the name: ambiguous, so none.
    assert find_organization(OrganizationRecord(name="Practical Action")) is None


def test_find_organization_by_website_with_country_or_acronym() -> None:
    icimod: Organization = OrganizationFactory(
        name="International Centre for Integrated Mountain Development",
        acronym="ICIMOD",
        website="https://www.icimod.org/",
        country=country("NPL"),
    )

    assert (
        find_organization(OrganizationRecord(name="ICIMOD", website="http://icimod.org/about"))
        == icimod
    )
    assert (
        find_organization(
            OrganizationRecord(
                name="Int. Centre Mountain Dev.", website="icimod.org", country_iso3="NPL"
            )
        )
        == icimod
    )
    # The same host alone is not enough.
    assert find_organization(OrganizationRecord(name="Somebody", website="icimod.org")) is None


def test_find_organization_by_source_external_id_and_iati_identifier() -> None:
    iati_a: PartnerSource = PartnerSourceFactory(connector=PartnerSource.Connector.IATI)
    iati_b: PartnerSource = PartnerSourceFactory(connector=PartnerSource.Connector.IATI)
    ckan: PartnerSource = PartnerSourceFactory(connector=PartnerSource.Connector.CKAN)
    undp: Organization = OrganizationFactory(
        name="United Nations Development Programme",
        source=iati_a,
        external_id="XM-DAC-41114",
        country=country("USA"),
    )
    record = OrganizationRecord(name="UNDP", external_id="XM-DAC-41114")

    assert find_organization(record, source=iati_a) == undp
    # IATI identifiers are global: another IATI source finds it too...
    assert find_organization(record, source=iati_b) == undp
    # ...but an identifier from a CKAN portal means nothing elsewhere.
    assert find_organization(record, source=ckan) is None


def test_a_source_saying_two_organizations_differ_is_believed() -> None:
    source: PartnerSource = PartnerSourceFactory()
    OrganizationFactory(
        name="Ministry of Environment", country=country("KEN"), source=source, external_id="A"
    )

    record = OrganizationRecord(name="Ministry of Environment", external_id="B", country_iso3="KEN")

    assert find_organization(record, source=source) is None
    # Another source's record of the same name and country is the same organization.
    other_source: PartnerSource = PartnerSourceFactory()
    assert find_organization(record, source=other_source) is not None


def test_find_organization_ids_answers_as_find_organization_for_each_record(
    django_assert_max_num_queries: Any,
) -> None:
    staff: User = StaffUserFactory()
    source: PartnerSource = PartnerSourceFactory()
    other: PartnerSource = PartnerSourceFactory()
    own: Organization = OrganizationFactory(name="Own", source=source, external_id="O-1")
    kept: Organization = OrganizationFactory(name="Kept", country=country("KEN"))
    merged: Organization = OrganizationFactory(name="Gone", source=source, external_id="M-1")
    organization_merge(keep=kept, merge=merged, by=staff)
    teri: Organization = OrganizationFactory(
        name="The Energy and Resources Institute", country=country("IND")
    )
    OrganizationFactory(name="Practical Action", country=country("KEN"))
    OrganizationFactory(name="Practical Action Ltd", country=country("BGD"))
    records = [
        OrganizationRecord(name="anything", external_id="O-1"),  # own identifier
        OrganizationRecord(name="anything", external_id="M-1"),  # merged: its alias
        OrganizationRecord(name="Energy & Resources Institute", country_iso3="IND"),  # name
        OrganizationRecord(name="Practical Action"),  # two with that name: none
        OrganizationRecord(name="Nobody", external_id="N-1", country_iso3="KEN"),  # none
    ]

    with django_assert_max_num_queries(8):
        found = find_organization_ids(records, source=source)

    assert found == [own.pk, kept.pk, teri.pk, None, None]
    for some_source in (source, other, None):
        found = find_organization_ids(records, source=some_source)
        for record, pk in zip(records, found, strict=True):
            single = find_organization(record, source=some_source)
            assert (single.pk if single else None) == pk
    # Without a source only the name and website steps apply.
    assert find_organization_ids(records) == [None, None, teri.pk, None, None]
    assert find_organization_ids([], source=source) == []


# --- duplicate_candidates ----------------------------------------------------------------------


def test_duplicate_candidates_group_by_name_acronym_and_website() -> None:
    a: Organization = OrganizationFactory(name="Centre Régional AGRHYMET", country=country("NER"))
    b: Organization = OrganizationFactory(
        name="CENTRE REGIONAL AGRHYMET", acronym="Agrhymet", country=country("NER")
    )
    c: Organization = OrganizationFactory(
        name="AGRHYMET", country=country("NER")
    )  # a name that is an acronym
    d: Organization = OrganizationFactory(
        name="Agrhymet Regional Centre", acronym="AGRHYMET", country=country("NER")
    )
    e: Organization = OrganizationFactory(
        name="Kenya Forestry Research Institute", website="https://kefri.org"
    )
    f: Organization = OrganizationFactory(
        name="KEFRI", website="http://www.kefri.org/en", country=country("KEN")
    )
    OrganizationFactory(name="Centre Régional AGRHYMET", country=country("MLI"))  # other country
    OrganizationFactory(name="Unrelated", website="https://www.facebook.com/unrelated")
    OrganizationFactory(name="Also unrelated", website="https://www.facebook.com/other")

    groups = duplicate_candidates()

    as_sets = [{o.pk for o in group.organizations} for group in groups]
    assert as_sets == [{a.pk, b.pk, c.pk, d.pk}, {e.pk, f.pk}]
    assert groups[0].reasons == ["same acronym", "same name"]
    assert groups[1].reasons == ["same website"]


def test_duplicate_candidates_skip_what_one_source_says_differs() -> None:
    source: PartnerSource = PartnerSourceFactory()
    OrganizationFactory(name="Ministry of Water", source=source, external_id="1")
    OrganizationFactory(name="Ministry of Water", source=source, external_id="2")

    assert duplicate_candidates() == []


# --- organization_merge ------------------------------------------------------------------------


def _webhook(organization: Organization) -> models.Model:
    Webhook = apps.get_model("webhooks", "Webhook")
    return Webhook.objects.create(  # type: ignore[no-any-return]
        organization=organization, url="https://example.org/hook", event_types=["entry.published"]
    )


def _api_key(organization: Organization) -> models.Model:
    return ApiKey.objects.create(
        organization=organization,
        name="Sync",
        prefix=f"p{organization.pk}x{ApiKey.objects.count()}",
        secret_hash="0" * 64,
        scopes=["read"],
        created_by=UserFactory(),
    )


# One way to make a row of each kind that points at an organization, by "app.Model.field". The
# test below fails when a relation is added without one, so that the merge's test covers it.
MAKERS: dict[str, Callable[[Organization], Any]] = {
    "accounts.Membership.organization": lambda o: MembershipFactory(organization=o),
    "accounts.Invitation.organization": lambda o: InvitationFactory(organization=o),
    "accounts.AccessRequest.organization": lambda o: AccessRequest.objects.create(
        name="Asha", email=f"asha{o.pk}@example.org", organization=o, role="contributor"
    ),
    "accounts.ApiKey.organization": _api_key,
    "catalog.Entry.providers": lambda o: EntryFactory(providers=[o]),
    "catalog.EntryProvider.organization": lambda o: EntryFactory(providers=[o]),
    "catalog.Entry.member_organizations": lambda o: EntryFactory(
        module=Entry.Module.NETWORK, kind=Entry.Kind.NETWORK
    ).member_organizations.add(o),
    "partners.PartnerSource.organization": lambda o: PartnerSourceFactory(organization=o),
    "partners.OrganizationAlias.organization": lambda o: OrganizationAlias.objects.create(
        organization=o, kind="name", normalized=f"alias {o.pk}", spelling=f"Alias {o.pk}"
    ),
    "webhooks.Webhook.organization": _webhook,
}


def _relations() -> list[tuple[str, Any]]:
    return [
        (f"{relation.related_model._meta.label}.{relation.field.name}", relation)
        for relation in Organization._meta.related_objects
    ]


def _count_pointing_at(relation: Any, organization: Organization) -> int:
    if relation.many_to_many:
        return relation.related_model._default_manager.filter(
            **{relation.field.name: organization}
        ).count()
    return relation.related_model._default_manager.filter(
        **{relation.field.name: organization}
    ).count()


def test_every_relation_to_organizations_has_a_maker_in_this_test() -> None:
    missing = {label for label, _relation in _relations()} - set(MAKERS)
    assert not missing, f"add a maker for {missing} and check organization_merge handles it"


def test_merge_repoints_every_relation_and_deletes_the_merged_organization() -> None:
    staff: User = StaffUserFactory()
    keep: Organization = OrganizationFactory(name="Practical Action")
    merge: Organization = OrganizationFactory(
        name="Practical Action Ltd", acronym="PA", website="https://practicalaction.org"
    )
    relations = _relations()
    for label, _relation in relations:
        MAKERS[label](merge)
    before = {label: _count_pointing_at(relation, merge) for label, relation in relations}
    assert all(before.values()), before
    EntryChange.objects.all().delete()

    result = organization_merge(keep=keep, merge=merge, by=staff)

    assert not Organization.objects.filter(pk=merge.pk).exists()
    for label, relation in relations:
        assert _count_pointing_at(relation, keep) == before[label], label
    assert result.moved["catalog.EntryProvider.organization"] == 2  # two makers made entries
    keep.refresh_from_db()
    # Blank fields of the one kept take the merged organization's values; its name stays.
    assert (keep.name, keep.acronym, keep.website) == (
        "Practical Action",
        "PA",
        "https://practicalaction.org",
    )
    # The entries' search documents are refreshed, and API mirrors learn the organization left.
    provided = EntryProvider.objects.filter(organization=keep).values_list("entry_id", flat=True)
    assert set(provided) <= set(EntryChange.objects.values_list("entry_id", flat=True))
    assert Tombstone.objects.filter(model=Tombstone.Kind.ORGANIZATION, object_id=merge.pk).exists()
    logs = LogEntry.objects.filter(user=staff).order_by("pk")
    assert [(log.action_flag, log.object_id) for log in logs] == [
        (CHANGE, str(keep.pk)),
        (DELETION, str(merge.pk)),
    ]
    assert "Practical Action Ltd" in logs[0].get_change_message()


def test_merge_makes_one_row_where_both_organizations_had_one() -> None:
    staff: User = StaffUserFactory()
    keep: Organization = OrganizationFactory()
    merge: Organization = OrganizationFactory()
    person: User = UserFactory()
    Membership.objects.create(user=person, organization=keep, role=Membership.Role.CONTRIBUTOR)
    Membership.objects.create(user=person, organization=merge, role=Membership.Role.ADMINISTRATOR)
    entry: Entry = EntryFactory()
    EntryProvider.objects.create(entry=entry, organization=keep, role=EntryProvider.Role.PARTNER)
    EntryProvider.objects.create(entry=entry, organization=merge, role=EntryProvider.Role.LEAD)
    network: Entry = EntryFactory(module=Entry.Module.NETWORK, kind=Entry.Kind.NETWORK)
    network.member_organizations.add(keep, merge)
    InvitationFactory(organization=keep, email="Zara@example.org")
    twin: Invitation = InvitationFactory(organization=merge, email="zara@example.org")
    _api_key(keep)
    merged_key = _api_key(merge)

    organization_merge(keep=keep, merge=merge, by=staff)

    # The stronger role of the two is kept.
    assert list(Membership.objects.filter(user=person).values_list("organization", "role")) == [
        (keep.pk, Membership.Role.ADMINISTRATOR)
    ]
    assert list(EntryProvider.objects.filter(entry=entry).values_list("organization", "role")) == [
        (keep.pk, EntryProvider.Role.LEAD)
    ]
    assert list(network.member_organizations.all()) == [keep]
    twin.refresh_from_db()
    assert (twin.organization, twin.cancelled_at is not None) == (keep, True)
    merged_key.refresh_from_db()
    assert merged_key.organization == keep  # type: ignore[attr-defined]
    assert merged_key.name == f"Sync ({merge.name})"  # type: ignore[attr-defined]


def test_merge_keeps_provenance_so_the_next_sync_finds_the_organization() -> None:
    staff: User = StaffUserFactory()
    iati: PartnerSource = PartnerSourceFactory()
    ckan: PartnerSource = PartnerSourceFactory(connector="ckan")
    keep: Organization = OrganizationFactory(name="UNDP", source=iati, external_id="XM-DAC-41114")
    merge: Organization = OrganizationFactory(name="undp-hdx", source=ckan, external_id="hdx-org-7")

    organization_merge(keep=keep, merge=merge, by=staff)

    assert organization_for_alias(source=ckan, external_id="hdx-org-7") == keep
    assert (
        find_organization(OrganizationRecord(name="whatever", external_id="hdx-org-7"), source=ckan)
        == keep
    )
    assert organization_for_alias(source=ckan, external_id="hdx-org-") is None
    assert organization_for_alias(source=iati, external_id="hdx-org-7") is None

    # Merged again into a third organization, the alias follows.
    third: Organization = OrganizationFactory(name="United Nations Development Programme")
    organization_merge(keep=third, merge=keep, by=staff)
    third.refresh_from_db()
    # The third had no source: it takes the merged one's, and the older alias moves with it.
    assert (third.source, third.external_id) == (iati, "XM-DAC-41114")
    assert organization_for_alias(source=ckan, external_id="hdx-org-7") == third
    assert (
        find_organization(OrganizationRecord(name="x", external_id="XM-DAC-41114"), source=iati)
        == third
    )


def test_merge_refuses_one_organization_into_itself() -> None:
    organization: Organization = OrganizationFactory()
    with pytest.raises(ApplicationError):
        organization_merge(keep=organization, merge=organization, by=_staff())
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_a_merge_that_fails_half_way_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from partners.dedup import merge as dedup_merge

    keep: Organization = OrganizationFactory()
    merge: Organization = OrganizationFactory()
    entry: Entry = EntryFactory(providers=[merge])
    MembershipFactory(organization=merge)

    def failing(keep: Organization, merge: Organization) -> int:
        raise ApplicationError("Resolve it by hand first.")

    # The API keys are handled after the entries and memberships moved: it all rolls back.
    monkeypatch.setitem(dedup_merge._SPECIAL_FOREIGN_KEYS, ApiKey, failing)
    with pytest.raises(ApplicationError):
        organization_merge(keep=keep, merge=merge, by=_staff())

    assert Organization.objects.filter(pk=merge.pk).exists()
    assert list(
        EntryProvider.objects.filter(entry=entry).values_list("organization", flat=True)
    ) == [merge.pk]
    assert Membership.objects.filter(organization=merge).count() == 1
    assert not LogEntry.objects.exists()


def test_alias_lookup_reads_only_well_formed_merge_notes() -> None:
    source: PartnerSource = PartnerSourceFactory()
    organization: Organization = OrganizationFactory()
    LogEntry.objects.create(
        user=StaffUserFactory(),
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(organization.pk),
        object_repr="x",
        action_flag=CHANGE,
        change_message=json.dumps([{"merged_alias": {"source": source.pk, "external_id": "A"}}]),
    )
    # Written for another model (content type 1): not an alias of an organization.
    assert organization_for_alias(source=source, external_id="A") is None
    assert organization_for_alias(source=source, external_id="") is None


def test_find_organization_sees_organizations_added_renamed_and_deleted_between_calls() -> None:
    record = OrganizationRecord(name="Sahel Energy Centre", country_iso3="SEN")
    assert find_organization(record) is None

    centre: Organization = OrganizationFactory(name="Sahel Energy Center", country=country("SEN"))
    assert find_organization(record) is None
    centre.name = "Sahel Energy Centre Ltd"
    centre.save()
    assert find_organization(record) == centre

    twin: Organization = OrganizationFactory(name="SAHEL ENERGY CENTRE", country=country("SEN"))
    assert find_organization(record) is None  # two now: ambiguous
    twin.delete()
    assert find_organization(record) == centre


def test_find_organization_sees_a_replacement_saved_with_an_older_time() -> None:
    now = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(now, tick=False):
        alpha: Organization = OrganizationFactory(name="Alpha Institute", country=country("KEN"))
        assert find_organization(OrganizationRecord(name="Alpha Institute")) == alpha
    alpha.delete()
    with time_machine.travel(now - datetime.timedelta(days=1), tick=False):
        beta: Organization = OrganizationFactory(name="Beta Institute", country=country("KEN"))

    assert find_organization(OrganizationRecord(name="Beta Institute")) == beta
    assert find_organization(OrganizationRecord(name="Alpha Institute")) is None

"""Bad input is refused with a message a person can act on, and stored data stays as it was."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Entry, Organization, SupportKind, Theme
from catalog.reference import sdg_targets_for_codes
from matching.forms import NeedForm
from matching.models import Need
from tests.factories import (
    EntryFactory,
    EventFactory,
    NeedFactory,
    OrganizationFactory,
    PartnerSourceFactory,
    country,
)

pytestmark = pytest.mark.django_db


def messages(error: ValidationError) -> list[str]:
    return [message for field_messages in error.message_dict.values() for message in field_messages]


def test_need_form_without_a_country_is_refused() -> None:
    form = NeedForm(
        data={
            "title": "Drought early warning",
            "description": "Capacity to issue drought warnings.",
            "language": "en",
            "countries": [],
            "support_kinds": [],
            "priority": "high",
            "time_frame": "short",
            "regional_office": country("NER").regional_office.pk,
            "origin": Need.Origin.NAP,
        }
    )
    assert not form.is_valid()
    assert form.errors["countries"] == ["This field is required."]
    assert not Need.objects.exists()


def test_need_form_with_a_country_is_accepted() -> None:
    niger = country("NER")
    form = NeedForm(
        data={
            "title": "Drought early warning",
            "description": "Capacity to issue drought warnings.",
            "language": "fr",
            "countries": [niger.pk],
            "support_kinds": [SupportKind.objects.get(code=SupportKind.Code.TRAINING).pk],
            "priority": "high",
            "time_frame": "short",
            "regional_office": niger.regional_office.pk,
            "origin": Need.Origin.NAP,
        }
    )
    assert form.is_valid(), form.errors
    need = form.save()
    assert list(need.countries.all()) == [niger]


def test_closed_need_without_a_reason_is_refused() -> None:
    need = NeedFactory()
    need.status = Need.Status.CLOSED
    with pytest.raises(ValidationError) as error:
        need.full_clean()
    assert "A closed need must say why it was closed." in messages(error.value)


def test_event_that_ends_before_it_starts_is_refused_and_stored_dates_stay() -> None:
    event = EventFactory()
    stored = (event.starts_on, event.ends_on)
    event.ends_on = event.starts_on - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert "The end date cannot be before the start date." in messages(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()
    event.refresh_from_db()
    assert (event.starts_on, event.ends_on) == stored


def test_opportunity_whose_deadline_is_before_its_publication_is_refused() -> None:
    opportunity = EntryFactory.build(
        module=Entry.Module.OPPORTUNITY,
        kind=Entry.Kind.FELLOWSHIP,
        published_at=timezone.now(),
        deadline=timezone.localdate() - datetime.timedelta(days=3),
    )
    with pytest.raises(ValidationError) as error:
        opportunity.full_clean()
    assert error.value.message_dict["deadline"] == [
        "The application deadline cannot be before the publication date."
    ]


def test_kind_must_belong_to_the_module() -> None:
    entry = EntryFactory.build(module=Entry.Module.NETWORK, kind=Entry.Kind.FELLOWSHIP)
    with pytest.raises(ValidationError) as error:
        entry.full_clean()
    assert error.value.message_dict["kind"] == ["For this module the kind must be one of: Network."]


def test_event_in_person_needs_a_country() -> None:
    event = EventFactory.build(venue_country=None, is_online=False)
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert "venue_country" in error.value.message_dict


def test_unknown_sdg_target_code_is_named_in_the_error() -> None:
    with pytest.raises(ValidationError) as error:
        sdg_targets_for_codes(["13.2", "18.1", "6.x"])
    assert error.value.messages == [
        "Unknown SDG target code(s): 18.1, 6.x. Codes look like 13.2 or 1.a."
    ]
    assert [t.code for t in sdg_targets_for_codes(["13.2", "1.a", "13.2"])] == ["13.2", "1.a"]


def test_duplicate_source_and_external_id_is_refused_and_the_first_entry_is_kept() -> None:
    source = PartnerSourceFactory()
    first = EntryFactory(source=source, external_id="IATI-XM-1", title="First")
    duplicate = EntryFactory.build(source=source, external_id="IATI-XM-1", title="Second")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "Another entry from this source already has this external id." in messages(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    assert list(Entry.objects.filter(source=source).values_list("pk", "title")) == [
        (first.pk, "First")
    ]


def test_entries_without_external_id_do_not_collide() -> None:
    source = PartnerSourceFactory()
    EntryFactory(source=source, external_id="")
    EntryFactory(source=source, external_id="")
    assert Entry.objects.filter(source=source).count() == 2


def test_duplicate_organization_external_id_is_refused() -> None:
    source = PartnerSourceFactory()
    OrganizationFactory(source=source, external_id="org-1")
    duplicate = OrganizationFactory.build(source=source, external_id="org-1")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "Another organization from this source already has this external id." in messages(
        error.value
    )


def test_southern_flag_cannot_be_set_by_hand_on_an_organization() -> None:
    with pytest.raises(AttributeError, match="is_southern"):
        Organization(
            name="Grid", type=Organization.Type.NGO, country=country("NOR"), is_southern=True
        )
    northern = OrganizationFactory(country=country("NOR"))
    assert northern.is_southern is False
    with pytest.raises(AttributeError):
        northern.is_southern = True  # type: ignore[misc]


def test_southern_flag_of_a_country_is_not_editable_in_forms() -> None:
    from django.forms import modelform_factory

    from catalog.models import Country

    form_class = modelform_factory(Country, exclude=[])
    assert "is_southern" not in form_class.base_fields


def test_triangular_entry_is_visible_as_such() -> None:
    southern = OrganizationFactory(country=country("ZMB"))
    northern = OrganizationFactory(country=country("NOR"))
    triangular = EntryFactory(providers=[southern, northern])
    south_south = EntryFactory(providers=[southern, OrganizationFactory(country=country("UGA"))])
    assert triangular.cooperation == Entry.Cooperation.TRIANGULAR
    assert south_south.cooperation == Entry.Cooperation.SOUTH_SOUTH
    assert list(Entry.objects.triangular()) == [triangular]
    assert set(Entry.objects.southern()) == {triangular, south_south}
    assert Theme.objects.count() == 6


def test_un_entities_do_not_decide_whether_cooperation_is_south_south() -> None:
    from catalog.models import Organization

    un_desa = OrganizationFactory(country=country("USA"), type=Organization.Type.UN_ENTITY)
    unep = OrganizationFactory(country=country("KEN"), type=Organization.Type.UN_ENTITY)
    chinese_ministry = OrganizationFactory(country=country("CHN"))
    south_south = EntryFactory(providers=[chinese_ministry, un_desa])
    only_un = EntryFactory(providers=[unep])
    assert south_south.cooperation == Entry.Cooperation.SOUTH_SOUTH
    assert only_un.cooperation == Entry.Cooperation.UNKNOWN
    assert list(Entry.objects.south_south()) == [south_south]
    assert not Entry.objects.triangular().exists()

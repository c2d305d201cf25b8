"""A partner source's settings are checked before they are saved; edits made here to a synced
entry are remembered as ours."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Membership
from catalog import services as catalog_services
from catalog.models import Entry, EntryProvider
from partners.models import PartnerSource
from tests.factories import EntryFactory, MembershipFactory, PartnerSourceFactory, country

pytestmark = pytest.mark.django_db


def errors_of(source: PartnerSource) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        source.full_clean()
    return caught.value.message_dict


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ([], "must be a JSON object"),
        ({"modul": "experience"}, "Unknown keys: modul"),
        ({"module": "recipes"}, "There is no module “recipes”"),
        ({"module": "experience", "kind": "workshop"}, "does not belong to the module"),
        ({"themes": ["climate"]}, "“themes” must be an object"),
        ({"countries": {"KOS": 12}}, "must map source codes to portal codes"),
        ({"oai_set": 3}, "“oai_set” must be a text"),
    ],
)
def test_a_field_mapping_of_the_wrong_shape_is_refused(mapping: Any, message: str) -> None:
    source = PartnerSourceFactory.build(field_mapping=mapping)

    assert message in " ".join(errors_of(source)["field_mapping"])


def test_a_good_field_mapping_passes() -> None:
    source = PartnerSourceFactory.build(
        field_mapping={
            "module": "experience",
            "kind": "case-study",
            "themes": {"41010": "climate-action"},
            "countries": {"KOS": "SRB"},
            "oai_set": "unep:reports",
        }
    )
    source.full_clean()


@pytest.mark.parametrize("value", ["sk-live-12345", "my api key", "lower_case", "1ABC", "A" * 101])
def test_credentials_must_be_the_name_of_an_environment_variable(value: str) -> None:
    source = PartnerSourceFactory.build(credentials_env=value)

    assert "environment variable" in " ".join(errors_of(source)["credentials_env"])


def test_a_plausible_variable_name_passes() -> None:
    PartnerSourceFactory.build(credentials_env="HDX_API_KEY").full_clean()


def test_editing_a_synced_entry_marks_the_changed_fields_as_ours() -> None:
    source: PartnerSource = PartnerSourceFactory()
    member: Membership = MembershipFactory()
    synced: Entry = EntryFactory(source=source, external_id="A1")
    own: Entry = EntryFactory()
    for entry in (synced, own):
        EntryProvider.objects.create(entry=entry, organization=member.organization)

    for entry in (synced, own):
        catalog_services.entry_update(
            entry=entry,
            by=member.user,
            data={
                "kind": entry.kind,
                "title": "A title of ours",
                "summary": entry.summary,
                "body": entry.body,
                "language": "en",
                "contact_name": "",
                "contact_email": "",
                "countries_applied": [country("GHA")],
            },
        )

    synced.refresh_from_db()
    own.refresh_from_db()
    assert synced.locally_edited_fields == ["countries_applied", "title"]
    assert own.locally_edited_fields == []

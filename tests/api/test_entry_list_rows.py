"""The plain list's rows on PostgreSQL are built without the serializer (catalog.api.rows):
written as JSON by PostgreSQL (`entry_documents`). Each must equal what EntryOutputSerializer
gives for the same entry, which is what the detail view returns; outside UTC the list falls back
to the serializer."""

import datetime

import pytest
from django.utils import timezone

from catalog.models import Country, EntryLink, SdgGoal, SdgTarget, SupportKind, Theme
from tests.factories import (
    EntryFactory,
    EventFactory,
    MembershipFactory,
    OpportunityFactory,
    OrganizationFactory,
    StaffUserFactory,
    country,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied_entries(organization):
    partner = OrganizationFactory(name="Alpha Institute")
    network = OrganizationFactory(name="Zeta Network")
    rich = EntryFactory(
        providers=[organization, partner],
        themes=list(Theme.objects.order_by("-code")[:3]),
        countries_of_origin=[country("KEN"), country("BRA"), country("IND")],
        countries_applied=[country("THA"), country("ARG")],
        sdg_goals=list(SdgGoal.objects.filter(number__in=[13, 2, 6])),
        sdg_targets=list(SdgTarget.objects.filter(code__in=["13.2", "2.4", "6.1", "13.1"])),
        contact_name="Ama Mensah",
        contact_email="ama@example.org",
        body="Ünïcode “quotes” and\nnew lines </script>",
    )
    rich.support_kinds.set(SupportKind.objects.order_by("-code")[:2])
    rich.member_organizations.set([network, partner])
    EntryLink.objects.create(entry=rich, url="https://example.org/b", label="Second")
    EntryLink.objects.create(entry=rich, url="https://example.org/a", label="")
    return [
        rich,
        EntryFactory(),  # no relations at all
        EventFactory(providers=[partner], is_online=True),
        OpportunityFactory(providers=[organization], published_at=None, last_confirmed_on=None),
        # Whole seconds: DRF writes no fraction then.
        EntryFactory(published_at=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)),
        EntryFactory(published_at=datetime.datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=datetime.UTC)),
    ]


def _list_and_details(client) -> tuple[list[dict], list[dict]]:
    response = client.get("/api/v1/entries/?page_size=100")
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    details = [client.get(f"/api/v1/entries/{row['id']}/").json() for row in rows]
    return rows, details


def test_list_rows_equal_the_serializers_output_for_anonymous_clients(api, varied_entries):
    rows, details = _list_and_details(api)
    assert len(rows) == len(varied_entries)
    assert rows == details
    rich = next(row for row in rows if row["id"] == varied_entries[0].pk)
    # Ordered as the serializer orders them, not as they were added.
    assert rich["countries_of_origin"] == ["BRA", "IND", "KEN"]
    assert rich["sdg_targets"] == ["2.4", "6.1", "13.1", "13.2"]
    assert rich["links"][0] == {"url": "https://example.org/b", "label": "Second"}
    assert rich["contact_email"] is None


def test_list_rows_equal_the_serializers_output_for_people_signed_in(api, varied_entries):
    api.force_login(StaffUserFactory())
    rows, details = _list_and_details(api)
    assert rows == details
    assert {row["contact_email"] for row in rows} >= {"ama@example.org"}


def test_list_rows_show_a_members_drafts_as_the_serializer_does(
    api, organization, django_user_model
):
    member = MembershipFactory(organization=organization).user
    EntryFactory(providers=[organization], status="draft", venue_country=Country.objects.first())
    api.force_login(member)
    rows, details = _list_and_details(api)
    assert "draft" in {row["status"] for row in rows}
    assert rows == details


def test_whole_seconds_and_microseconds_are_written_as_drf_writes_them(api, varied_entries):
    rows = {row["id"]: row for row in api.get("/api/v1/entries/?page_size=100").json()["results"]}
    assert rows[varied_entries[-2].pk]["published_at"] == "2026-01-02T03:04:05Z"
    assert rows[varied_entries[-1].pk]["published_at"] == "2026-01-02T03:04:05.000007Z"


def test_outside_utc_the_rows_still_equal_the_serializers_output(api, varied_entries):
    with timezone.override("Africa/Nairobi"):
        rows, details = _list_and_details(api)
    assert rows == details
    assert rows[0]["created_at"].endswith("+03:00")

"""Field ownership through every way a person edits a synced entry: the contribution form, the
API and the admin. Each edits the title of an entry read from a replay of real HDX datasets
(CKAN), the source then changes its title, and the next run keeps ours and records the conflict.
"""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Membership, User
from catalog.models import Entry, Organization
from partners.connectors.http import Fetcher, FetchLimits
from partners.models import PartnerSource, SyncConflict
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    PartnerSourceFactory,
    country,
)
from tests.partners.runs import run_source
from tests.partners.servers import CkanReplay, LocalServer, hdx_packages

pytestmark = pytest.mark.django_db

LIBYA = "6a5aebc1-f5a9-4842-8183-b8118228e71e"  # "ACLED Conflict Data for Libya"
OUR_TITLE = "Armed conflict events in Libya (ACLED)"
SOURCE_TITLE_V2 = "ACLED Conflict Data for Libya, 2016 edition"


@pytest.fixture
def fetcher() -> Fetcher:
    return Fetcher(
        limits=FetchLimits(
            connect_timeout=5, read_timeout=5, total_seconds=10, max_bytes=4 * 1024 * 1024
        )
    )


def _value(bound: Any) -> Any:
    """A bound field's value as a browser would post it (None: not posted)."""
    value = bound.value()
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return "" if value is None else str(value)


def _form_data(form: Any) -> dict[str, Any]:
    data = {}
    for bound in form:
        value = _value(bound)
        if value is not None:
            data[bound.html_name] = value
    return data


def _formset_data(formset: Any) -> dict[str, Any]:
    data = _form_data(formset.management_form)
    for form in formset.forms:
        data |= _form_data(form)
    return data


Edit = Callable[[Entry], None]


def edit_in_contribution_form(entry: Entry) -> None:
    """A member of the entry's lead organization, through the HTML edit form."""
    lead = entry.provider_links.get(role="lead").organization
    client = Client()
    member: Membership = MembershipFactory(organization=lead)
    client.force_login(member.user)
    url = reverse("catalog:contribute_edit", kwargs={"pk": entry.pk})
    page = client.get(url)
    assert page.status_code == 200
    data = _form_data(page.context["form"]) | _formset_data(page.context["links"])
    response = client.post(url, data | {"title": OUR_TITLE})
    assert response.status_code == 302, response.context["form"].errors


def edit_through_the_api(entry: Entry) -> None:
    """A member of the entry's lead organization, through the REST API."""
    lead = entry.provider_links.get(role="lead").organization
    api = APIClient()
    member: Membership = MembershipFactory(organization=lead)
    api.force_authenticate(member.user)
    response = api.patch(f"/api/v1/entries/{entry.pk}/", {"title": OUR_TITLE}, format="json")
    assert response.status_code == 200, response.content


def edit_in_the_admin(entry: Entry) -> None:
    """Programme staff, through the entry's change page in the admin."""
    client = Client()
    client.force_login(User.objects.create_superuser("admin@example.org", "x"))
    url = reverse("admin:catalog_entry_change", args=[entry.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = _form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        data |= _formset_data(inline.formset)
    response = client.post(url, data | {"title": OUR_TITLE})
    assert response.status_code == 302, page.context["adminform"].form.errors


@pytest.mark.parametrize(
    "edit", [edit_in_contribution_form, edit_through_the_api, edit_in_the_admin]
)
def test_a_title_edited_here_is_kept_and_the_sources_change_is_a_conflict(
    edit: Edit, fetcher: Fetcher
) -> None:
    # The dataset's CKAN organization, known here: the sync makes it the entry's lead.
    acled: Organization = OrganizationFactory(name="ACLED Conflict Data Project")
    packages = hdx_packages()
    with LocalServer(CkanReplay(packages)) as server:
        source: PartnerSource = PartnerSourceFactory(connector="ckan", endpoint=server.url)
        run_source(source, fetcher)
        entry = Entry.objects.get(source=source, external_id=LIBYA)
        assert entry.title == "ACLED Conflict Data for Libya"
        assert list(entry.providers.all()) == [acled]

        edit(entry)

        entry.refresh_from_db()
        assert (entry.title, entry.locally_edited_fields) == (OUR_TITLE, ["title"])
        libya = next(p for p in packages if p["id"] == LIBYA)
        libya["title"] = SOURCE_TITLE_V2
        libya["notes"] = "Notes, revised."
        libya["metadata_modified"] = "2026-11-20T08:00:00.000001"
        again = run_source(source, fetcher)

    assert (again.fetched, again.updated) == (1, 1)
    entry.refresh_from_db()
    assert entry.title == OUR_TITLE  # ours
    assert entry.summary == "Notes, revised."  # not edited here: the source's
    conflict = SyncConflict.objects.get(entry=entry)
    assert (conflict.field, conflict.our_value, conflict.source_value, conflict.run_id) == (
        "title",
        OUR_TITLE,
        SOURCE_TITLE_V2,
        again.pk,
    )
    assert not conflict.resolved


def test_the_admin_marks_only_what_changed_and_the_inlines_by_the_fields_they_edit(
    admin_client: Client,
) -> None:
    source: PartnerSource = PartnerSourceFactory()
    entry = Entry.objects.create(
        module="technology",
        kind="technology",
        title="Solar pumps",
        summary="Pumps.",
        language="en",
        source=source,
        external_id="S-1",
    )
    url = reverse("admin:catalog_entry_change", args=[entry.pk])
    page = admin_client.get(url)
    data = _form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        data |= _formset_data(inline.formset)

    # Saved as it was: nothing is ours.
    assert admin_client.post(url, data).status_code == 302
    entry.refresh_from_db()
    assert entry.locally_edited_fields == []

    # Verifying is moderation, not content: still nothing.
    assert admin_client.post(url, data | {"is_verified": "on"}).status_code == 302
    entry.refresh_from_db()
    assert (entry.is_verified, entry.locally_edited_fields) == (True, [])

    data |= {"is_verified": "on"}
    changed = data | {
        "countries_applied": [str(country("GHA").pk)],
        "links-TOTAL_FORMS": "1",
        "links-0-url": "https://example.org/pumps",
        "links-0-label": "Manual",
    }
    assert admin_client.post(url, changed).status_code == 302
    entry.refresh_from_db()
    assert entry.locally_edited_fields == ["countries_applied", "links"]


def test_the_admin_leaves_entries_of_no_source_alone(admin_client: Client) -> None:
    entry = Entry.objects.create(
        module="technology", kind="technology", title="Ours", summary="Ours.", language="en"
    )
    url = reverse("admin:catalog_entry_change", args=[entry.pk])
    page = admin_client.get(url)
    data = _form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        data |= _formset_data(inline.formset)

    assert admin_client.post(url, data | {"title": "Ours, renamed"}).status_code == 302

    entry.refresh_from_db()
    assert (entry.title, entry.locally_edited_fields) == ("Ours, renamed", [])

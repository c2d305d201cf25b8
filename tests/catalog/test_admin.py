"""The admin as programme staff use it, through the test client as a superuser."""

import datetime
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    AccessRequest,
    ErasureRequest,
    Invitation,
    Membership,
    Role,
    User,
)
from catalog.models import (
    Country,
    Entry,
    EntryLink,
    EntryReview,
    Organization,
    ReferenceSource,
    RegionalOffice,
    SdgGoal,
    SdgTarget,
    SupportKind,
    Theme,
)
from catalog.models.entries import KINDS_BY_MODULE
from matching.models import RankingWeights
from partners.models import PartnerSource
from reports.models import ReportRun, SavedReport
from search.models import ChangeLogHorizon, SavedSearch
from tests.factories import (
    EntryFactory,
    EventFactory,
    MatchFactory,
    NeedFactory,
    OpportunityFactory,
    OrganizationFactory,
    PartnerSourceFactory,
    UserFactory,
    country,
)
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db

Status = Entry.Status


def url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def listed(response: Any) -> set[int]:
    """The primary keys on the changelist page."""
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def message_texts(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def row(obj: Model) -> dict[str, Any]:
    return type(obj)._default_manager.filter(pk=obj.pk).values().get()


@pytest.fixture
def sample_data() -> dict[str, Any]:
    """One row of each kind, so that changelists render real rows, not only empty tables."""
    source: PartnerSource = PartnerSourceFactory()
    source.runs.create(status="succeeded")
    southern: Organization = OrganizationFactory(
        name="Kenya Forestry Research Institute", source=source
    )
    northern: Organization = OrganizationFactory(name="Agence française", country=country("FRA"))
    entry: Entry = EntryFactory(providers=[southern, northern], themes=[Theme.objects.first()])
    EntryLink.objects.create(entry=entry, url="https://example.org/manual", label="Manual")
    EventFactory(providers=[southern])
    OpportunityFactory()
    for module in (Entry.Module.EXPERTISE, Entry.Module.EXPERIENCE, Entry.Module.NETWORK):
        EntryFactory(module=module, kind=KINDS_BY_MODULE[module][0])
    NeedFactory()
    MatchFactory(need__title="Drip irrigation for smallholders", entry=entry)
    RankingWeights.load()
    Group.objects.create(name="Regional office staff")
    user = UserFactory()
    SavedSearch.objects.create(user=user, name="Rainwater", query_string="q=rainwater")
    user.notifications.create(kind="published", subject="Your entry is published", url="/")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    AccessAttempt.objects.create(
        username=user.email, ip_address="192.0.2.1", user_agent="test", failures_since_start=1
    )
    AccessLog.objects.create(username=user.email, ip_address="192.0.2.1", user_agent="test")
    AccessFailureLog.objects.create(username=user.email, ip_address="192.0.2.1", user_agent="test")
    Membership.objects.create(user=user, organization=southern)
    Invitation.objects.create(
        email="invited@example.org",
        organization=southern,
        role=Role.PARTNER_CONTRIBUTOR,
        expires_at=timezone.now() + Invitation.VALID_FOR,
    )
    AccessRequest.objects.create(name="Amina", email="amina@example.org", role=Role.OFFICER)
    ErasureRequest.objects.create(email="former@example.org")
    ChangeLogHorizon.objects.create(pruned_through=0)
    EntryReview.objects.create(entry=entry, by=user, decision=EntryReview.Decision.PUBLISHED)
    run = ReportRun.objects.create(type_slug="needs-overview", scope="staff", digest="0" * 64)
    SavedReport.objects.create(
        name="Weekly needs",
        type_slug="needs-overview",
        schedule=SavedReport.Schedule.WEEKLY,
        recipients=["staff@example.org"],
        owner=user,
        next_run_at=timezone.now(),
        last_run=run,
    )
    webhook = Webhook.objects.create(
        organization=southern, url="https://hooks.example.org/sse", secret="s" * 40
    )
    Delivery.objects.create(webhook=webhook, event_type="entry.changed", payload={"id": 1})
    return {"entry": entry, "organization": southern}


def test_every_changelist_add_and_change_page_renders_for_a_superuser(
    admin_client: Client, sample_data: dict[str, Any]
) -> None:
    for model, model_admin in admin.site._registry.items():
        assert admin_client.get(url(model, "changelist")).status_code == 200, model

        add = admin_client.get(url(model, "add"))
        request = add.wsgi_request
        assert add.status_code == (200 if model_admin.has_add_permission(request) else 403), model

        obj = model._default_manager.first()
        assert obj is not None, model
        assert admin_client.get(url(model, "change", obj.pk)).status_code == 200, model


def test_all_entries_changelist_shows_the_cooperation_of_each_entry(
    admin_client: Client,
) -> None:
    kenya: Organization = OrganizationFactory()
    france: Organization = OrganizationFactory(country=country("FRA"))
    EntryFactory(title="South-South one", providers=[kenya])
    EntryFactory(title="Triangular one", providers=[kenya, france])

    response = admin_client.get(url(Entry, "changelist"))

    rows = {
        entry.title: admin.site._registry[Entry].cooperation(entry)  # type: ignore[attr-defined]
        for entry in response.context["cl"].result_list
    }
    assert rows == {"South-South one": "South-South", "Triangular one": "Triangular"}
    assert b'<td class="field-cooperation">Triangular</td>' in response.content


def test_changelist_queries_do_not_grow_with_the_number_of_rows(admin_client: Client) -> None:
    def queries_for_changelist() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url(Entry, "changelist")).status_code == 200
        return len(queries)

    kenya, france = OrganizationFactory(), OrganizationFactory(country=country("FRA"))
    EntryFactory(providers=[kenya, france], source=PartnerSourceFactory())
    with_one_row = queries_for_changelist()
    for _ in range(20):
        EntryFactory(providers=[kenya, france], source=PartnerSourceFactory())

    assert queries_for_changelist() == with_one_row


def test_search_finds_entries_by_title_words_and_by_exact_external_id(
    admin_client: Client,
) -> None:
    solar: Entry = EntryFactory(title="Solar dryers for fish")
    EntryFactory(title="Mangrove restoration")
    by_id: Entry = EntryFactory(title="Other", external_id="IATI-42", source=PartnerSourceFactory())

    assert listed(admin_client.get(url(Entry, "changelist"), {"q": "solar DRYERS"})) == {solar.pk}
    assert listed(admin_client.get(url(Entry, "changelist"), {"q": "IATI-42"})) == {by_id.pk}
    assert listed(admin_client.get(url(Entry, "changelist"), {"q": "IATI-4"})) == set()


def test_region_filter_keeps_entries_applied_in_a_country_of_that_region(
    admin_client: Client,
) -> None:
    in_africa: Entry = EntryFactory()
    in_africa.countries_applied.set([country("KEN"), country("TZA")])
    in_europe: Entry = EntryFactory()
    in_europe.countries_applied.set([country("FRA")])
    EntryFactory()  # applied nowhere

    africa, europe = country("KEN").region_code, country("FRA").region_code
    assert (country("KEN").region_name, country("FRA").region_name) == ("Africa", "Europe")
    offered = admin_client.get(url(Entry, "changelist")).context["cl"].filter_specs
    region_filter = next(s for s in offered if getattr(s, "parameter_name", "") == "region")
    assert (africa, "Africa") in region_filter.lookup_choices

    in_africa_listed = listed(admin_client.get(url(Entry, "changelist"), {"region": africa}))
    in_europe_listed = listed(admin_client.get(url(Entry, "changelist"), {"region": europe}))

    assert in_africa_listed == {in_africa.pk}
    assert in_europe_listed == {in_europe.pk}


def test_regional_office_filter_keeps_entries_applied_in_that_offices_countries(
    admin_client: Client,
) -> None:
    in_bangkok_region: Entry = EntryFactory()
    in_bangkok_region.countries_applied.set([country("THA")])
    in_kenya: Entry = EntryFactory()
    in_kenya.countries_applied.set([country("KEN")])

    response = admin_client.get(url(Entry, "changelist"), {"office": "asia-pacific"})

    assert listed(response) == {in_bangkok_region.pk}


def test_theme_filter_keeps_entries_with_that_theme(admin_client: Client) -> None:
    first, second = Theme.objects.all()[:2]
    tagged: Entry = EntryFactory(themes=[first, second])
    EntryFactory(themes=[second])

    assert listed(admin_client.get(url(Entry, "changelist"), {"theme": first.code})) == {tagged.pk}


def test_cooperation_filters_match_the_cooperation_column(admin_client: Client) -> None:
    kenya: Organization = OrganizationFactory()
    france: Organization = OrganizationFactory(country=country("FRA"))
    unep_in_nairobi: Organization = OrganizationFactory(type=Organization.Type.UN_ENTITY)
    south_south: Entry = EntryFactory(providers=[kenya, unep_in_nairobi])
    triangular: Entry = EntryFactory(providers=[kenya, france])
    EntryFactory(providers=[france])
    EntryFactory(providers=[unep_in_nairobi])
    EntryFactory()

    def filtered(value: str) -> set[int]:
        return listed(admin_client.get(url(Entry, "changelist"), {"cooperation": value}))

    assert filtered("south-south") == {south_south.pk}
    assert filtered("triangular") == {triangular.pk}
    assert filtered("southern") == {south_south.pk, triangular.pk}
    column = admin.site._registry[Entry].cooperation  # type: ignore[attr-defined]
    assert column(Entry.objects.get(pk=south_south.pk)) == "South-South"


def test_module_status_kind_language_and_verified_filters(admin_client: Client) -> None:
    draft: Entry = EntryFactory(status=Status.DRAFT, kind=Entry.Kind.TOOL)
    verified: Entry = EntryFactory(is_verified=True, language="fr")
    event: Entry = EventFactory()

    def filtered(**params: str) -> set[int]:
        return listed(admin_client.get(url(Entry, "changelist"), params))

    assert filtered(module__exact="event") == {event.pk}
    assert filtered(status__exact="draft") == {draft.pk}
    assert filtered(kind="tool") == {draft.pk}
    assert filtered(language__exact="fr") == {verified.pk}
    assert filtered(is_verified__exact="1") == {verified.pk}


def test_a_module_admin_lists_only_its_module_and_offers_only_its_kinds(
    admin_client: Client,
) -> None:
    technology: Entry = EntryFactory()
    event: Entry = EventFactory()

    technologies = admin_client.get(reverse("admin:catalog_technology_changelist"))
    events = admin_client.get(reverse("admin:catalog_event_changelist"))
    add_event = admin_client.get(reverse("admin:catalog_event_add"))

    assert listed(technologies) == {technology.pk}
    assert listed(events) == {event.pk}
    kinds = [value for value, _ in add_event.context["adminform"].form.fields["kind"].choices]
    assert kinds == ["", "workshop", "conference", "training", "webinar"]
    assert "module" not in add_event.context["adminform"].form.fields


def entry_form(**fields: Any) -> dict[str, Any]:
    """A valid add form for an entry, with empty inlines."""
    data = {
        "kind": "technology",
        "title": "Biogas digesters",
        "summary": "Household biogas from cattle dung.",
        "body": "",
        "language": "en",
        "contact_name": "",
        "contact_email": "",
        "is_online": "",
        "venue": "",
    }
    for prefix in ("provider_links", "links"):
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    return data | fields


def test_adding_in_a_module_admin_fixes_the_module_and_starts_as_a_draft(
    admin_client: Client,
) -> None:
    kenya: Organization = OrganizationFactory()
    data = entry_form(
        **{
            "provider_links-TOTAL_FORMS": "1",
            "provider_links-0-organization": str(kenya.pk),
            "provider_links-0-role": "lead",
            "links-TOTAL_FORMS": "1",
            "links-0-url": "https://example.org/biogas",
            "links-0-label": "Guide",
            "countries_applied": [str(country("KEN").pk), str(country("UGA").pk)],
        }
    )

    response = admin_client.post(reverse("admin:catalog_technology_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = Entry.objects.get(title="Biogas digesters")
    assert (entry.module, entry.status) == (Entry.Module.TECHNOLOGY, Status.DRAFT)
    assert list(entry.providers.all()) == [kenya]
    assert list(entry.links.values_list("url", flat=True)) == ["https://example.org/biogas"]
    assert {c.iso3 for c in entry.countries_applied.all()} == {"KEN", "UGA"}


def test_a_module_admin_refuses_a_kind_of_another_module(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:catalog_technology_add"), entry_form(kind="workshop")
    )

    assert response.status_code == 200
    assert "kind" in response.context["adminform"].form.errors
    assert not Entry.objects.exists()


def test_the_event_admin_refuses_an_event_ending_before_it_starts(admin_client: Client) -> None:
    data = entry_form(
        kind="workshop",
        title="Regional workshop on e-waste",
        starts_on="2026-05-10",
        ends_on="2026-05-08",
        venue="Nairobi",
        venue_country=str(country("KEN").pk),
    )

    response = admin_client.post(reverse("admin:catalog_event_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "The end date cannot be before the start date."
    ]
    assert "The end date cannot be before the start date." in response.content.decode()
    assert not Entry.objects.exists()


def test_the_event_admin_saves_a_valid_event(admin_client: Client) -> None:
    data = entry_form(
        kind="workshop",
        title="Regional workshop on e-waste",
        starts_on="2026-05-10",
        ends_on="2026-05-12",
        venue="Nairobi",
        venue_country=str(country("KEN").pk),
    )

    response = admin_client.post(reverse("admin:catalog_event_add"), data)

    assert response.status_code == 302
    event = Entry.objects.get()
    assert (event.module, event.starts_on) == (Entry.Module.EVENT, datetime.date(2026, 5, 10))


def test_moderation_fields_and_provenance_are_read_only(admin_client: Client) -> None:
    source: PartnerSource = PartnerSourceFactory()
    entry: Entry = EntryFactory(status=Status.DRAFT, source=source, external_id="X-1")
    form = admin_client.get(url(Entry, "change", entry.pk)).context["adminform"].form
    for field in (
        "status",
        "source",
        "external_id",
        "created_at",
        "published_by",
        "published_at",
        "submitted_by",
        "archived_at",
    ):
        assert field not in form.fields, field

    data = entry_form(
        module="technology", status="published", external_id="X-2", source="", title="Renamed"
    )
    response = admin_client.post(url(Entry, "change", entry.pk), data)

    assert response.status_code == 302
    stored = row(entry)
    assert (stored["title"], stored["status"], stored["external_id"], stored["source_id"]) == (
        "Renamed",
        Status.DRAFT,
        "X-1",
        source.pk,
    )


def test_publish_selected_publishes_allowed_rows_sets_who_when_and_reports_skips(
    admin_client: Client,
) -> None:
    staff = User.objects.get(email="admin@example.com")
    submitted: Entry = EntryFactory(status=Status.SUBMITTED, published_at=None)
    draft: Entry = EntryFactory(status=Status.DRAFT, published_at=None)
    already: Entry = EntryFactory(status=Status.PUBLISHED, published_by=None)
    not_selected: Entry = EntryFactory(status=Status.DRAFT, published_at=None)

    response = admin_client.post(
        url(Entry, "changelist"),
        {"action": "publish", "_selected_action": [submitted.pk, draft.pk, already.pk]},
    )

    assert response.status_code == 302
    for entry in (submitted, draft):
        stored = row(entry)
        assert (stored["status"], stored["published_by_id"]) == (Status.PUBLISHED, staff.pk)
        assert stored["published_at"] is not None
    assert row(already)["published_by_id"] is None
    assert row(not_selected)["status"] == Status.DRAFT
    assert message_texts(response) == [
        "Published 2 entries.",
        "1 entry was skipped: only drafts, submissions and archived entries that pass "
        "validation can be published.",
    ]


def test_publish_selected_reports_why_an_entry_failed_validation(admin_client: Client) -> None:
    expired: Entry = EntryFactory(
        module=Entry.Module.OPPORTUNITY,
        kind=Entry.Kind.FELLOWSHIP,
        title="Fellowship 2025",
        status=Status.SUBMITTED,
        published_at=None,
        deadline=timezone.localdate() - datetime.timedelta(days=1),
    )

    response = admin_client.post(
        reverse("admin:catalog_opportunity_changelist"),
        {"action": "publish", "_selected_action": [expired.pk]},
    )

    assert response.status_code == 302
    assert row(expired)["status"] == Status.SUBMITTED
    assert message_texts(response) == [
        "1 entry was skipped: only drafts, submissions and archived entries that pass "
        "validation can be published.",
        "Fellowship 2025: This entry cannot be published. "
        "The application deadline cannot be before the publication date.",
    ]


def test_archive_selected_archives_published_rows_and_sets_who_when(
    admin_client: Client,
) -> None:
    staff = User.objects.get(email="admin@example.com")
    published: Entry = EntryFactory(status=Status.PUBLISHED)
    draft: Entry = EntryFactory(status=Status.DRAFT)

    response = admin_client.post(
        reverse("admin:catalog_technology_changelist"),
        {"action": "archive", "_selected_action": [published.pk, draft.pk]},
    )

    assert response.status_code == 302
    stored = row(published)
    assert (stored["status"], stored["archived_by_id"]) == (Status.ARCHIVED, staff.pk)
    assert stored["archived_at"] is not None
    assert (row(draft)["status"], row(draft)["archived_at"]) == (Status.DRAFT, None)
    assert message_texts(response) == [
        "Archived 1 entry.",
        "1 entry was skipped: only published entries can be archived.",
    ]


def test_publish_from_the_change_page_publishes_that_entry(admin_client: Client) -> None:
    entry: Entry = EntryFactory(status=Status.SUBMITTED, published_at=None)
    change_url = url(Entry, "change", entry.pk)

    response = admin_client.post(
        change_url, {"CHANGE_FORM-action": "publish", "_selected_action": str(entry.pk)}
    )

    assert response.status_code == 302
    assert row(entry)["status"] == Status.PUBLISHED
    assert message_texts(response) == ["Published 1 entry."]


def test_staff_who_may_only_view_entries_get_no_moderation_actions(client: Client) -> None:
    viewer: User = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_entry"))
    client.force_login(viewer)
    entry: Entry = EntryFactory(status=Status.SUBMITTED, published_at=None)

    changelist = client.get(url(Entry, "changelist"))
    response = client.post(
        url(Entry, "changelist"), {"action": "publish", "_selected_action": [entry.pk]}
    )

    assert changelist.status_code == 200
    assert changelist.context["action_form"] is None
    assert row(entry)["status"] == Status.SUBMITTED
    assert response.status_code == 200


REFERENCE_MODELS = [
    Country,
    RegionalOffice,
    Theme,
    SdgGoal,
    SdgTarget,
    SupportKind,
    ReferenceSource,
]


@pytest.mark.parametrize("model", REFERENCE_MODELS)
def test_reference_tables_cannot_be_added_changed_or_deleted_even_by_a_superuser(
    admin_client: Client, model: type[Model]
) -> None:
    obj = model._default_manager.first()
    assert obj is not None, "load_reference should have filled this table"
    count = model._default_manager.count()
    before = row(obj)

    changelist = admin_client.get(url(model, "changelist"))
    add_page = admin_client.get(url(model, "add"))
    add_post = admin_client.post(url(model, "add"), {"code": "new", "name": "New"})
    change_page = admin_client.get(url(model, "change", obj.pk))
    change_post = admin_client.post(url(model, "change", obj.pk), {"code": "changed"})
    delete_page = admin_client.get(url(model, "delete", obj.pk))
    delete_post = admin_client.post(url(model, "delete", obj.pk), {"post": "yes"})
    bulk_delete = admin_client.post(
        url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )

    assert changelist.status_code == 200
    assert changelist.context["has_add_permission"] is False
    assert url(model, "add") not in changelist.content.decode()
    assert add_page.status_code == 403
    assert add_post.status_code == 403
    assert change_page.status_code == 200
    assert change_page.context["has_change_permission"] is False
    assert b'type="submit"' not in change_page.content.split(b'id="content-main"')[1]
    assert change_post.status_code == 403
    assert delete_page.status_code == 403
    assert delete_post.status_code == 403
    assert bulk_delete.status_code == 200  # the changelist again, with "No action selected."
    assert model._default_manager.count() == count
    assert row(obj) == before


def test_country_list_shows_groupings_and_filters_on_them(admin_client: Client) -> None:
    response = admin_client.get(url(Country, "changelist"), {"is_sids__exact": "1", "q": "FJI"})

    assert [c.iso3 for c in response.context["cl"].result_list] == ["FJI"]
    html = response.content.decode()
    for column in ("iso3", "name", "region_name", "subregion_name", "regional_office"):
        assert f"column-{column}" in html, column
    for flag in ("LDC", "LLDC", "SIDS", "G77", "Southern"):
        assert f">{flag}</a>" in html, flag
    offices = admin_client.get(
        url(Country, "changelist"),
        {"regional_office__id__exact": RegionalOffice.objects.get(code="west-asia").pk},
    )
    assert "JOR" in {c.iso3 for c in offices.context["cl"].result_list}
    assert "KEN" not in {c.iso3 for c in offices.context["cl"].result_list}


@pytest.mark.parametrize("path", ["admin:catalog_entry_changelist", "admin:catalog_country_add"])
def test_a_signed_in_user_who_is_not_staff_is_sent_to_the_login_page(
    client: Client, path: str
) -> None:
    user: User = UserFactory()
    client.force_login(user)

    response = client.get(reverse(path))

    assert response.wsgi_request.user.is_authenticated
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_an_anonymous_visitor_is_sent_to_the_login_page(client: Client) -> None:
    response = client.get(url(Entry, "changelist"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={url(Entry, 'changelist')}"


def test_organization_page_shows_is_southern_read_only_and_posting_it_changes_nothing(
    admin_client: Client,
) -> None:
    organization: Organization = OrganizationFactory(name="Kenya Forestry Research Institute")

    page = admin_client.get(url(Organization, "change", organization.pk))
    assert "is_southern" not in page.context["adminform"].form.fields
    html = page.content.decode()
    assert 'name="is_southern"' not in html
    assert '<div class="readonly"><img src="/static/admin/img/icon-yes.svg" alt="True"></div>' in (
        html
    )

    response = admin_client.post(
        url(Organization, "change", organization.pk),
        {
            "name": "KEFRI",
            "acronym": "",
            "type": organization.type,
            "country": str(organization.country_id),
            "is_southern": "",
            "website": "",
            "description": "",
            "contact_email": "",
            # The aliases inline (partners/admin.py), empty.
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.name == "KEFRI"
    assert organization.country.iso3 == "KEN"
    assert organization.is_southern is True
    assert Country.objects.get(iso3="KEN").is_southern is True


def test_organization_filters_by_southern_from_the_country(admin_client: Client) -> None:
    kenyan: Organization = OrganizationFactory()
    french: Organization = OrganizationFactory(country=country("FRA"))

    southern = listed(admin_client.get(url(Organization, "changelist"), {"southern": "yes"}))
    northern = listed(admin_client.get(url(Organization, "changelist"), {"southern": "no"}))

    assert southern == {kenyan.pk}
    assert northern == {french.pk}


def test_autocomplete_finds_countries_for_the_entry_form(admin_client: Client) -> None:
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "kenya",
            "app_label": "catalog",
            "model_name": "entry",
            "field_name": "countries_applied",
        },
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["Kenya"]


def test_the_search_change_log_is_read_only_in_the_admin(
    admin_client: Client, sample_data: dict[str, Any]
) -> None:
    from search.models import EntryChange

    change = EntryChange.objects.first()
    assert change is not None
    assert admin_client.get(url(EntryChange, "add")).status_code == 403
    response = admin_client.post(url(EntryChange, "delete", change.pk), {"post": "yes"})
    assert response.status_code == 403
    assert EntryChange.objects.filter(pk=change.pk).exists()

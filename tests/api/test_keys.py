"""API keys: hashed, shown once, scoped, revocable, expiring, throttled; managed by the
organization's administrators in the browser and through the API."""

import datetime
import hashlib

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import api_keys
from accounts.models import ApiKey, Membership, User
from catalog.models import Entry
from exchange.errors import ApplicationError
from tests.api.conftest import bearer
from tests.factories import (
    EntryFactory,
    MembershipFactory,
    OrganizationFactory,
    StaffUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_only_a_hash_of_the_secret_is_stored(make_key):
    key, secret = make_key("read")
    assert secret.startswith(f"sse_{key.prefix}_")
    stored = ApiKey.objects.get(pk=key.pk)
    raw_secret = secret.split("_", 2)[2]
    assert stored.secret_hash == hashlib.sha256(raw_secret.encode()).hexdigest()
    assert raw_secret not in str(ApiKey.objects.filter(pk=key.pk).values().get())


def test_a_key_authenticates_with_bearer_and_api_key_schemes(api, make_key):
    key, secret = make_key("read")
    assert api.get("/api/v1/needs/", **bearer(secret)).status_code == 200
    response = api.get("/api/v1/needs/", HTTP_AUTHORIZATION=f"Api-Key {secret}")
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer sse_000000000000_wrong", "Bearer ", "Api-Key sse_x"],
)
def test_a_bad_key_is_refused_not_treated_as_anonymous(api, header):
    response = api.get("/api/v1/entries/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_key"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_wrong_secret_with_a_real_prefix_is_refused(api, make_key):
    key, secret = make_key("read")
    forged = f"sse_{key.prefix}_{'A' * 43}"
    response = api.get("/api/v1/entries/", **bearer(forged))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_key"


def test_a_revoked_key_is_refused(api, make_key, admin):
    key, secret = make_key("read")
    api_keys.api_key_revoke(key=key, by=admin)
    response = api.get("/api/v1/entries/", **bearer(secret))
    assert response.status_code == 401
    assert response.json()["code"] == "key_revoked"


def test_an_expired_key_is_refused(api, make_key):
    key, secret = make_key("read", expires_at=timezone.now() + datetime.timedelta(days=1))
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        response = api.get("/api/v1/entries/", **bearer(secret))
    assert response.status_code == 401
    assert response.json()["code"] == "key_expired"


def test_a_key_of_a_closed_account_is_refused(api, make_key, admin):
    _key, secret = make_key("read")
    admin.is_active = False
    admin.save(update_fields=["is_active"])
    response = api.get("/api/v1/entries/", **bearer(secret))
    assert response.status_code == 401
    assert response.json()["code"] == "key_owner_inactive"


def test_reading_needs_the_read_scope(api, make_key):
    _key, secret = make_key("write-entries")
    response = api.get("/api/v1/entries/", **bearer(secret))
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"


def test_writing_entries_needs_the_write_entries_scope(api, make_key):
    _key, secret = make_key("read", "write-needs")
    response = api.post(
        "/api/v1/entries/",
        {
            "module": "technology",
            "kind": "technology",
            "title": "T",
            "summary": "S",
            "language": "en",
        },
        format="json",
        **bearer(secret),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"
    assert Entry.objects.count() == 0


def test_a_key_made_by_staff_has_no_staff_powers(api, organization):
    staff: User = StaffUserFactory()
    _key, secret = api_keys.api_key_create(
        organization=organization, by=staff, name="staff made", scopes=["read", "write-entries"]
    )
    theirs = EntryFactory(title="Another organization's")
    draft = EntryFactory(status=Entry.Status.DRAFT)
    assert api.get(f"/api/v1/entries/{draft.pk}/", **bearer(secret)).status_code == 404
    response = api.patch(
        f"/api/v1/entries/{theirs.pk}/", {"title": "x"}, format="json", **bearer(secret)
    )
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.title == "Another organization's"


@pytest.mark.parametrize("path", ["/api/v1/api-keys/", "/api/v1/saved-searches/"])
def test_keys_cannot_use_person_only_resources(api, make_key, path):
    _key, secret = make_key("read", "write-entries", "write-needs", "manage-matches")
    response = api.get(path, **bearer(secret))
    assert response.status_code == 403
    assert response.json()["code"] == "session_required"


@override_settings(API_KEY_THROTTLE_RATE="3/minute")
def test_a_key_over_its_rate_gets_429_with_retry_after(api, make_key):
    _key, secret = make_key("read")
    _other, other_secret = make_key("read")
    for _ in range(3):
        assert api.get("/api/v1/themes/", **bearer(secret)).status_code == 200
    response = api.get("/api/v1/themes/", **bearer(secret))
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Per key: another key of the same organization is not throttled.
    assert api.get("/api/v1/themes/", **bearer(other_secret)).status_code == 200


@override_settings(API_ANON_THROTTLE_RATE="2/minute")
def test_anonymous_clients_are_throttled_by_address(api):
    assert api.get("/api/v1/themes/").status_code == 200
    assert api.get("/api/v1/themes/").status_code == 200
    response = api.get("/api/v1/themes/")
    assert response.status_code == 429
    assert "Retry-After" in response


# The API resource ---------------------------------------------------------------------------


def test_an_administrator_creates_a_key_through_the_api_and_sees_it_once(api, organization, admin):
    api.force_authenticate(admin)
    response = api.post(
        "/api/v1/api-keys/",
        {"organization": organization.pk, "name": "Sync", "scopes": ["read", "write-entries"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    key = ApiKey.objects.get()
    assert body["key"].startswith(f"sse_{key.prefix}_")
    assert body["scopes"] == ["read", "write-entries"]
    listed = api.get("/api/v1/api-keys/").json()["results"]
    assert [row["name"] for row in listed] == ["Sync"]
    assert "key" not in listed[0]
    assert "key" not in api.get(f"/api/v1/api-keys/{key.pk}/").json()
    api.force_authenticate(None)
    assert api.get("/api/v1/entries/", **bearer(body["key"])).status_code == 200


def test_an_administrator_revokes_a_key_through_the_api(api, make_key, admin):
    key, secret = make_key("read")
    api.force_authenticate(admin)
    response = api.post(f"/api/v1/api-keys/{key.pk}/revoke/")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    api.force_authenticate(None)
    assert api.get("/api/v1/entries/", **bearer(secret)).status_code == 401


def test_a_contributor_cannot_create_or_see_keys(api, organization, make_key):
    key, _secret = make_key("read")
    contributor = MembershipFactory(organization=organization).user
    api.force_authenticate(contributor)
    response = api.post(
        "/api/v1/api-keys/",
        {"organization": organization.pk, "name": "Mine", "scopes": ["read"]},
        format="json",
    )
    assert response.status_code == 404
    assert api.get("/api/v1/api-keys/").json()["results"] == []
    assert api.post(f"/api/v1/api-keys/{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
    assert ApiKey.objects.count() == 1


def test_an_administrator_cannot_touch_another_organizations_keys(api, make_key, admin):
    other = OrganizationFactory()
    other_admin = MembershipFactory(organization=other, role=Membership.Role.ADMINISTRATOR).user
    theirs, _ = make_key("read", org=other, by=other_admin)
    api.force_authenticate(admin)
    assert api.get(f"/api/v1/api-keys/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/api-keys/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_key_creation_checks_scopes_names_and_expiry(organization, admin):
    with pytest.raises(ApplicationError):
        api_keys.api_key_create(organization=organization, by=admin, name="x", scopes=["root"])
    with pytest.raises(ApplicationError):
        api_keys.api_key_create(
            organization=organization,
            by=admin,
            name="x",
            scopes=["read"],
            expires_at=timezone.now() + datetime.timedelta(days=800),
        )
    api_keys.api_key_create(organization=organization, by=admin, name="Sync", scopes=["read"])
    with pytest.raises(ApplicationError):
        api_keys.api_key_create(organization=organization, by=admin, name="sync", scopes=["read"])
    assert ApiKey.objects.count() == 1


# The HTML page ------------------------------------------------------------------------------


def test_the_keys_page_asks_anonymous_visitors_to_sign_in(client, organization):
    url = reverse("accounts:api_key_list", kwargs={"pk": organization.pk})
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_keys_page_is_forbidden_to_contributors(client, organization, make_key):
    key, _secret = make_key("read")
    client.force_login(MembershipFactory(organization=organization).user)
    url = reverse("accounts:api_key_list", kwargs={"pk": organization.pk})
    assert client.get(url).status_code == 403
    response = client.post(url, {"name": "Mine", "scopes": ["read"]})
    assert response.status_code == 403
    revoke = reverse("accounts:api_key_revoke", kwargs={"pk": organization.pk, "key_pk": key.pk})
    assert client.post(revoke).status_code == 403
    assert ApiKey.objects.count() == 1
    key.refresh_from_db()
    assert key.revoked_at is None


def test_the_administrator_creates_a_key_on_the_page_and_sees_it_once(client, organization, admin):
    client.force_login(admin)
    url = reverse("accounts:api_key_list", kwargs={"pk": organization.pk})
    response = client.post(url, {"name": "Project database", "scopes": ["read", "write-entries"]})
    assert response.status_code == 302
    key = ApiKey.objects.get()
    assert key.scopes == ["read", "write-entries"]
    page = client.get(url).content.decode()
    assert f"sse_{key.prefix}_" in page
    assert "Copy it now" in page
    again = client.get(url).content.decode()
    assert "Copy it now" not in again
    assert "Project database" in again
    # The same form posted twice makes one key.
    response = client.post(url, {"name": "Project database", "scopes": ["read"]})
    assert response.status_code == 400
    assert "already has a key named" in response.content.decode()
    assert ApiKey.objects.count() == 1


def test_the_form_explains_missing_scopes(client, organization, admin):
    client.force_login(admin)
    url = reverse("accounts:api_key_list", kwargs={"pk": organization.pk})
    response = client.post(url, {"name": "<b>x</b>"})
    assert response.status_code == 400
    assert ApiKey.objects.count() == 0


def test_the_administrator_revokes_a_key_on_the_page(client, organization, admin, make_key):
    key, _secret = make_key("read")
    client.force_login(admin)
    revoke = reverse("accounts:api_key_revoke", kwargs={"pk": organization.pk, "key_pk": key.pk})
    assert client.post(revoke).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == admin


def test_a_key_of_another_organization_cannot_be_revoked_through_mine(
    client, organization, admin, make_key
):
    other = OrganizationFactory()
    theirs, _ = make_key("read", org=other, by=StaffUserFactory())
    client.force_login(admin)
    revoke = reverse("accounts:api_key_revoke", kwargs={"pk": organization.pk, "key_pk": theirs.pk})
    assert client.post(revoke).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_someone_without_an_organization_gets_403(client, organization):
    client.force_login(UserFactory())
    url = reverse("accounts:api_key_list", kwargs={"pk": organization.pk})
    assert client.get(url).status_code == 403

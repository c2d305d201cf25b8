"""/api/v1/webhooks/: an organization's administrators (or its keys with `manage-webhooks`)
register, list, change, rotate, ping and delete its webhooks and read their delivery log;
nobody else sees them. Bad input gets a problem detail and changes nothing."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import Organization
from tests.factories import MembershipFactory, StaffUserFactory
from tests.webhooks.conftest import Receiver, bearer
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"


def create_body(organization: Organization, receiver: Receiver, **extra: Any) -> dict[str, Any]:
    return {
        "organization": organization.pk,
        "url": receiver.url,
        "event_types": ["entry.changed", "match.strong"],
        **extra,
    }


def test_an_administrator_registers_a_webhook_and_sees_its_secret_once(
    api: APIClient,
    admin: User,
    organization: Organization,
    receiver: Receiver,
    local_receivers: None,
) -> None:
    api.force_authenticate(admin)
    response = api.post(
        URL,
        create_body(
            organization,
            receiver,
            description="Our project database",
            themes=["ecosystem-management"],
            countries=["ken", "BRA"],
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    webhook = Webhook.objects.get()
    assert body["secret"] == webhook.secret and body["secret"].startswith("whsec_")
    assert body["organization"] == organization.pk
    assert body["event_types"] == ["entry.changed", "match.strong"]
    assert body["themes"] == ["ecosystem-management"]
    assert sorted(body["countries"]) == ["BRA", "KEN"]
    assert body["is_active"] is True
    assert webhook.created_by == admin

    listed = api.get(URL).json()
    assert [item["id"] for item in listed["results"]] == [webhook.pk]
    assert "secret" not in listed["results"][0]
    detail = api.get(f"{URL}{webhook.pk}/")
    assert detail.status_code == 200
    assert "secret" not in detail.json()
    assert webhook.secret not in detail.content.decode()


def test_change_rotate_ping_and_delete(
    api: APIClient,
    admin: User,
    make_webhook: Callable[..., Any],
    receiver: Receiver,
) -> None:
    webhook, secret = make_webhook(receiver.url)
    api.force_authenticate(admin)

    changed = api.patch(
        f"{URL}{webhook.pk}/",
        {"event_types": ["need.changed"], "countries": ["KEN"], "is_active": False},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["event_types"] == ["need.changed"]
    assert changed.json()["countries"] == ["KEN"]
    assert changed.json()["is_active"] is False
    refused = api.post(f"{URL}{webhook.pk}/ping/")
    assert refused.status_code == 400
    assert "disabled" in refused.json()["detail"]
    api.patch(f"{URL}{webhook.pk}/", {"is_active": True}, format="json")

    rotated = api.post(f"{URL}{webhook.pk}/rotate-secret/")
    assert rotated.status_code == 200
    webhook.refresh_from_db()
    assert rotated.json()["secret"] == webhook.secret != secret

    ping = api.post(f"{URL}{webhook.pk}/ping/")
    assert ping.status_code == 202, ping.content
    delivery = Delivery.objects.get()
    assert ping.json()["id"] == delivery.pk
    assert ping.json()["event_type"] == "ping"

    deleted = api.delete(f"{URL}{webhook.pk}/")
    assert deleted.status_code == 204
    assert not Webhook.objects.exists() and not Delivery.objects.exists()


def test_the_delivery_log_pages_newest_first_and_redelivers(
    api: APIClient,
    admin: User,
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    webhook, _secret = make_webhook(receiver.url)
    deliveries = [
        Delivery.objects.create(
            webhook=webhook, event_type="ping", payload={"n": n}, status="succeeded"
        )
        for n in range(3)
    ]
    api.force_authenticate(admin)
    first = api.get(f"{URL}{webhook.pk}/deliveries/", {"page_size": 2})
    assert first.status_code == 200
    page = first.json()
    assert [item["id"] for item in page["results"]] == [deliveries[2].pk, deliveries[1].pk]
    assert page["results"][0]["payload"] == {"n": 2}
    second = api.get(page["next"]).json()
    assert [item["id"] for item in second["results"]] == [deliveries[0].pk]
    assert api.get(f"{URL}{webhook.pk}/deliveries/", {"cursor": "bogus!"}).status_code == 400

    with django_capture_on_commit_callbacks(execute=True):
        again = api.post(f"{URL}{webhook.pk}/deliveries/{deliveries[0].pk}/redeliver/")
    assert again.status_code == 202, again.content
    redelivered = Delivery.objects.get(pk=again.json()["id"])
    assert redelivered.event_id == deliveries[0].event_id
    assert redelivered.status == Delivery.Status.SUCCEEDED
    (call,) = receiver.received
    assert call.headers["X-Exchange-Delivery"] == str(deliveries[0].event_id)
    assert call.json() == {"n": 0}


def test_another_organization_sees_and_changes_nothing(
    api: APIClient,
    other_admin: User,
    make_webhook: Callable[..., Any],
    make_key: Callable[..., Any],
    organization: Organization,
    other_organization: Organization,
    receiver: Receiver,
) -> None:
    webhook, secret = make_webhook(receiver.url)
    delivery = Delivery.objects.create(webhook=webhook, event_type="ping", payload={})
    # A contributor (not administrator) of the organization itself is an outsider too.
    contributor: User = MembershipFactory(organization=organization).user
    _key, other_key = make_key("manage-webhooks", org=other_organization, by=other_admin)
    outsiders: list[tuple[User | None, str]] = [
        (other_admin, ""),
        (contributor, ""),
        (None, other_key),
    ]
    for user, key in outsiders:
        client = APIClient()
        headers: dict[str, str] = bearer(key) if key else {}
        if user is not None:
            client.force_authenticate(user)
        assert client.get(URL, **headers).json()["results"] == []
        for path in (
            f"{URL}{webhook.pk}/",
            f"{URL}{webhook.pk}/deliveries/",
            f"{URL}{webhook.pk}/deliveries/{delivery.pk}/",
        ):
            assert client.get(path, **headers).status_code == 404, path
        for method, path in (
            ("patch", f"{URL}{webhook.pk}/"),
            ("delete", f"{URL}{webhook.pk}/"),
            ("post", f"{URL}{webhook.pk}/rotate-secret/"),
            ("post", f"{URL}{webhook.pk}/ping/"),
            ("post", f"{URL}{webhook.pk}/deliveries/{delivery.pk}/redeliver/"),
        ):
            response = getattr(client, method)(path, {"is_active": False}, format="json", **headers)
            assert response.status_code == 404, (method, path)
            assert str(webhook.pk) not in response.json()["detail"]
        # Registering one for the other organization: 404, never a hint that it exists.
        created = client.post(URL, create_body(organization, receiver), format="json", **headers)
        assert created.status_code == 404
    webhook.refresh_from_db()
    assert webhook.is_active and webhook.secret == secret
    assert Webhook.objects.count() == 1 and Delivery.objects.count() == 1


def test_programme_staff_manage_every_organizations_webhooks(
    api: APIClient, make_webhook: Callable[..., Any], receiver: Receiver
) -> None:
    webhook, _secret = make_webhook(receiver.url)
    api.force_authenticate(StaffUserFactory())
    assert api.get(f"{URL}{webhook.pk}/").status_code == 200


def test_a_key_needs_the_manage_webhooks_scope(
    api: APIClient,
    make_key: Callable[..., Any],
    make_webhook: Callable[..., Any],
    organization: Organization,
    receiver: Receiver,
) -> None:
    webhook, _secret = make_webhook(receiver.url)
    _key, reader = make_key("read", "write-entries", "write-needs", "manage-matches")
    for method, path in (("get", URL), ("get", f"{URL}{webhook.pk}/"), ("post", URL)):
        response = getattr(api, method)(path, {}, format="json", **bearer(reader))
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "scope_missing"

    _key, manager = make_key("manage-webhooks")
    assert api.get(f"{URL}{webhook.pk}/", **bearer(manager)).status_code == 200
    # Without `organization`, a key registers for its own.
    created = api.post(
        URL,
        {"url": receiver.url, "event_types": ["need.changed"]},
        format="json",
        **bearer(manager),
    )
    assert created.status_code == 201, created.content
    assert created.json()["organization"] == organization.pk
    # Anonymous clients: 401.
    assert APIClient().get(URL).status_code == 401


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"url": "not a url"}, "url", "invalid"),
        ({"url": "https://example.org/" + "a" * 500}, "url", "max_length"),
        ({"url": 12}, "url", "invalid"),
        ({"event_types": ["entry.exploded"]}, "event_types.0", "invalid_choice"),
        ({"event_types": []}, "event_types", "min_length"),
        ({"event_types": "entry.changed"}, "event_types", "not_a_list"),
        ({"themes": ["no-such-theme"]}, "themes", "invalid"),
        ({"countries": ["XXX"]}, "countries", "invalid"),
        ({"colour": "blue"}, "colour", "unknown_field"),
        ({"secret": "whsec_mine"}, "secret", "unknown_field"),
        ({"organization": "abc"}, "organization", "invalid"),
    ],
)
def test_bad_input_is_refused_field_by_field(
    api: APIClient,
    admin: User,
    organization: Organization,
    receiver: Receiver,
    local_receivers: None,
    change: dict[str, Any],
    field: str,
    code: str,
) -> None:
    api.force_authenticate(admin)
    response = api.post(URL, {**create_body(organization, receiver), **change}, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert (errors[0]["field"], errors[0]["code"]) == (field, code), errors
    assert not Webhook.objects.exists()


def test_a_bad_change_keeps_the_webhook_as_it_was(
    api: APIClient, admin: User, make_webhook: Callable[..., Any], receiver: Receiver, settings: Any
) -> None:
    webhook, _secret = make_webhook(receiver.url, "entry.changed", country_codes=["KEN"])
    api.force_authenticate(admin)
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []
    for change in (
        {"url": "http://169.254.169.254/"},
        {"countries": ["BRA", "XXX"]},
        {"event_types": ["need.changed"], "themes": ["nope"]},
        {"unknown": 1},
    ):
        response = api.patch(f"{URL}{webhook.pk}/", change, format="json")
        assert response.status_code == 400, (change, response.content)
    webhook.refresh_from_db()
    assert webhook.url == receiver.url
    assert webhook.event_types == ["entry.changed"]
    assert [c.iso3 for c in webhook.countries.all()] == ["KEN"]
    assert list(webhook.themes.all()) == []


def test_ids_out_of_range_are_404(api: APIClient, admin: User) -> None:
    api.force_authenticate(admin)
    assert api.get(f"{URL}99999999999999999999999/").status_code == 404
    assert api.get(f"{URL}1/deliveries/").status_code == 404

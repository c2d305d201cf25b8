"""The webhooks page of an organization: its administrators register webhooks (the secret shown
once), see recent deliveries, disable, enable and delete them; nobody else gets in."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from catalog.models import Organization
from tests.factories import MembershipFactory
from tests.webhooks.conftest import Receiver
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db


def page(organization: Organization) -> str:
    return f"/accounts/organizations/{organization.pk}/webhooks/"


def test_an_administrator_registers_a_webhook_and_sees_the_secret_once(
    client: Client,
    admin: User,
    organization: Organization,
    receiver: Receiver,
    local_receivers: None,
) -> None:
    client.force_login(admin)
    response = client.post(
        page(organization),
        {
            "url": receiver.url,
            "description": "Project database",
            "event_types": ["entry.changed", "need.changed"],
            "themes": ["ecosystem-management"],
            "countries": ["KEN"],
        },
    )
    assert response.status_code == 302
    webhook = Webhook.objects.get()
    assert webhook.event_types == ["entry.changed", "need.changed"]
    assert [t.code for t in webhook.themes.all()] == ["ecosystem-management"]
    assert [c.iso3 for c in webhook.countries.all()] == ["KEN"]
    shown = client.get(page(organization)).content.decode()
    assert webhook.secret in shown
    assert receiver.url in shown and "Nothing sent yet." in shown
    again = client.get(page(organization)).content.decode()
    assert webhook.secret not in again


def test_a_private_address_is_refused_on_the_page_too(
    client: Client, admin: User, organization: Organization, settings: Any
) -> None:
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []
    client.force_login(admin)
    response = client.post(
        page(organization),
        {"url": "http://169.254.169.254/latest/", "event_types": ["entry.changed"]},
    )
    assert response.status_code == 400
    assert "only call public addresses" in response.content.decode()
    assert not Webhook.objects.exists()


def test_disable_enable_and_delete_with_recent_deliveries_shown(
    client: Client,
    admin: User,
    organization: Organization,
    make_webhook: Callable[..., Any],
    receiver: Receiver,
) -> None:
    webhook, _secret = make_webhook(receiver.url)
    Delivery.objects.create(
        webhook=webhook,
        event_type="entry.changed",
        payload={},
        status="failed",
        attempts=1,
        response_status=410,
    )
    client.force_login(admin)
    shown = client.get(page(organization)).content.decode()
    assert "entry.changed" in shown and "410" in shown and "Failed" in shown

    client.post(f"{page(organization)}{webhook.pk}/toggle/")
    webhook.refresh_from_db()
    assert not webhook.is_active
    client.post(f"{page(organization)}{webhook.pk}/toggle/")
    webhook.refresh_from_db()
    assert webhook.is_active
    client.post(f"{page(organization)}{webhook.pk}/delete/")
    assert not Webhook.objects.exists()


def test_others_cannot_open_or_change_the_page(
    client: Client,
    organization: Organization,
    other_admin: User,
    make_webhook: Callable[..., Any],
    receiver: Receiver,
) -> None:
    webhook, _secret = make_webhook(receiver.url)
    contributor: User = MembershipFactory(organization=organization).user
    for user in (other_admin, contributor):
        client.force_login(user)
        assert client.get(page(organization)).status_code == 403
        assert client.post(f"{page(organization)}{webhook.pk}/toggle/").status_code == 403
        assert client.post(f"{page(organization)}{webhook.pk}/delete/").status_code == 403
    # The other organization's own page does not reach this webhook either.
    client.force_login(other_admin)
    other = other_admin.memberships.get().organization
    assert client.post(f"{page(other)}{webhook.pk}/delete/").status_code == 404
    client.logout()
    assert client.get(page(organization))["Location"].startswith("/accounts/login/")
    webhook.refresh_from_db()
    assert webhook.is_active


def test_the_members_page_links_to_the_webhooks(
    client: Client, admin: User, organization: Organization
) -> None:
    client.force_login(admin)
    response = client.get(f"/accounts/organizations/{organization.pk}/members/")
    assert page(organization) in response.content.decode()


def test_the_admin_shows_webhooks_and_deliveries_but_never_the_secret(
    client: Client, make_webhook: Callable[..., Any], receiver: Receiver
) -> None:
    webhook, secret = make_webhook(receiver.url)
    delivery = Delivery.objects.create(webhook=webhook, event_type="ping", payload={"n": 1})
    superuser = User.objects.create_superuser(email="root@unep.example", password="x")
    client.force_login(superuser)
    for path in (
        "/admin/webhooks/webhook/",
        f"/admin/webhooks/webhook/{webhook.pk}/change/",
        "/admin/webhooks/delivery/",
        f"/admin/webhooks/delivery/{delivery.pk}/change/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert secret not in response.content.decode()
    assert client.get("/admin/webhooks/webhook/add/").status_code == 403

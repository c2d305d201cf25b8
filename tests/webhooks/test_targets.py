"""No server-side request forgery: URLs leading to loopback, private, link-local, reserved or
unspecified addresses (also in IPv6 disguises, also behind a host name) are refused when a
webhook is registered, and again at delivery, before any connection is made."""

import ipaddress
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.webhooks.conftest import Receiver
from webhooks import services, targets
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.0.0.2:8080/hook",
    "http://[::1]/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a9fe:a9fe]/hook",  # 169.254.169.254, mapped
    "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
    "http://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://100.64.0.1/hook",  # shared address space
    "http://224.0.0.1/hook",  # multicast
    "http://240.0.0.1/hook",  # reserved
    "http://2130706433/hook",  # 127.0.0.1 as a number
    "http://0x7f000001/hook",
    "http://localhost/hook",
]


@pytest.fixture
def http_allowed(settings: Any) -> None:
    # http is allowed so that the refusal is about the address; no network is allowed.
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []


@pytest.mark.parametrize("url", REFUSED)
def test_registering_a_private_or_local_address_is_refused(
    api: APIClient, admin: User, organization: Any, http_allowed: None, url: str
) -> None:
    api.force_authenticate(admin)
    response = api.post(
        "/api/v1/webhooks/",
        {"organization": organization.pk, "url": url, "event_types": ["entry.changed"]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert [error["field"] for error in body["errors"]] == ["url"]
    assert "public addresses" in body["errors"][0]["detail"]
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/hook", "must start with https:// or http://"),
        ("file:///etc/passwd", "must start with https:// or http://"),
        ("gopher://example.org/", "must start with https:// or http://"),
        ("https://user:secret@example.org/hook", "user name or password"),
        ("https:///hook", "no host"),
        ("https://exa mple.org/", "spaces"),
        ("https://example.org:99999/", "not a valid URL"),
        ("https://bücher.example/", "non-ASCII"),
    ],
)
def test_registering_an_unusable_url_is_refused(
    api: APIClient, admin: User, organization: Any, http_allowed: None, url: str, message: str
) -> None:
    api.force_authenticate(admin)
    response = api.post(
        "/api/v1/webhooks/",
        {"organization": organization.pk, "url": url, "event_types": ["entry.changed"]},
        format="json",
    )
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    assert error["field"] == "url"
    assert message in error["detail"]
    assert not Webhook.objects.exists()


def test_plain_http_is_refused_unless_the_setting_allows_it(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    with pytest.raises(targets.TargetRefused, match="must start with https://"):
        targets.check_url("http://127.0.0.1:8080/hook")
    assert targets.check_url("https://127.0.0.1:8443/hook").address == "127.0.0.1"


def test_an_allowed_network_lets_only_its_addresses_through(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    assert targets.check_url("http://127.0.0.1:9/x?y=1").path == "/x?y=1"
    for url in ("http://127.0.0.2/", "http://10.0.0.1/", "http://[::1]/"):
        with pytest.raises(targets.TargetRefused):
            targets.check_url(url)


def test_public_addresses_pass_the_address_check(settings: Any) -> None:
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []
    for public in ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "8.8.8.8"):
        assert not targets.address_refused(ipaddress.ip_address(public))
    for private in ("127.0.0.1", "::ffff:10.0.0.1", "2002:c0a8:0101::1", "::"):
        assert targets.address_refused(ipaddress.ip_address(private))


def test_a_host_that_resolves_to_a_private_address_at_delivery_is_not_called(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Registered while "localhost" was allowed (e.g. a DNS answer that changed since)...
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128"]
    webhook, _secret = make_webhook(f"http://localhost:{receiver.port}/hook", "entry.changed")
    # ...and delivered when it is not.
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.webhook_ping(webhook=webhook)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 1
    assert delivery.response_status is None
    assert "public addresses" in delivery.last_error
    assert receiver.received == []  # no connection was made

"""The webhooks page in a real Chromium: an organization's administrator goes from the members
page to the webhooks, registers one (the secret is shown once), then disables it."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import Membership, User
from tests.browser.conftest import chromium_page  # noqa: F401 - a fixture
from tests.browser.test_need_registration import sign_in, verified
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.webhooks.conftest import Receiver
from webhooks.models import Webhook


@pytest.fixture
def own_connection_closed() -> Iterator[None]:
    yield
    connections.close_all()


@pytest.mark.browser
def test_an_administrator_registers_and_disables_a_webhook(
    live_server: LiveServer,
    reference_data: None,
    chromium_page: Page,  # noqa: F811
    receiver: Receiver,
    local_receivers: None,
    own_connection_closed: None,
    settings: Any,
) -> None:
    organization = OrganizationFactory(name="Centre for Water Solutions")
    admin: User = verified(UserFactory(email="admin@water.example"))
    MembershipFactory(organization=organization, user=admin, role=Membership.Role.ADMINISTRATOR)
    page = chromium_page
    sign_in(page, live_server, admin)
    page.goto(f"{live_server.url}/accounts/organizations/{organization.pk}/members/")
    page.get_by_role("link", name="Webhooks").click()
    expect(
        page.get_by_role("heading", name="Webhooks of Centre for Water Solutions")
    ).to_be_visible()

    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("A need changed").check()
    page.get_by_role("button", name="Register the webhook").click()

    webhook = Webhook.objects.get()
    expect(page.get_by_label("Secret")).to_have_value(webhook.secret)
    assert webhook.event_types == ["entry.changed", "need.changed"]
    expect(page.get_by_role("heading", name=receiver.url)).to_be_visible()
    page.reload()
    expect(page.get_by_label("Secret")).to_have_count(0)

    page.get_by_role("button", name=f"Disable {receiver.url}").click()
    expect(page.get_by_text("The webhook is disabled.")).to_be_visible()
    webhook.refresh_from_db()
    assert not webhook.is_active

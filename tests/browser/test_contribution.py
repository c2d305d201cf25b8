"""Contributing in a real Chromium: a partner submits a technology, staff publish it from the
moderation queue, and anyone finds it by searching."""

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import Membership, User
from catalog.models import Entry, EntryProvider, EntryReview
from notifications.models import Notification
from search import indexer
from tests.browser.conftest import SCREENSHOTS
from tests.factories import MembershipFactory, OrganizationFactory, StaffUserFactory

PASSWORD = "correct-horse-battery-staple"
UNIQUE_WORD = "Zebrafog"


def sign_in(page: Page, live_server: LiveServer, user: User) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.locator('input[name="login"]').fill(user.email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def verified(user: User) -> User:
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.mark.browser
def test_partner_submits_a_technology_staff_publish_it_and_it_is_found_in_search(
    live_server: LiveServer, reference_data: None, chromium_page: Page, settings: Any
) -> None:
    # The index catches up in-process when a change commits, as in `make run`.
    settings.SEARCH_CATCH_UP_ON_COMMIT = True
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    indexer.index_rebuild()
    page = chromium_page
    organization = OrganizationFactory(name="Kenya Water Centre")
    membership: Membership = MembershipFactory(
        organization=organization, user__email="wanjiru@kwc.example"
    )
    partner = verified(membership.user)
    staff_user: User = StaffUserFactory(email="moderation@unep.example")
    staff = verified(staff_user)

    # The partner contributes a technology and submits it.
    sign_in(page, live_server, partner)
    page.get_by_role("link", name="My entries").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My entries")
    page.get_by_role("link", name="Technologies").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New entry: Technologies")
    page.get_by_label("Kind").select_option(label="Method, tool or toolkit")
    page.get_by_label("Title").fill(f"{UNIQUE_WORD} fog nets for coastal villages")
    page.get_by_label("Summary").fill(
        "Mesh nets that harvest drinking water from coastal fog, built and kept by villagers."
    )
    page.get_by_label("Language of the text").select_option(label="English")
    page.get_by_label("Climate change").check()
    page.get_by_label("Countries of origin").select_option(label="Kenya")
    page.get_by_label("Training").check()
    page.get_by_label("Contact name").fill("Wanjiru Kamau")
    page.get_by_label("Contact e-mail").fill("wanjiru.kamau@kwc.example")
    page.locator('input[name="links-0-url"]').fill("https://kwc.example/fog-nets")
    page.locator('input[name="links-0-label"]').fill("Building guide")
    page.screenshot(path=str(SCREENSHOTS / "contribute.png"), full_page=True)
    page.get_by_role("button", name="Save and submit for moderation").click()
    expect(page.get_by_text("Your entry is submitted for moderation.")).to_be_visible()
    entry = Entry.objects.get()
    assert entry.status == Entry.Status.SUBMITTED
    assert entry.provider_links.get().role == EntryProvider.Role.LEAD

    # Staff find it in the moderation queue and publish it.
    sign_in(page, live_server, staff)
    page.get_by_role("link", name="Moderation", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Moderation queue")
    page.get_by_role("link", name=f"{UNIQUE_WORD} fog nets for coastal villages").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    page.get_by_label("Comment for the contributor (optional)").fill("Clear and complete.")
    page.screenshot(path=str(SCREENSHOTS / "moderation.png"), full_page=True)
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(
        page.get_by_text(f"“{UNIQUE_WORD} fog nets for coastal villages” is published.")
    ).to_be_visible()
    entry.refresh_from_db()
    assert entry.status == Entry.Status.PUBLISHED
    assert EntryReview.objects.get().decision == EntryReview.Decision.PUBLISHED
    assert Notification.objects.filter(recipient=partner, kind=Notification.Kind.PUBLISHED).exists()

    # Anyone finds it by its unique word; the contact stays hidden from visitors.
    page.context.clear_cookies()
    page.goto(live_server.url + f"/search/?q={UNIQUE_WORD.lower()}")
    result = page.get_by_role("link", name=f"{UNIQUE_WORD} fog nets for coastal villages")
    expect(result).to_be_visible()
    result.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{UNIQUE_WORD} fog nets for coastal villages"
    )
    expect(page.get_by_text("Sign in to see the contact person.")).to_be_visible()
    expect(page.get_by_text("wanjiru.kamau@kwc.example")).to_have_count(0)

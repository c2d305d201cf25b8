"""Pages of the guides that the other browser tests do not picture, walked as the guides say and
saved for them: an officer's spreadsheet of needs in its preview (one row with an error), and a
partner administrator creating an API key."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import ApiKey, Membership
from matching.models import Need
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_need_registration import sign_in, verified
from tests.factories import MembershipFactory, OfficerFactory, UserFactory


@pytest.fixture
def own_connection_closed() -> Iterator[None]:
    yield
    connections.close_all()


@pytest.mark.browser
def test_officer_previews_a_spreadsheet_of_needs_with_one_bad_row(
    live_server: LiveServer,
    reference_data: None,
    chromium_page: Page,
    tmp_path: Path,
    own_connection_closed: None,
) -> None:
    page = chromium_page
    officer = verified(OfficerFactory(email="amina@unep.example", first_name="Amina"))
    spreadsheet = tmp_path / "needs.csv"
    spreadsheet.write_text(
        "title,description,language,countries,support_sought,origin\n"
        "Solar irrigation pumps,Train technicians to install solar pumps.,en,MWI;ZWE,"
        "training,tna\n"
        "Coastal flood maps,Map the coasts at risk of flooding.,en,ATLANTIS,training,ndc\n",
        encoding="utf-8",
    )
    sign_in(page, live_server, officer)
    page.get_by_role("link", name="My needs").click()
    page.get_by_role("link", name="Import needs from a spreadsheet").click()
    page.locator('input[type="file"]').set_input_files(str(spreadsheet))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1, name="Check the import")).to_be_visible()
    expect(page.get_by_text("Nothing has been saved yet.")).to_be_visible()
    expect(page.get_by_text("countries: Unknown code(s):")).to_contain_text("ATLANTIS")
    expect(page.get_by_role("button", name="Import the 1 valid row")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "import-preview.png"), full_page=True)
    assert not Need.objects.exists()


@pytest.mark.browser
def test_partner_administrator_creates_an_api_key_shown_once(
    live_server: LiveServer,
    reference_data: None,
    chromium_page: Page,
    own_connection_closed: None,
) -> None:
    page = chromium_page
    administrator = verified(UserFactory(email="admin@partner.example"))
    membership = MembershipFactory(
        user=administrator,
        role=Membership.Role.ADMINISTRATOR,
        organization__name="Barefoot College",
    )
    sign_in(page, live_server, administrator)
    page.get_by_role("link", name="Your profile").click()
    page.get_by_role("link", name="Members").first.click()
    page.get_by_role("link", name="API keys").first.click()
    page.get_by_label("Name").fill("Our catalogue mirror")
    page.get_by_label("Read").check()
    page.get_by_role("button", name="Create the key").click()
    expect(
        page.get_by_text("Your new key. Copy it now: it will not be shown again.")
    ).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "api-keys.png"), full_page=True)
    key = ApiKey.objects.get()
    assert (key.name, key.scopes, key.organization) == (
        "Our catalogue mirror",
        ["read"],
        membership.organization,
    )

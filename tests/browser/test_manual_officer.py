"""The officer's guide (docs/officers/), followed as written in a real Chromium on the demo
data: the demo officer of the Africa office signs in, registers a need, opens the matches of
the demo need "Rainwater harvesting for smallholder farmers" and takes one match through
shortlist, contact, agreement, implementation and completion with its outcome. It saves the
screenshots the guide shows."""

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from matching.models import Match, Need
from matching.ranking.profiles import forget_reference
from tests.browser.conftest import SCREENSHOTS

PASSWORD = "officer-guide-password"
DEMO_OFFICER = "officer.africa@example.org"
DEMO_NEED = "Rainwater harvesting for smallholder farmers"


@pytest.fixture
def own_connection_closed() -> Iterator[None]:
    """Under Playwright's event loop the test body has a database connection of its own."""
    yield
    connections.close_all()


@pytest.fixture
def demo_portal(reference_data: None, settings: Any, tmp_path: Path) -> User:
    """What `make run` prepares: the demo content, the demo accounts and fresh suggestions."""
    forget_reference()
    call_command("load_demo", verbosity=0)
    # The demo accounts are for development only; their password file goes to a scratch folder.
    settings.DEBUG, settings.VAR_DIR = True, tmp_path
    call_command("ensure_demo_users", stdout=io.StringIO())
    settings.DEBUG = False
    call_command("search_catch_up", verbosity=0)
    call_command("matching_refresh", stdout=io.StringIO())
    officer = User.objects.get(email=DEMO_OFFICER)
    officer.set_password(PASSWORD)
    officer.save(update_fields=["password"])
    return officer


@pytest.mark.browser
def test_a_new_officer_follows_the_guide_from_sign_in_to_a_recorded_outcome(
    live_server: LiveServer,
    demo_portal: User,
    chromium_page: Page,
    own_connection_closed: None,
) -> None:
    page = chromium_page
    need = Need.objects.get(title=DEMO_NEED)
    assert need.status == Need.Status.OPEN
    assert Match.objects.filter(need=need, status=Match.Status.SUGGESTED).exists()

    # "Sign in and find your needs"
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sign in").click()
    page.locator('input[name="login"]').fill(DEMO_OFFICER)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("link", name="My needs").click()
    expect(page.get_by_role("heading", level=1, name="My needs")).to_be_visible()

    # "Register a need, step by step"
    page.get_by_role("link", name="Register a need").click()
    expect(page.get_by_role("link", name="How do I register a need?")).to_be_visible()
    expect(page.get_by_role("heading", level=2)).to_have_text("Step 1 of 4: What is needed")
    page.get_by_label("Title").fill("Solar cold storage for fish traders")
    page.get_by_label("Description").fill(
        "Women fish traders on Lake Malawi lose much of their catch before it is sold. They need "
        "affordable solar-powered cold storage and training to run and repair it."
    )
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Step 2 of 4")
    page.get_by_label("Malawi", exact=False).first.check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Step 3 of 4")
    page.get_by_label("Training").check()
    page.get_by_label("High").check()
    page.get_by_label("Within a year").check()
    page.get_by_label("Origin:", exact=True).select_option(label="Government request")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Step 4 of 4")
    page.get_by_role("button", name="Submit for screening").click()
    expect(page.get_by_text("Need submitted.")).to_be_visible()
    registered = Need.objects.get(title="Solar cold storage for fish traders")
    assert registered.status == Need.Status.SUBMITTED
    assert registered.created_by == demo_portal
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="My needs"
    ).click()
    expect(page.get_by_role("link", name="Solar cold storage for fish traders")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "officer-my-needs.png"), full_page=True)

    # "Read the matches"
    page.get_by_role("link", name=DEMO_NEED).click()
    expect(page.get_by_role("heading", level=2, name="Matching solutions")).to_be_visible()
    suggested = page.get_by_role("list", name="Suggested")
    first = suggested.locator("li.match-card").first
    match = Match.objects.get(pk=int(first.get_attribute("id").removeprefix("match-")))
    title = match.entry.title
    first.get_by_text("How the score is made").click()
    expect(first.get_by_role("columnheader", name="Adds to score")).to_be_visible()

    # "Move a match through its life cycle"
    card = page.locator(f"#match-{match.pk}")
    for button, message in (
        ("Shortlist", "Match shortlisted."),
        ("Mark contacted", "Match marked as contacted."),
        ("Agree", "Match agreed: the need is matched."),
        ("Start implementation", "Implementation started."),
    ):
        card.get_by_role("button", name=f"{button}: {title}").click()
        expect(page.get_by_text(message)).to_be_visible()

    # "Record the outcome"
    card.get_by_text("Complete…").click()
    card.get_by_label("Results").fill("60 technicians trained; 120 farm ponds built.")
    card.get_by_label("Beneficiaries").fill("1,400 smallholder households in Malawi and Zimbabwe.")
    card.get_by_label("Lessons learned").fill("Train local masons first; they keep ponds working.")
    card.get_by_role("button", name=f"Complete: {title}").click()
    expect(page.get_by_text("Match completed, with its outcome.")).to_be_visible()
    followed = page.get_by_role("list", name="Followed up")
    outcome = followed.locator(f"#match-{match.pk}")
    expect(outcome).to_contain_text("Completed")
    expect(outcome).to_contain_text("120 farm ponds built")
    outcome.scroll_into_view_if_needed()
    outcome.screenshot(path=str(SCREENSHOTS / "officer-outcome.png"))

    match.refresh_from_db()
    need.refresh_from_db()
    assert match.status == Match.Status.COMPLETED
    assert match.results == "60 technicians trained; 120 farm ponds built."
    assert match.completed_by == demo_portal
    assert need.status == Need.Status.MATCHED

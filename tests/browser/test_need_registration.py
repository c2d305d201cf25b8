"""Registering a need in a real Chromium: an officer fills the form in steps and submits; staff
return it with a comment; the officer reads it, fixes the need and submits again; staff validate.
"""

import datetime
import re
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.db import connections
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from matching.models import Need, NeedReview
from notifications.models import Notification
from tests.browser.conftest import SCREENSHOTS
from tests.factories import OfficerFactory, StaffUserFactory

PASSWORD = "correct-horse-battery-staple"


def sign_in(page: Page, live_server: LiveServer, user: User) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.locator('input[name="login"]').fill(user.email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def verified(user: Any) -> User:
    assert isinstance(user, User)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def people(reference_data: None) -> Iterator[tuple[User, User]]:
    """An officer of the Africa office and a member of staff who can sign in."""
    yield (
        verified(OfficerFactory(email="amina@unep.example", first_name="Amina")),
        verified(StaffUserFactory(email="screening@unep.example")),
    )


@pytest.fixture
def own_connection_closed() -> Iterator[None]:
    """Under Playwright's event loop the test body gets a database connection of its own;
    close it, or the test database cannot be dropped at the end of the run."""
    yield
    connections.close_all()


@pytest.mark.browser
def test_officer_registers_a_need_staff_return_it_and_validate_it_after_the_fix(
    live_server: LiveServer,
    people: tuple[User, User],
    chromium_page: Page,
    own_connection_closed: None,
) -> None:
    page = chromium_page
    officer, staff = people
    needed_by = timezone.localdate() + datetime.timedelta(days=120)

    # The officer registers the need in steps.
    sign_in(page, live_server, officer)
    page.get_by_role("link", name="My needs").click()
    page.get_by_role("link", name="Register a need").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Step 1 of 4: What is needed")
    page.get_by_label("Title").fill("Safe drinking water for drought-hit villages")
    page.get_by_label("Description").fill(
        "Train district engineers to plan access to safe and affordable drinking water "
        "in villages hit by drought."
    )
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=2, name=re.compile("Step 2 of 4"))).to_be_visible()
    # Only the countries of the Africa office are offered, with their LDC/SIDS status.
    expect(page.get_by_label("Uganda (LDC, LLDC)")).to_be_visible()
    expect(page.get_by_label("Thailand")).to_have_count(0)
    page.get_by_label("Kenya").check()
    page.get_by_label("Uganda (LDC, LLDC)").check()
    suggested = page.get_by_role("checkbox", name=re.compile(r"^6\.1 .*\(suggested\)$"))
    expect(suggested).to_be_visible()
    suggested.check()
    page.screenshot(path=str(SCREENSHOTS / "need-steps.png"), full_page=True)
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=2, name=re.compile("Step 3 of 4"))).to_be_visible()
    page.get_by_label("Training").check()
    page.get_by_label("High").check()
    page.get_by_label("Within a year").check()
    page.get_by_label("Needed by").fill(needed_by.isoformat())
    page.get_by_label("Origin:", exact=True).select_option(
        label="Nationally Determined Contribution"
    )
    page.get_by_label("Origin reference").fill("Kenya updated NDC, 2020")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=2, name=re.compile("Step 4 of 4"))).to_be_visible()
    expect(page.get_by_text("Kenya, Uganda (LDC, LLDC)")).to_be_visible()
    page.get_by_role("button", name="Submit for screening").click()
    expect(page.get_by_text("Need submitted.")).to_be_visible()
    need = Need.objects.get()
    assert need.status == Need.Status.SUBMITTED

    # Staff return it with a comment.
    sign_in(page, live_server, staff)
    page.get_by_role("link", name="Screening", exact=True).click()
    page.get_by_role("link", name="Safe drinking water for drought-hit villages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Screen a need")
    page.get_by_role("group", name=re.compile("fit the national priorities")).get_by_label(
        "Yes"
    ).check()
    page.get_by_role("group", name=re.compile("least developed countries")).get_by_label(
        "Yes"
    ).check()
    page.get_by_role("group", name=re.compile("clearly stated")).get_by_label("No").check()
    page.get_by_label("Comment to the regional office").fill(
        "Name the districts and the number of engineers to train."
    )
    page.screenshot(path=str(SCREENSHOTS / "need-screening.png"), full_page=True)
    page.get_by_role("button", name="Return with comments").click()
    expect(page.get_by_text("Need returned to the regional office.")).to_be_visible()

    # The officer reads the comment, fixes the need and submits it again.
    sign_in(page, live_server, officer)
    page.get_by_role("link", name="My needs").click()
    expect(page.get_by_text("Returned with comments")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Continue")).click()
    expect(
        page.get_by_text("Name the districts and the number of engineers to train.")
    ).to_be_visible()
    page.get_by_label("Description").fill(
        "Train 40 district engineers of Turkana and Karamoja to plan access to safe and "
        "affordable drinking water in villages hit by drought."
    )
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("link", name=re.compile("Review and submit")).click()
    page.get_by_role("button", name="Submit for screening").click()
    expect(page.get_by_text("Need submitted.")).to_be_visible()

    # Staff validate it.
    sign_in(page, live_server, staff)
    page.get_by_role("link", name="Screening", exact=True).click()
    page.get_by_role("link", name="Safe drinking water for drought-hit villages").click()
    expect(page.get_by_text("Name the districts and the number of engineers")).to_be_visible()
    for group in ("fit the national priorities", "least developed countries", "clearly stated"):
        page.get_by_role("group", name=re.compile(group)).get_by_label("Yes").check()
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_text("Need validated.")).to_be_visible()

    need.refresh_from_db()
    assert need.status == Need.Status.VALIDATED
    assert "Turkana" in need.description
    assert list(need.reviews.order_by("pk").values_list("decision", flat=True)) == [
        NeedReview.Decision.RETURNED,
        NeedReview.Decision.VALIDATED,
    ]
    assert set(Notification.objects.values_list("kind", "recipient__email").distinct()) == {
        (Notification.Kind.SUBMISSION_RECEIVED, "screening@unep.example"),
        (Notification.Kind.RETURNED, "amina@unep.example"),
        (Notification.Kind.NEED_VALIDATED, "amina@unep.example"),
    }

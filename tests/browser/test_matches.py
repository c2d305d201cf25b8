"""Following matches in a real Chromium: an officer opens a need, reads why each solution was
suggested, shortlists one and declines another with a reason; a reload shows the same state."""

import re
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from catalog.models import Entry, SdgTarget
from matching import services
from matching.models import Match, Need
from matching.ranking.profiles import forget_reference
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_need_registration import sign_in, verified
from tests.factories import EntryFactory, NeedFactory, OfficerFactory, OrganizationFactory, country


@pytest.fixture
def own_connection_closed() -> Iterator[None]:
    yield
    connections.close_all()


@pytest.fixture
def need_with_suggestions(reference_data: None) -> tuple[User, Need]:
    """An officer of the Africa office and an open need ranked against a small catalogue."""
    forget_reference()  # the reference data may have been loaded again, under new ids
    officer = verified(OfficerFactory(email="amina@unep.example", first_name="Amina"))
    target = SdgTarget.objects.get(code="6.4")
    kenya = OrganizationFactory(name="Kenya Rainwater Association", country=country("KEN"))
    india = OrganizationFactory(name="Barefoot College", country=country("IND"))
    for title, organization in (
        ("Rainwater harvesting with farm ponds", kenya),
        ("Rooftop rainwater tanks for schools", india),
        ("Sand dams for dry riverbeds", kenya),
    ):
        EntryFactory(
            title=title,
            summary="Harvest and store rainwater for irrigation in the dry season.",
            sdg_targets=[target],
            providers=[organization],
        )
    need: Need = NeedFactory(
        title="Rainwater harvesting for drought-hit farms",
        description="Train farmers to harvest and store rainwater for irrigation.",
        created_by=officer,
    )
    need.sdg_targets.set([target])
    call_command("search_catch_up", verbosity=0)
    services.need_suggestions_refresh(need=need)
    assert Match.objects.filter(need=need).count() == 3
    return officer, need


def card(page: Page, match: Match):  # type: ignore[no-untyped-def]
    return page.locator(f"#match-{match.pk}")


@pytest.mark.browser
def test_officer_shortlists_one_match_and_declines_another_and_the_state_survives_a_reload(
    live_server: LiveServer,
    need_with_suggestions: tuple[User, Need],
    chromium_page: Page,
    own_connection_closed: None,
) -> None:
    page = chromium_page
    officer, need = need_with_suggestions
    best, second, _third = Match.objects.filter(need=need).order_by("-score", "pk")

    sign_in(page, live_server, officer)
    page.get_by_role("link", name="My needs").click()
    page.get_by_role("link", name="Rainwater harvesting for drought-hit farms").click()
    expect(page.get_by_role("heading", level=2, name="Matching solutions")).to_be_visible()
    # Each suggestion says why: the shared target and words, and the score's breakdown.
    reasons = card(page, best).locator(".match-reasons")
    expect(reasons.get_by_text(re.compile("Matched words:"))).to_be_visible()
    card(page, best).get_by_text("How the score is made").click()
    expect(
        card(page, best).get_by_role("row", name=re.compile("SDG targets and themes"))
    ).to_contain_text("Shared SDG targets: 6.4")
    expect(card(page, best).get_by_role("row", name=re.compile("South-South"))).to_be_visible()

    card(page, best).get_by_role("button", name=f"Shortlist: {best.entry.title}").click()
    expect(page.get_by_text("Match shortlisted.")).to_be_visible()

    card(page, second).get_by_text("Decline…").click()
    card(page, second).get_by_label("Not available").check()
    card(page, second).get_by_label("Comment").fill("Their trainers are booked until next year.")
    card(page, second).get_by_role("button", name=f"Decline: {second.entry.title}").click()
    expect(page.get_by_text("Match declined.")).to_be_visible()

    page.reload()
    followed = page.get_by_role("list", name="Followed up")
    expect(followed.locator(f"#match-{best.pk}")).to_contain_text("Shortlisted")
    expect(followed.locator(f"#match-{second.pk}")).to_contain_text("Declined")
    expect(followed.locator(f"#match-{second.pk}")).to_contain_text(
        "Not available · Their trainers are booked until next year."
    )
    expect(followed.locator(f"#match-{best.pk}")).to_contain_text("Amina")
    # The shortlisted match offers its next steps; the declined one none.
    expect(
        card(page, best).get_by_role("button", name=re.compile("^Mark contacted"))
    ).to_be_visible()
    expect(card(page, second).get_by_role("button")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "matches.png"), full_page=True)

    best.refresh_from_db()
    second.refresh_from_db()
    assert (best.status, best.shortlisted_by, best.version) == (
        Match.Status.SHORTLISTED,
        officer,
        2,
    )
    assert (second.status, second.decline_reason, second.declined_by) == (
        Match.Status.DECLINED,
        Match.DeclineReason.NOT_AVAILABLE,
        officer,
    )
    assert second.decline_comment == "Their trainers are booked until next year."
    assert Entry.objects.count() == 3

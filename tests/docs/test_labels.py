"""The names of buttons, links and headings that the guides tell people to look for are those
on the pages: each is quoted in its guide and rendered on its page (Django's test client, in
English)."""

import html
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Membership
from catalog.models import Organization
from tests.docs.conftest import DOCS
from tests.factories import (
    DraftNeedFactory,
    EntryFactory,
    MatchFactory,
    MembershipFactory,
    OfficerFactory,
    OrganizationFactory,
    PartnerSourceFactory,
    StaffUserFactory,
    country,
)

pytestmark = pytest.mark.django_db


def page_text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def assert_quoted_and_shown(guide: str, page: str, labels: list[str]) -> None:
    text = (DOCS / guide).read_text(encoding="utf-8")
    for label in labels:
        assert f"**{label}**" in re.sub(r"\s+", " ", text), f"{guide} does not quote {label!r}"
        assert label in page, f"the page does not show {label!r}, which {guide} quotes"


def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def test_officer_guides_quote_the_needs_pages(client: Client) -> None:
    officer = OfficerFactory()
    signed_in(client, officer)
    DraftNeedFactory(title="A draft of the office", created_by=officer)
    mine = page_text(client, "/needs/mine/")
    assert_quoted_and_shown("officers/register-needs.md", mine, ["My needs", "Register a need"])
    form = page_text(client, "/needs/new/")
    assert_quoted_and_shown(
        "officers/register-needs.md", form, ["Save and continue", "Save as draft and leave"]
    )
    assert_quoted_and_shown(
        "officers/import-needs.md",
        page_text(client, "/needs/import/"),
        ["Upload and preview", "Excel template (.xlsx)", "CSV template"],
    )


def test_officer_guide_quotes_the_matches_of_a_need(client: Client) -> None:
    officer = OfficerFactory()
    match = MatchFactory()
    page = page_text(signed_in(client, officer), f"/needs/{match.need_id}/")
    assert_quoted_and_shown(
        "officers/matches.md",
        page,
        ["Matching solutions", "Suggested", "How the score is made", "Shortlist", "Decline…"],
    )
    assert_quoted_and_shown("officers/matches.md", page, ["Refresh suggestions"])


def test_partner_guides_quote_the_search_and_contribution_pages(client: Client) -> None:
    EntryFactory(title="Safe drinking water for villages")
    call_command("search_catch_up", verbosity=0)
    search = page_text(client, "/search/?q=water")
    assert_quoted_and_shown(
        "partners/find-solutions.md",
        search,
        ["Narrow the results", "Apply filters", "Download these results as CSV", "Sort by"],
    )
    membership = MembershipFactory(role=Membership.Role.ADMINISTRATOR)
    signed_in(client, membership.user)
    assert_quoted_and_shown(
        "partners/contribute.md",
        page_text(client, "/contribute/"),
        ["My entries", "Contribute a new entry", "To reconfirm"],
    )
    organization = membership.organization
    assert_quoted_and_shown(
        "partners/organization.md",
        page_text(client, f"/accounts/organizations/{organization.pk}/members/"),
        ["Invite a colleague", "Send the invitation", "API keys", "Webhooks"],
    )
    assert_quoted_and_shown(
        "partners/organization.md",
        page_text(client, f"/accounts/organizations/{organization.pk}/api-keys/"),
        ["Create the key"],
    )
    assert_quoted_and_shown(
        "partners/organization.md",
        page_text(client, f"/accounts/organizations/{organization.pk}/webhooks/"),
        ["Register a webhook", "Register the webhook"],
    )


def test_staff_guides_quote_moderation_screening_sync_and_reports(client: Client) -> None:
    signed_in(client, StaffUserFactory())
    assert_quoted_and_shown(
        "staff/moderation.md",
        page_text(client, "/moderation/"),
        ["Moderation queue", "Needs waiting for screening", "Stale entries"],
    )
    assert_quoted_and_shown(
        "staff/moderation.md", page_text(client, "/needs/screening/"), ["Needs to screen"]
    )
    PartnerSourceFactory()
    assert_quoted_and_shown(
        "staff/partner-sync.md",
        page_text(client, "/partners/sources/"),
        ["Partner sources", "Last success", "Freshness", "Upload a spreadsheet of entries"],
    )
    assert_quoted_and_shown(
        "staff/partner-sync.md",
        page_text(client, "/partners/spreadsheets/upload/"),
        ["For the spreadsheet source", "Upload and preview"],
    )
    kenya = country("KEN")
    for name in ("Kenya Rainwater Association", "Kenya Rainwater Association Ltd."):
        OrganizationFactory(name=name, country=kenya, type=Organization.Type.NGO)
    assert_quoted_and_shown(
        "staff/duplicates.md",
        page_text(client, "/partners/organizations/duplicates/"),
        ["Keep", "Merge into it", "Merge the ticked organizations into the one kept"],
    )
    assert_quoted_and_shown(
        "staff/reports.md", page_text(client, "/reports/"), ["Request a report", "Reports"]
    )
    assert_quoted_and_shown(
        "staff/reports.md",
        page_text(client, "/reports/needs-overview/"),
        ["Build the report", "Leave a field empty to include everything."],
    )


def test_a_label_the_page_does_not_show_is_caught(client: Client) -> None:
    signed_in(client, StaffUserFactory())
    with pytest.raises(AssertionError, match="the page does not show"):
        assert_quoted_and_shown(
            "staff/moderation.md", page_text(client, "/needs/screening/"), ["Validate"]
        )

"""The manual in a real Chromium: from any page's footer to the officer's guide, with its
pictures, styles and search served by the portal itself (no other site is asked for anything)."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, Response, expect
from pytest_django.live_server_helper import LiveServer

from exchange import help as help_views
from tests.docs.conftest import build_manual


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("help-site")
    completed = build_manual(site)
    assert completed.returncode == 0, completed.stderr
    return site


@pytest.mark.browser
def test_the_footer_leads_to_the_officer_guide_served_whole_by_the_portal(
    live_server: LiveServer,
    reference_data: None,
    built_site: Path,
    chromium_page: Page,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(help_views, "HELP_SITE_DIR", built_site)
    page = chromium_page
    elsewhere: list[str] = []

    def note_foreign(request: Request) -> None:
        if not request.url.startswith((live_server.url, "data:", "blob:")):
            elsewhere.append(request.url)

    page.on("request", note_foreign)
    failed: list[str] = []

    def note_failure(response: Response) -> None:
        if not response.ok:
            failed.append(response.url)

    page.on("response", note_failure)

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Help and user manual").click()
    expect(page.get_by_role("heading", level=1, name="South-South Exchange manual")).to_be_visible()
    page.get_by_role("link", name="Register needs").first.click()
    expect(page.get_by_role("heading", level=1, name="Register needs")).to_be_visible()
    picture = page.locator('img[src$="need-steps.png"]')
    expect(picture).to_be_visible()
    assert picture.evaluate("image => image.naturalWidth") > 0
    # The theme's own search runs in the page, from the portal's files.
    page.wait_for_load_state("networkidle")  # the search index is loaded by then
    search = page.get_by_role("textbox", name="Search")
    search.click()
    search.press_sequentially("outcome", delay=50)
    first_result = page.locator(".md-search-result__item").first
    expect(first_result).to_contain_text("Matches, from suggestion to outcome", timeout=20_000)
    first_result.locator("a").first.click()
    expect(
        page.get_by_role("heading", level=1, name="Matches, from suggestion to outcome")
    ).to_be_visible()
    assert elsewhere == []
    assert [url for url in failed if "/help/" in url] == []

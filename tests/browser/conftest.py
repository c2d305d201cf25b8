"""A real Chromium (Debian's package) driven by Playwright, for the tests in this folder."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, sync_playwright

from catalog.models import Country

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    # Playwright's sync API runs an event loop in this thread; the ORM would refuse to run
    # beside it, though nothing here is concurrent.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
        yield context.new_page()
        context.close()
        browser.close()


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """A transactional test empties the database when it ends: load the reference data again
    when an earlier one emptied it."""
    if not Country.objects.exists():
        call_command("load_reference", verbosity=0)

"""`/help/` serves the built manual to anyone, says so when it is not built, and serves nothing
outside it; the pages link to it."""

import html
import re
from pathlib import Path

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import Client

from exchange import help as help_views
from tests.docs.conftest import DOCS
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db


def body(response: HttpResponseBase) -> str:
    if isinstance(response, StreamingHttpResponse | FileResponse):
        return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]
    return response.content.decode()  # type: ignore[attr-defined]


@pytest.fixture
def served_manual(built_manual: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(help_views, "HELP_SITE_DIR", built_manual)
    return built_manual


def test_anyone_reads_the_manual_and_its_pages(client: Client, served_manual: Path) -> None:
    home = client.get("/help/")
    assert home.status_code == 200
    assert "South-South Exchange manual" in body(home)
    page = client.get("/help/officers/register-needs/")
    assert page.status_code == 200
    assert "Register a need, step by step" in body(page)
    # Without the final slash, the page opens too.
    assert client.get("/help/officers/register-needs").status_code == 200
    picture = client.get("/help/screenshots/matches.png")
    assert picture.status_code == 200
    assert picture["Content-Type"] == "image/png"


def test_nothing_outside_the_built_manual_is_served(client: Client, served_manual: Path) -> None:
    (served_manual.parent / "secret.txt").write_text("not for you", encoding="utf-8")
    for path in ("/help/../secret.txt", "/help/%2e%2e/secret.txt", "/help/no-such-page/"):
        response = client.get(path)
        # Django refuses a path out of the folder as suspicious (400), an unknown page is 404.
        assert response.status_code in (400, 404), path
        assert "not for you" not in body(response)
    assert client.post("/help/").status_code == 405


def test_an_unbuilt_manual_says_how_to_build_it(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(help_views, "HELP_SITE_DIR", tmp_path / "not-built")
    response = client.get("/help/officers/register-needs/")
    assert response.status_code == 503
    text = response.content.decode()
    assert "The manual has not been built on this server yet." in text
    assert "mkdocs build -d var/help-site" in text


def test_every_page_links_the_manual_and_the_need_form_its_guide(
    client: Client, served_manual: Path
) -> None:
    assert 'href="/help/"' in client.get("/").content.decode()
    officer = OfficerFactory()
    client.force_login(officer)  # type: ignore[arg-type]
    form = client.get("/needs/new/").content.decode()
    assert 'href="/help/officers/register-needs/"' in form
    assert "How do I register a need?" in form
    assert client.get("/help/officers/register-needs/").status_code == 200


def manual_sections() -> list[Path]:
    """The folders of docs/ that hold pages (not the screenshots)."""
    return sorted({page.parent for page in DOCS.rglob("*.md")} - {DOCS})


def test_every_section_of_the_manual_opens_on_its_index_page(
    client: Client, served_manual: Path
) -> None:
    sections = manual_sections()
    assert {section.name for section in sections} >= {"officers", "operations"}
    for section in sections:
        name = section.relative_to(DOCS).as_posix()
        index = section / "index.md"
        assert index.is_file(), f"docs/{name}/ has no index.md"
        source = index.read_text(encoding="utf-8")
        title = source.splitlines()[0].removeprefix("# ")
        response = client.get(f"/help/{name}/")
        assert response.status_code == 200, name
        heading = re.escape(html.escape(title, quote=False))
        assert re.search(rf"<h1[^>]*>{heading}", body(response)), name
        # The index introduces the section and links each of its other pages.
        linked = set(re.findall(r"\]\(([\w-]+\.md)\)", source))
        pages = {page.name for page in section.glob("*.md")} - {"index.md"}
        assert pages <= linked, (name, pages - linked)

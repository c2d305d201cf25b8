"""The manual builds in strict mode (no broken link, anchor or image) and offline."""

import re
import shutil
from pathlib import Path

import yaml

from tests.docs.conftest import DOCS, ROOT, build_manual


def test_the_manual_builds_in_strict_mode_with_every_page_in_the_navigation(
    built_manual: Path,
) -> None:
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    in_nav = set(re.findall(r"[\w/-]+\.md", str(config["nav"])))
    assert pages == in_nav
    for page in pages:
        html = page.removesuffix(".md").removesuffix("index") + "/index.html"
        assert (built_manual / html.lstrip("/")).is_file(), html


def test_every_picture_of_the_manual_is_built_with_it(built_manual: Path) -> None:
    pictures = set()
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text(encoding="utf-8")):
            pictures.add((page.parent / target).resolve())
    assert pictures, "the guides show screenshots"
    for picture in pictures:
        assert picture.is_file(), picture
        assert (built_manual / picture.relative_to(DOCS)).is_file()


def test_the_built_manual_fetches_nothing_from_other_sites(built_manual: Path) -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["theme"]["font"] is False  # no Google Fonts, at build or read time
    for page in built_manual.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:link|script|img)[^>]+(?:href|src)="(https?:)?//[^"]+"', html)
        assert not remote, (page, remote)


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(DOCS, copy / "docs")
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    page = copy / "docs" / "officers" / "matches.md"
    page.write_text(
        page.read_text(encoding="utf-8") + "\nSee [the missing page](missing.md).\n",
        encoding="utf-8",
    )
    completed = build_manual(tmp_path / "site", project=copy)
    assert completed.returncode != 0
    assert "missing.md" in completed.stderr

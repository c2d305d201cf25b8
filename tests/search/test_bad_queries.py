"""Whatever is typed, the engine answers with a normal result: never an error, never markup."""

import pytest

from search.engine import SearchRequest
from tests.factories import EntryFactory
from tests.search.searching import found, hit_ids

pytestmark = pytest.mark.django_db

BAD_QUERIES = [
    '"',
    'solar "pumps',
    '""',
    "OR",
    "AND",
    "NOT",
    "-",
    "- - OR AND NOT",
    "solar OR",
    "(",
    ")",
    "[solar TO pumps]",
    "solar^10",
    "solar~2",
    "sol*",
    "title_en:solar",
    "id:1",
    "\\",
    "'; DROP TABLE catalog_entry; --",
    "1' OR '1'='1",
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "solar\x00pumps",
    "\x1b[31msolar\x07",
    "\u202esolar\u200b",
    "𝕤𝕠𝕝𝕒𝕣 🌞",
    "solar " * 2000,
    "x" * 10_000,
    " ",
    "",
]


@pytest.mark.parametrize("text", BAD_QUERIES)
def test_bad_queries_get_a_normal_result(build_index, text):
    EntryFactory(title="Solar pumps", summary="<b>Pumps</b> & panels.")
    engine = build_index()

    result = engine.search(SearchRequest(text=text))

    assert result.page == 1
    assert result.page_count >= 1
    assert result.total == len(result.hits)
    assert "module" in result.facets
    for hit in result.hits:
        assert "<script" not in hit.title_html + hit.snippet_html
        assert "<img" not in hit.title_html + hit.snippet_html


def test_a_very_long_query_is_cut_with_a_notice(build_index):
    entry = EntryFactory(title="Solar pumps")
    engine = build_index()

    result = engine.search(SearchRequest(text="solar " * 2000))

    assert hit_ids(result) == [entry.pk]
    assert result.notices == ["Your search was too long; only its beginning was used."]


def test_field_syntax_is_read_as_words(build_index):
    entry = EntryFactory(title="Solar pumps")
    engine = build_index()

    assert found(engine, f"id:{entry.pk}") == []
    assert found(engine, "title_en:solar") == []
    assert found(engine, "(solar)") == [entry.pk]


def test_titles_and_snippets_are_escaped_around_the_marks(build_index):
    EntryFactory(
        title="<script>alert('solar')</script> pumps",
        summary='Solar & wind: <b>cheap</b> "power" for <i>villages</i>.',
        body="",
    )
    engine = build_index()

    [hit] = engine.search(SearchRequest(text="solar", facets=())).hits

    assert hit.title_html == (
        "&lt;script&gt;alert(&#x27;<mark>solar</mark>&#x27;)&lt;/script&gt; pumps"
    )
    assert hit.snippet_html == (
        "<mark>Solar</mark> &amp; wind: &lt;b&gt;cheap&lt;/b&gt; &quot;power&quot; "
        "for &lt;i&gt;villages&lt;/i&gt;."
    )


def test_a_long_description_gives_a_snippet_around_the_matched_words(build_index):
    filler = "Farmers share their experience of coastal planning. " * 20
    EntryFactory(
        title="Coastal toolkit", summary="A toolkit.", body=filler + "Solar pumps help. " + filler
    )
    engine = build_index()

    [hit] = engine.search(SearchRequest(text="solar", facets=())).hits

    assert "<mark>Solar</mark> pumps help." in hit.snippet_html
    assert hit.snippet_html.startswith("…") and hit.snippet_html.endswith("…")
    assert len(hit.snippet_html) < 300


def test_the_snippet_window_holds_the_most_matched_words(build_index):
    filler = "Farmers share their experience of coastal planning. " * 10
    EntryFactory(
        title="Coastal toolkit",
        summary="Solar once.",
        body=filler + "Solar pumps, solar dryers and solar lamps. " + filler,
    )
    engine = build_index()

    [hit] = engine.search(SearchRequest(text="solar", facets=())).hits

    assert hit.snippet_html.count("<mark>") == 3
    assert "<mark>Solar</mark> pumps, <mark>solar</mark> dryers and <mark>solar</mark> lamps." in (
        hit.snippet_html
    )

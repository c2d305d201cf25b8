"""The index's fields: the one place that names them (documents, engine and tests use these).

Every text field exists once per analyzer language (`title_en`, `body_zh`, ...): an entry fills
the pair of its own language, and a query searches all pairs together, each with its analyzer.
Facet fields are raw (untokenized) fast text fields, multi-valued, so that tantivy's terms
aggregation counts them; dates are fast date fields for sorting and ranges.

Nothing is stored: the titles and texts that results show and highlight are read from the
database for the hits of a page (`search.engine`). Stored, they made up more than half of the
index, and the documents of a page's hits, spread over the whole store, brought most of it into
a web worker's memory (at 1,000,000 entries, 159 of the 226 MB of index pages it mapped).
"""

from tantivy import Schema, SchemaBuilder

from search.analysis import LANGUAGES, SPELLING_ANALYZER, analyzer_name

# Bump when the fields or analyzers change: an index built with another version is rebuilt.
SCHEMA_VERSION = 2

ID = "id"
LANGUAGE = "language"
# The words of the title and summary, lowercased but neither stemmed nor folded: the vocabulary
# of spelling suggestions.
SPELLING = "spelling"

# Keyword fields: the facets of the contract whose values are stored on the entry, plus two
# that can be filtered on but are not shown as facets.
KEYWORD_FIELDS: tuple[str, ...] = (
    "module",
    "kind",
    "theme",
    "sdg_goal",
    "sdg_target",
    "region",
    "subregion",
    "country",
    "country_group",
    "provider_type",
    "cooperation",
    LANGUAGE,
)
PUBLISHED_AT = "published_at"
DEADLINE = "deadline"
# An event's first and last day (`ends_on`, or `starts_on` for a one-day event).
EVENT_START = "event_start"
EVENT_END = "event_end"
DATE_FIELDS: tuple[str, ...] = (PUBLISHED_AT, DEADLINE, EVENT_START, EVENT_END)


def title_field(language: str) -> str:
    return f"title_{language}"


def body_field(language: str) -> str:
    return f"body_{language}"


TITLE_FIELDS: tuple[str, ...] = tuple(title_field(language) for language in LANGUAGES)
BODY_FIELDS: tuple[str, ...] = tuple(body_field(language) for language in LANGUAGES)
TEXT_FIELDS: tuple[str, ...] = TITLE_FIELDS + BODY_FIELDS


def build_schema() -> Schema:
    builder = SchemaBuilder()
    builder.add_integer_field(ID, indexed=True, fast=True)
    for language in LANGUAGES:
        for name in (title_field(language), body_field(language)):
            builder.add_text_field(name, tokenizer_name=analyzer_name(language))
    builder.add_text_field(SPELLING, tokenizer_name=SPELLING_ANALYZER, index_option="basic")
    for name in KEYWORD_FIELDS:
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    for name in DATE_FIELDS:
        builder.add_date_field(name, indexed=True, fast=True)
    return builder.build()

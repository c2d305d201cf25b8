"""The search engine behind a small interface: an embedded tantivy index (BM25).

The rest of the portal uses only what this module exports: `SearchRequest`, `SearchResult`,
`SearchEngine` and the module functions `index_entries`, `delete_entries`, `search`,
`facet_counts`, `more_like` and `match_candidates` (for matching.ranking), which work on this
process's copy of the index (`search.store`). A distributed engine (OpenSearch) can later
implement the same interface.

CONTRACT (implemented by the engine work; the page, indexer and benchmark build on it):

Facets (`FACETS`) and the values they take, all strings:
  module          Entry.Module values ("technology", ...)
  theme           Theme.code
  sdg_goal        "1" .. "17" (an entry counts under a goal when tagged with it or any target)
  region          M49 region code of a country of origin or application ("002")
  subregion       M49 sub-region code ("202")
  country         ISO3 of a country of origin or application ("KEN")
  country_group   "ldc" | "lldc" | "sids" (of those countries)
  provider_type   Organization.Type values of the providers
  cooperation     Entry.Cooperation values ("south-south", "triangular", "northern", "unknown")
  language        the entry's language code ("en", "zh", ...)
  opportunity_status  "open" (deadline today or later) | "closing-soon" (within 14 days);
                      computed at query time from the deadline, for opportunities
Filters: `filters[facet]` lists accepted values; values within one facet are ORed, facets are
ANDed. Facet counts are disjunctive (each facet is counted with every filter but its own), as
in shopping-site search. `event_from`/`event_to` keep events overlapping the period.
Text: words are ANDed; `"a phrase"`, `OR`, `-excluded` (and `NOT`) are understood; anything
else (stray quotes, lone operators, field syntax, control characters, 10,000 characters) is
neutralised, never an error. Sorting: "relevance" (default), "newest" (published_at),
"closing" (deadline, soonest first, opportunities with no deadline last).

Implementation notes (the parts live in search/analysis.py, query.py, bridge.py, filters.py,
facets.py, highlight.py, spelling.py; the fields in search/schema.py):
- Filters also accept `sdg_target` (codes such as "6.1") and `kind` (Entry.Kind values), and
  `facets` may name them; values are checked against the code's enums and the reference tables.
- Relevance with no words sorts by newest. "closing" puts past deadlines (most recent first)
  after the upcoming ones and before the entries with no deadline.
- Facet values come most frequent first; a selected value is listed even with no entry.
- A `SearchEngine` sees what was committed when it was opened, then after each `commit()` (its
  own) or `reload()`; facet counts are cached until then.
- Opening a directory whose index has another schema raises `IndexOpenError`: rebuild it.
- The index stores no text (see search/schema.py): the titles and texts of a page's hits, and
  of the entry `more_like` starts from, are read from the database, one query, and highlighted
  with the analyzer of the entry's language. A hit whose entry is gone from the database (the
  index lags it by seconds) keeps its id, without title nor snippet.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from django.db.models.functions import Left
from django.utils import timezone
from django.utils.translation import gettext as _
from tantivy import Document, Index, IndexWriter, Occur, Order, Query, Searcher

from catalog.models import Entry
from search import bridge, facets, filters, highlight, spelling
from search import schema as fields
from search.analysis import (
    LANGUAGES,
    OTHER_LANGUAGE,
    analyzer,
    language_key,
    prepare,
    register_analyzers,
)
from search.query import ParsedQuery, parse

FACETS: tuple[str, ...] = (
    "module",
    "theme",
    "sdg_goal",
    "region",
    "subregion",
    "country",
    "country_group",
    "provider_type",
    "cooperation",
    "language",
    "opportunity_status",
)
SORTS = ("relevance", "newest", "closing")
Sort = Literal["relevance", "newest", "closing"]


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    event_from: datetime.date | None = None
    event_to: datetime.date | None = None
    sort: Sort = "relevance"
    page: int = 1
    page_size: int = 20
    # Which facets to count; an empty tuple counts none (cheaper, e.g. for matching).
    facets: tuple[str, ...] = FACETS


@dataclass(frozen=True)
class Hit:
    entry_id: int
    score: float
    # HTML-safe: the matched words wrapped in <mark>, everything else escaped.
    title_html: str
    snippet_html: str


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    page: int
    page_count: int
    facets: dict[str, list[FacetValue]]
    # "Did you mean": the query with misspelt words corrected from the index's vocabulary, when
    # that finds more than the query as typed; None otherwise.
    suggestion: str | None = None
    # Messages for the person searching, e.g. an ignored unknown filter value.
    notices: list[str] = field(default_factory=list)


# BM25 weight of a title over the summary and description: an entry named after the query
# ranks above one that mentions it in passing.
TITLE_BOOST = 3.0
# Score of an entry reached only through the SDG/theme bridge: below text matches.
BRIDGE_SCORE = 0.5
MAX_PAGE_SIZE = 100
# Past this many hits, a page number is checked against the count before fetching the page.
DEEP_OFFSET = 10_000
WRITER_HEAP_BYTES = 256_000_000
# Summary and description searched for a snippet; the rest of a longer description is not.
DISPLAY_TEXT_CHARS = 4000

# Matching a need's text against the catalogue (`match_candidates`). A need is a paragraph, not
# a query: its words are ORed, and only the first MATCH_MAX_WORDS distinct ones are used.
MATCH_MAX_CHARS = 20_000
MATCH_MAX_WORDS = 64
# A word found in the descriptions of more than this share of the entries of its language
# ("the", "de", "и") ranks nothing and is the costliest to score: it is left out of the
# candidate query, in titles too. Only once a language has MATCH_SHARE_FROM_DOCS entries: in a
# small catalogue, a word in most entries can still be what a need is about.
MATCH_MAX_DOC_SHARE = 0.4
MATCH_SHARE_FROM_DOCS = 1000
# The candidates that must share a tag with the need (second query) are ranked by their tags,
# the words only breaking ties: their BM25 is scaled down by this factor.
MATCH_TAGGED_TEXT_BOOST = 0.1
_MATCH_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class CandidateMatch:
    # (entry id, BM25 of the need's words), best candidates first.
    hits: list[tuple[int, float]]
    # The need's words that took part: present in the index and not too common.
    words: tuple[str, ...]


def match_words(text: str) -> list[str]:
    """The distinct words of a need's text, lowercased, in order of first use, at most
    MATCH_MAX_WORDS (Chinese segmented, Arabic normalised: `analysis.prepare`)."""
    words: dict[str, None] = {}
    for word in _MATCH_WORD.findall(prepare(text[:MATCH_MAX_CHARS])):
        words.setdefault(word.lower(), None)
        if len(words) >= MATCH_MAX_WORDS:
            break
    return list(words)


@functools.lru_cache(maxsize=100_000)
def _word_tokens(language: str, word: str) -> tuple[str, ...]:
    return tuple(analyzer(language).analyze(word))


def _display(entry_ids: Sequence[int]) -> dict[int, tuple[str, str, str]]:
    """Entries' language, title, and summary with description, as written, by id."""
    rows = Entry.objects.filter(pk__in=entry_ids).values_list(
        "pk", "language", "title", "summary", Left("body", DISPLAY_TEXT_CHARS)
    )
    return {
        pk: (language, title, f"{summary}\n\n{body}"[:DISPLAY_TEXT_CHARS])
        for pk, language, title, summary, body in rows
    }


def _page_count(total: int, page_size: int) -> int:
    return max(1, math.ceil(total / page_size))


class IndexOpenError(Exception):
    """No usable index in the directory (missing, corrupt or of another schema): rebuild it."""


@dataclass
class _Plan:
    """A request turned into tantivy queries."""

    query: ParsedQuery
    text: Query | None
    filters: dict[str, Query]
    events: Query | None
    selected: dict[str, tuple[str, ...]]
    notices: list[str]
    today: datetime.date
    # Everything the facet counts depend on, with the index generation they were planned for.
    key: tuple[Any, ...]

    def base(self) -> list[Query | None]:
        return [self.text, self.events]

    def combined(self) -> Query:
        return facets.all_of([*self.base(), *self.filters.values()])


class SearchEngine:
    """One copy of the index in a directory. Readers and the single writer of a copy both use
    this class; `writable=True` takes tantivy's writer lock."""

    def __init__(
        self, path: Any, *, writable: bool = False, writer_heap: int = WRITER_HEAP_BYTES
    ) -> None:
        self.path = Path(path)
        self._schema = fields.build_schema()
        if writable:
            self.path.mkdir(parents=True, exist_ok=True)
        elif not self.path.is_dir() or not Index.exists(str(self.path)):
            raise IndexOpenError(f"No search index in {self.path}.")
        try:
            self._index = Index(self._schema, str(self.path), reuse=True)
        except (ValueError, OSError) as exc:
            raise IndexOpenError(
                f"The search index in {self.path} cannot be opened: {exc}"
            ) from exc
        register_analyzers(self._index)
        # Searchers change only on `commit()` or `reload()`, so cached counts stay true.
        self._index.config_reader("manual")
        self._counts = facets.CountCache()
        # Document frequencies of terms for `match_candidates`, by `_counts.generation`.
        self._doc_freqs: tuple[int, dict[tuple[str, str], int]] = (-1, {})
        self._writer: IndexWriter | None = self._index.writer(writer_heap) if writable else None

    # --- Writing ---------------------------------------------------------------------------

    def _require_writer(self) -> IndexWriter:
        if self._writer is None:
            raise RuntimeError("This copy of the index was opened read-only.")
        return self._writer

    def index_entries(self, documents: Iterable[Mapping[str, Any]], *, replace: bool = True) -> int:
        """Add or replace documents (from `search.documents`); call `commit()` after.

        `replace=False` skips the deletion of an earlier version, for a build into an empty
        index."""
        writer = self._require_writer()
        added = 0
        for document in documents:
            if replace:
                writer.delete_documents_by_term(fields.ID, document[fields.ID])
            values = document if isinstance(document, dict) else dict(document)
            writer.add_document(Document.from_dict(values, self._schema))
            added += 1
        return added

    def delete_entries(self, entry_ids: Iterable[int]) -> None:
        writer = self._require_writer()
        for entry_id in entry_ids:
            writer.delete_documents_by_term(fields.ID, int(entry_id))

    def commit(self) -> None:
        """Make the changes durable and visible to this copy's searchers."""
        self._require_writer().commit()
        self.reload()

    def close(self) -> None:
        """Finish background merges and release the writer lock."""
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None

    def reload(self) -> None:
        """See the last commit (of this or another process) from now on; until then a reader
        keeps the documents it had."""
        self._index.reload()
        self._counts.changed()

    def doc_count(self) -> int:
        return self._index.searcher().num_docs

    # --- Reading ---------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        plan = self._plan(request)  # reads the generation before the searcher is taken
        searcher = self._index.searcher()
        page_size = min(max(1, request.page_size), MAX_PAGE_SIZE)
        page = max(1, request.page)
        sort = request.sort if request.sort in SORTS else "relevance"
        if sort == "relevance" and not plan.query.required:
            sort = "newest"  # no words to rank by
        query = plan.combined()
        if (page - 1) * page_size > DEEP_OFFSET:
            # tantivy keeps offset + limit hits in memory: find the last page first.
            page = min(page, _page_count(self._count(searcher, plan), page_size) + 1)
        hits, total = self._top(searcher, query, sort, (page - 1) * page_size, page_size, plan)
        page_count = _page_count(total, page_size)
        if page > page_count:
            plan.notices.append(
                _("There is no page %(page)s; this is the last page, %(last)s.")
                % {"page": request.page, "last": page_count}
            )
            page = page_count
            hits, total = self._top(searcher, query, sort, (page - 1) * page_size, page_size, plan)
        suggestion = spelling.suggest(
            searcher,
            plan.query,
            total,
            lambda corrected: self._count(searcher, self._plan(request, corrected)),
        )
        return SearchResult(
            hits=self._hits(searcher, hits, plan.query),
            total=total,
            page=page,
            page_count=page_count,
            facets=self._facets(searcher, plan, request.facets),
            suggestion=suggestion,
            notices=plan.notices,
        )

    def facet_counts(self, request: SearchRequest) -> dict[str, list[FacetValue]]:
        plan = self._plan(request)
        return self._facets(self._index.searcher(), plan, request.facets)

    def more_like(self, entry_id: int, *, limit: int = 5) -> list[int]:
        """Published entries whose text is most like this entry's, best first; not itself."""
        searcher = self._index.searcher()
        own = Query.term_query(self._schema, fields.ID, int(entry_id))
        if limit < 1 or not searcher.search(own, limit=1).hits:
            return []
        display = _display([int(entry_id)])
        if not display:
            return []
        language, title, text = display[int(entry_id)]
        key = language_key(language)
        like = Query.more_like_this_document_fields_query(
            self._schema,
            {fields.title_field(key): prepare(title), fields.body_field(key): prepare(text)},
            # Words in at least one other entry, however often this entry uses them.
            min_doc_frequency=2,
            min_term_frequency=1,
            max_query_terms=25,
        )
        query = Query.boolean_query([(Occur.Must, like), (Occur.MustNot, own)])
        hits = searcher.search(query, limit=limit).hits
        return self._ids(searcher, [address for _score, address in hits])

    def match_candidates(
        self,
        text: str,
        *,
        tags: Mapping[tuple[str, str], float] | None = None,
        limit: int = 200,
        among: Sequence[int] | None = None,
    ) -> CandidateMatch:
        """Candidate entries for a need, with the BM25 of the need's words in each.

        `text` is the need's title and description; its words (`match_words`) are ORed over
        the title and description fields of every language, each with its own analyzer, so
        that a word shared across languages counts too. Two queries pick the candidates: the
        words alone, by BM25 (`limit` entries); and the entries with at least one of `tags`,
        ranked by the constant scores of the tags they have, the words only breaking ties
        (`limit // 2`), so that a French need reaches a Spanish solution tagged like it.
        `tags` maps keyword fields of `search.schema` and values to scores, e.g.
        `{("sdg_target", "6.1"): 2.0}`; specific tags (targets) keep this query fast, broad
        ones (a theme tags a sixth of the catalogue) make it slower.

        With `among`, the candidates are those entries instead (reverse matching: one need
        against given entries). The BM25 returned is that of the words alone (0.0 for an entry
        reached through its tags only). The index holds published entries only.
        """
        searcher = self._index.searcher()
        words = match_words(text)
        if not searcher.num_docs:
            return CandidateMatch(hits=[], words=())
        text_query, used = self._match_text_query(searcher, words)
        scores: dict[int, float] = {}
        unscored: list[int] = []
        if among is not None:
            unscored = sorted({int(pk) for pk in among})
            scores = dict.fromkeys(unscored, 0.0)
        elif limit >= 1:
            if text_query is not None:
                hits = searcher.search(text_query, limit=limit).hits
                addresses = [address for _score, address in hits]
                for entry_id, (score, _address) in zip(
                    self._ids(searcher, addresses), hits, strict=True
                ):
                    scores[entry_id] = float(score)
            tag_query = self._match_tag_query(text_query, tags or {})
            if tag_query is not None:
                hits = searcher.search(tag_query, limit=max(1, limit // 2)).hits
                for entry_id in self._ids(searcher, [address for _score, address in hits]):
                    if entry_id not in scores:
                        scores[entry_id] = 0.0
                        unscored.append(entry_id)
        if text_query is not None and unscored:
            # The BM25 of the words in the entries reached otherwise than by the words.
            among_query = Query.const_score_query(
                Query.term_set_query(self._schema, fields.ID, unscored), 0.0
            )
            hits = searcher.search(
                Query.boolean_query([(Occur.Must, text_query), (Occur.Must, among_query)]),
                limit=len(unscored),
            ).hits
            addresses = [address for _score, address in hits]
            for entry_id, (score, _address) in zip(
                self._ids(searcher, addresses), hits, strict=True
            ):
                scores[entry_id] = float(score)
        return CandidateMatch(hits=list(scores.items()), words=used)

    def _match_tag_query(
        self, text_query: Query | None, tags: Mapping[tuple[str, str], float]
    ) -> Query | None:
        clauses = [
            (
                Occur.Should,
                Query.const_score_query(Query.term_query(self._schema, name, value), float(score)),
            )
            for (name, value), score in sorted(tags.items())
            if name in fields.KEYWORD_FIELDS and score > 0
        ]
        if not clauses:
            return None
        tagged = Query.boolean_query(clauses)
        if text_query is None:
            return tagged
        return Query.boolean_query(
            [
                (Occur.Must, tagged),
                (Occur.Should, Query.boost_query(text_query, MATCH_TAGGED_TEXT_BOOST)),
            ]
        )

    def _match_text_query(
        self, searcher: Searcher, words: Sequence[str]
    ) -> tuple[Query | None, tuple[str, ...]]:
        """The words ORed over every language's fields as term queries, and the words used:
        each field's analyzer turns a word into its terms, and terms absent from a field, or
        too common in its language (MATCH_MAX_DOC_SHARE), are left out."""
        if not words:
            return None, ()
        frequencies = self._match_doc_freqs()
        total = searcher.num_docs
        per_language = {
            language: frequencies(fields.LANGUAGE, language)
            for language in LANGUAGES
            if language != OTHER_LANGUAGE
        }
        per_language[OTHER_LANGUAGE] = max(0, total - sum(per_language.values()))
        clauses: list[tuple[Occur, Query]] = []
        seen: set[tuple[str, str]] = set()
        used: dict[str, None] = {}
        for language in LANGUAGES:
            documents = per_language[language]
            ceiling = MATCH_MAX_DOC_SHARE * documents
            body = fields.body_field(language)
            for word in words:
                for token in _word_tokens(language, word):
                    if documents >= MATCH_SHARE_FROM_DOCS and frequencies(body, token) > ceiling:
                        continue
                    for name, boost in (
                        (fields.title_field(language), TITLE_BOOST),
                        (body, 1.0),
                    ):
                        if not frequencies(name, token):
                            continue
                        used.setdefault(word, None)
                        if (name, token) in seen:
                            continue
                        seen.add((name, token))
                        term = Query.term_query(self._schema, name, token)
                        if boost != 1.0:
                            term = Query.boost_query(term, boost)
                        clauses.append((Occur.Should, term))
        if not clauses:
            return None, ()
        order = {word: position for position, word in enumerate(words)}
        return Query.boolean_query(clauses), tuple(sorted(used, key=order.__getitem__))

    def _match_doc_freqs(self) -> Callable[[str, str], int]:
        """Document frequencies of terms, cached until the searcher changes."""
        generation = self._counts.generation
        if self._doc_freqs[0] != generation:
            self._doc_freqs = (generation, {})
        cache = self._doc_freqs[1]
        searcher = self._index.searcher()

        def frequency(name: str, token: str) -> int:
            key = (name, token)
            found = cache.get(key)
            if found is None:
                found = cache[key] = searcher.doc_freq(name, token)
            return found

        return frequency

    # --- Internals -------------------------------------------------------------------------

    def _plan(self, request: SearchRequest, query: ParsedQuery | None = None) -> _Plan:
        notices: list[str] = []
        if query is None:
            query = parse(request.text)
            if query.shortened:
                notices.append(_("Your search was too long; only its beginning was used."))
        selected, filter_notices = filters.clean_filters(request.filters or {})
        notices.extend(filter_notices)
        today = timezone.localdate()
        key = (
            self._counts.generation,
            query.required_tantivy(),
            query.excluded_tantivy(),
            tuple(sorted(selected.items())),
            request.event_from,
            request.event_to,
            today,
        )
        return _Plan(
            query=query,
            text=self._text_query(query),
            filters={
                facet: facets.filter_query(self._schema, facet, values, today)
                for facet, values in selected.items()
            },
            events=facets.event_query(self._schema, request.event_from, request.event_to),
            selected=selected,
            notices=notices,
            today=today,
            key=key,
        )

    def _parse(self, text: str, *, conjunction: bool) -> Query:
        boosts = {name: TITLE_BOOST for name in fields.TITLE_FIELDS}
        try:
            return self._index.parse_query(
                text, list(fields.TEXT_FIELDS), boosts, conjunction_by_default=conjunction
            )
        except ValueError:
            # Not expected from `query.parse` output; a best effort rather than an error page.
            lenient, _errors = self._index.parse_query_lenient(
                text, list(fields.TEXT_FIELDS), boosts, conjunction_by_default=conjunction
            )
            return lenient

    def _text_query(self, query: ParsedQuery) -> Query | None:
        if query.is_empty:
            return None
        if query.required:
            text = self._parse(query.required_tantivy(), conjunction=True)
            match = bridge.label_index().match(query)
            if match:
                tagged = Query.boolean_query(
                    [
                        (Occur.Should, Query.term_set_query(self._schema, name, list(values)))
                        for name, values in match.values.items()
                        if values
                    ]
                )
                text = Query.boolean_query(
                    [
                        (Occur.Should, text),
                        (Occur.Should, Query.const_score_query(tagged, BRIDGE_SCORE)),
                    ]
                )
        else:
            text = Query.all_query()
        if query.excluded:
            excluded = self._parse(query.excluded_tantivy(), conjunction=False)
            text = Query.boolean_query([(Occur.Must, text), (Occur.MustNot, excluded)])
        return text

    def _count(self, searcher: Searcher, plan: _Plan) -> int:
        return facets.hit_count(searcher.search(plan.combined(), limit=1))

    def _top(
        self,
        searcher: Searcher,
        query: Query,
        sort: str,
        offset: int,
        limit: int,
        plan: _Plan,
    ) -> tuple[list[tuple[Any, Any]], int]:
        """One page of (score or sort key, address) and the total."""
        if sort == "relevance":
            result = searcher.search(query, limit=limit, offset=offset)
            return list(result.hits), facets.hit_count(result)
        if sort == "newest":
            result = searcher.search(
                query, limit=limit, offset=offset, order_by_field=fields.PUBLISHED_AT
            )
            return list(result.hits), facets.hit_count(result)
        # "closing": upcoming deadlines soonest first, then the rest by deadline, latest first
        # (tantivy puts entries without the field last either way).
        upcoming_filter = facets.status_query(self._schema, filters.OPEN, plan.today)
        upcoming = facets.all_of([query, upcoming_filter])
        rest = Query.boolean_query([(Occur.Must, query), (Occur.MustNot, upcoming_filter)])
        first = searcher.search(
            upcoming,
            limit=limit,
            offset=offset,
            order_by_field=fields.DEADLINE,
            order=Order.Asc,
        )
        hits = list(first.hits)
        upcoming_total = facets.hit_count(first)
        second = searcher.search(
            rest,
            limit=limit,
            offset=max(0, offset - upcoming_total),
            order_by_field=fields.DEADLINE,
            order=Order.Desc,
        )
        hits += list(second.hits)[: limit - len(hits)]
        return hits, upcoming_total + facets.hit_count(second)

    def _ids(self, searcher: Searcher, addresses: list[Any]) -> list[int]:
        if not addresses:
            return []
        return [int(value or 0) for value in searcher.fast_field_values(fields.ID, addresses)]

    def _hits(
        self, searcher: Searcher, hits: list[tuple[Any, Any]], query: ParsedQuery
    ) -> list[Hit]:
        ids = self._ids(searcher, [address for _key, address in hits])
        display = _display(ids) if ids else {}
        terms: dict[str, highlight.Terms] = {}
        result = []
        for entry_id, (key, _address) in zip(ids, hits, strict=True):
            language, title, text = display.get(entry_id, ("", "", ""))
            if language not in terms:
                terms[language] = highlight.query_terms(query, language)
            result.append(
                Hit(
                    entry_id=entry_id,
                    score=float(key) if isinstance(key, float) else 0.0,
                    title_html=highlight.highlight(title, terms[language]),
                    snippet_html=highlight.snippet(text, terms[language]),
                )
            )
        return result

    def _facets(
        self, searcher: Searcher, plan: _Plan, wanted: Sequence[str]
    ) -> dict[str, list[FacetValue]]:
        names = [name for name in dict.fromkeys(wanted) if name in filters.FILTERABLE]
        if not names:
            return {}
        counts = self._counts.get(
            (*plan.key, tuple(names)),
            lambda: facets.count(
                searcher,
                self._schema,
                base=plan.base(),
                filters=plan.filters,
                facets=names,
                today=plan.today,
            ),
        )
        result: dict[str, list[FacetValue]] = {}
        for name in names:
            selected = plan.selected.get(name, ())
            values = dict(counts.get(name, {}))
            for value in selected:
                values.setdefault(value, 0)
            result[name] = [
                FacetValue(value=value, count=count, selected=value in selected)
                for value, count in sorted(values.items(), key=lambda item: (-item[1], item[0]))
                if count or value in selected
            ]
        return result


# --- This process's copy of the index (search.store) ---------------------------------------


def index_entries(documents: Iterable[Mapping[str, Any]]) -> int:
    from search import store

    return store.writer().index_entries(documents)


def delete_entries(entry_ids: Iterable[int]) -> None:
    from search import store

    store.writer().delete_entries(entry_ids)


def search(request: SearchRequest) -> SearchResult:
    from search import store

    return store.reader().search(request)


def facet_counts(request: SearchRequest) -> dict[str, list[FacetValue]]:
    from search import store

    return store.reader().facet_counts(request)


def more_like(entry_id: int, *, limit: int = 5) -> list[int]:
    from search import store

    return store.reader().more_like(entry_id, limit=limit)


def match_candidates(
    text: str,
    *,
    tags: Mapping[tuple[str, str], float] | None = None,
    limit: int = 200,
    among: Sequence[int] | None = None,
) -> CandidateMatch:
    from search import store

    return store.reader().match_candidates(text, tags=tags, limit=limit, among=among)

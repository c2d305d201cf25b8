"""How well the matching ranker finds what serves a need, against plain BM25 on the same texts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/matching_quality.py

The labelled set is in data/matching_quality/ (see its README for how it was made): entries.jsonl
(the catalogue), organizations.jsonl, needs.yaml and qrels.tsv (graded judgements 0-3; a pair not
judged counts as 0). The script creates a scratch database (`--database`, default
exchange_matching_quality_bench) on the server of DATABASE_URL, migrates it, loads the reference
data and the set, builds the search index into a temporary directory, then for each need:

- the ranker: `matching.ranking.rank_entries_for_need(need, limit=20)`;
- the baseline: BM25 (the `bm25s` package) over title + summary + body of the same published
  entries, the query being the need's title + description, both tokenised the same way
  (`tokenize`: lowercase words, stop words of the language dropped, Arabic letters normalised,
  Chinese split into words by rjieba); top 20.

It prints nDCG@10, recall@20 and MRR for both, overall and per language of the need, the relative
gain of the ranker, the needs where the ranker does worst, and the verdict against the targets of
issue 5: nDCG@10 at least 25 % above the baseline overall, and no language below the baseline.
Drops the database and the index directory at the end, also when a run fails.

`--baseline-only` runs the baseline alone, without a database.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import math
import os
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
# The project's packages come before this folder (whose search.py would shadow `search`).
sys.path.insert(0, str(ROOT))

DATA_DIR = ROOT / "data" / "matching_quality"
LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh")
K_NDCG = 10
K_RECALL = 20
# Grades: 3 directly serves the need, 2 clearly useful, 1 marginal, 0 not relevant. Recall and MRR
# count an entry as relevant from this grade on; nDCG uses every grade (gain 2^grade - 1).
RELEVANT_FROM = 2
TARGET_GAIN = 0.25
TODAY = datetime.date(2026, 11, 26)


# --- The labelled set ---------------------------------------------------------------------------


def load_entries() -> list[dict[str, Any]]:
    with (DATA_DIR / "entries.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_organizations() -> list[dict[str, Any]]:
    with (DATA_DIR / "organizations.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_needs() -> list[dict[str, Any]]:
    needs = yaml.safe_load((DATA_DIR / "needs.yaml").read_text(encoding="utf-8"))["needs"]
    for need in needs:
        need["sdg_targets"] = [str(code) for code in need.get("sdg_targets", [])]
    return needs


def load_qrels(path: Path | None = None) -> dict[str, dict[str, int]]:
    """need id -> entry id -> grade (0-3)."""
    qrels: dict[str, dict[str, int]] = {}
    with (path or DATA_DIR / "qrels.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            qrels.setdefault(row["need_id"], {})[row["entry_id"]] = int(row["grade"])
    return qrels


# --- Metrics ------------------------------------------------------------------------------------


def dcg(gains: Iterable[float]) -> float:
    return sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = K_NDCG) -> float:
    """nDCG@k with gain 2^grade - 1; the ideal ranking orders all judged entries by grade.
    0.0 when no entry is relevant at any grade."""
    ideal = dcg(2**g - 1 for g in sorted(grades.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg(2 ** grades.get(entry, 0) - 1 for entry in ranked[:k]) / ideal


def recall_at_k(
    ranked: Sequence[str], grades: Mapping[str, int], k: int = K_RECALL, *, threshold: int = 1
) -> float | None:
    """Share of the relevant entries (grade >= threshold) found in the top k; None without any."""
    relevant = {entry for entry, grade in grades.items() if grade >= threshold}
    if not relevant:
        return None
    return len(relevant & set(ranked[:k])) / len(relevant)


def reciprocal_rank(
    ranked: Sequence[str], grades: Mapping[str, int], *, threshold: int = 1
) -> float:
    """1 / rank of the first relevant entry (grade >= threshold), 0.0 when none is ranked."""
    for rank, entry in enumerate(ranked, start=1):
        if grades.get(entry, 0) >= threshold:
            return 1.0 / rank
    return 0.0


def relative_gain(ours: float, baseline: float) -> float:
    if baseline == 0:
        return math.inf if ours > 0 else 0.0
    return ours / baseline - 1


# --- The BM25 baseline --------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ARABIC_DIACRITICS = re.compile(r"[\u064b-\u0652\u0670\u0640]")
_ARABIC_STOPWORDS = frozenset(
    "في من على إلى عن مع أو و ما لا أن إن التي الذي هذه هذا ذلك تلك كل بين عند قد كان "
    "لها له هي هو ثم حتى غير بعض أي".split()
)


def _stopwords() -> frozenset[str]:
    from bm25s import stopwords

    words: set[str] = set(_ARABIC_STOPWORDS)
    for name in (
        "STOPWORDS_EN",
        "STOPWORDS_FRENCH",
        "STOPWORDS_SPANISH",
        "STOPWORDS_RUSSIAN",
        "STOPWORDS_CHINESE",
    ):
        words.update(getattr(stopwords, name))
    return frozenset(w.lower() for w in words)


_STOPWORDS: frozenset[str] | None = None


def _normalise_arabic(word: str) -> str:
    word = _ARABIC_DIACRITICS.sub("", word)
    word = word.translate(
        {ord("أ"): "ا", ord("إ"): "ا", ord("آ"): "ا", ord("ة"): "ه", ord("ى"): "ي"}
    )
    for prefix in ("وال", "بال", "لل", "ال"):
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix) :]
    return word


def tokenize(text: str) -> list[str]:
    """Lowercased words without stop words; Arabic normalised (letters, article); Chinese runs
    segmented by rjieba. The same for every language, so a mixed text is handled too."""
    import rjieba

    global _STOPWORDS
    if _STOPWORDS is None:
        _STOPWORDS = _stopwords()
    tokens: list[str] = []
    for word in _WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        if _CJK.search(word):
            pieces = [p for p in rjieba.cut(word) if p.strip()]
        elif "\u0600" <= word[0] <= "\u06ff":
            pieces = [_normalise_arabic(word)]
        else:
            pieces = [word]
        tokens.extend(p for p in pieces if p not in _STOPWORDS and (len(p) > 1 or _CJK.match(p)))
    return tokens


class Bm25Baseline:
    """Plain BM25 (bm25s, Lucene variant, k1 1.5, b 0.75) over title + summary + body."""

    def __init__(self, entries: Sequence[Mapping[str, Any]]) -> None:
        import bm25s

        self.ids = [str(entry["id"]) for entry in entries]
        corpus = [
            tokenize(" ".join((entry["title"], entry["summary"], entry.get("body") or "")))
            for entry in entries
        ]
        self.vocabulary: dict[str, int] = {}
        ids = [[self.vocabulary.setdefault(t, len(self.vocabulary)) for t in doc] for doc in corpus]
        self.retriever = bm25s.BM25()
        self.retriever.index(
            bm25s.tokenization.Tokenized(ids=ids, vocab=self.vocabulary), show_progress=False
        )

    def rank(self, query: str, language: str = "", k: int = K_RECALL) -> list[str]:
        """The ids of the top k entries with a positive score. `language` is not used: plain BM25
        searches every entry, as the portal's search box does."""
        tokens = [t for t in tokenize(query) if t in self.vocabulary]
        if not tokens:
            return []
        scores = self.retriever.get_scores(tokens)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
        return [self.ids[i] for i in order if scores[i] > 0]


# --- The run ------------------------------------------------------------------------------------


def evaluate(
    needs: Sequence[Mapping[str, Any]],
    qrels: Mapping[str, Mapping[str, int]],
    rankings: Mapping[str, Sequence[str]],
) -> dict[str, dict[str, float]]:
    """Per need: ndcg, recall (None when the need has no relevant entry), rr."""
    out: dict[str, dict[str, Any]] = {}
    for need in needs:
        grades = qrels.get(need["id"], {})
        ranked = list(rankings.get(need["id"], []))
        judged = [entry for entry in ranked if entry in grades]
        out[need["id"]] = {
            "ndcg": ndcg_at_k(ranked, grades, K_NDCG),
            "recall": recall_at_k(ranked, grades, K_RECALL, threshold=RELEVANT_FROM),
            "rr": reciprocal_rank(ranked, grades, threshold=RELEVANT_FROM),
            # Pool bias: the share of the top 10 that was judged, and nDCG@10 of the ranking
            # with its unjudged entries left out (the "condensed list" of Sakai, 2007).
            "judged": len([e for e in ranked[:K_NDCG] if e in grades]) / K_NDCG,
            "ndcg_condensed": ndcg_at_k(judged, grades, K_NDCG),
        }
    return out


def _mean(values: Iterable[float | None]) -> float:
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else float("nan")


def summarise(
    needs: Sequence[Mapping[str, Any]], per_need: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, float]]:
    groups: dict[str, list[str]] = {"all": [n["id"] for n in needs]}
    for need in needs:
        groups.setdefault(need["language"], []).append(need["id"])
    return {
        group: {
            "needs": len(ids),
            **{
                m: _mean(per_need[i][m] for i in ids)
                for m in ("ndcg", "recall", "rr", "judged", "ndcg_condensed")
            },
        }
        for group, ids in groups.items()
    }


def report(
    needs: Sequence[Mapping[str, Any]],
    qrels: Mapping[str, Mapping[str, int]],
    ours: Mapping[str, Mapping[str, Any]] | None,
    baseline: Mapping[str, Mapping[str, Any]],
) -> bool:
    base = summarise(needs, baseline)
    mine = summarise(needs, ours) if ours is not None else None
    order = ["all", *[lang for lang in LANGUAGES if lang in base]]
    print()
    print(
        "| needs | n | BM25 nDCG@10 | ranker nDCG@10 | gain | BM25 recall@20 | ranker recall@20 "
        "| BM25 MRR | ranker MRR |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for group in order:
        b = base[group]
        if mine:
            m = mine[group]
            gain = f"{relative_gain(m['ndcg'], b['ndcg']):+.0%}"
            ours_cells = [f"{m['ndcg']:.3f}", f"{m['recall']:.3f}", f"{m['rr']:.3f}"]
        else:
            gain, ours_cells = "-", ["-", "-", "-"]
        print(
            f"| {group} | {b['needs']:.0f} | {b['ndcg']:.3f} | {ours_cells[0]} | {gain} "
            f"| {b['recall']:.3f} | {ours_cells[1]} | {b['rr']:.3f} | {ours_cells[2]} |"
        )
    if mine:
        print(
            "\nPool bias: share of each top 10 that was judged, and nDCG@10 with the unjudged "
            "entries left out of the ranking (condensed list; not the target's measure)"
        )
        print(
            "| needs | BM25 judged@10 | ranker judged@10 | BM25 condensed nDCG@10 "
            "| ranker condensed nDCG@10 |"
        )
        print("| --- | ---: | ---: | ---: | ---: |")
        for group in order:
            b, m = base[group], mine[group]
            print(
                f"| {group} | {b['judged']:.0%} | {m['judged']:.0%} | {b['ndcg_condensed']:.3f} "
                f"| {m['ndcg_condensed']:.3f} |"
            )
    judged = sum(len(g) for g in qrels.values())
    relevant = sum(1 for g in qrels.values() for v in g.values() if v >= RELEVANT_FROM)
    print(
        f"\n{judged} judged pairs, {relevant} with grade >= {RELEVANT_FROM}; recall and MRR count "
        f"grade >= {RELEVANT_FROM} as relevant, nDCG uses all grades (gain 2^g - 1)."
    )
    if mine is None or ours is None:
        return True
    worst = sorted(needs, key=lambda n: ours[n["id"]]["ndcg"] - baseline[n["id"]]["ndcg"])[:10]
    print("\nNeeds where the ranker does worst against BM25 (nDCG@10):")
    for need in worst:
        print(
            f"  {need['id']} [{need['language']}] ranker {ours[need['id']]['ndcg']:.3f} "
            f"BM25 {baseline[need['id']]['ndcg']:.3f}  {need['title'][:70]}"
        )
    overall = relative_gain(mine["all"]["ndcg"], base["all"]["ndcg"])
    below = [g for g in order[1:] if mine[g]["ndcg"] < base[g]["ndcg"]]
    ok = overall >= TARGET_GAIN and not below
    print(
        f"\nTarget: nDCG@10 at least {TARGET_GAIN:.0%} above BM25 overall: {overall:+.1%} "
        f"-> {'met' if overall >= TARGET_GAIN else 'MISSED'}"
    )
    print(
        f"Target: no language below BM25: "
        f"{'met' if not below else 'MISSED for ' + ', '.join(below)}"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="exchange_matching_quality_bench")
    parser.add_argument("--baseline-only", action="store_true")
    parser.add_argument("--keep", action="store_true", help="Keep the database and index.")
    parser.add_argument("--rankings", type=Path, help="Write both rankings to this JSON file.")
    args = parser.parse_args()

    entries = load_entries()
    needs = load_needs()
    qrels = load_qrels()
    published = [e for e in entries if e.get("status", "published") == "published"]
    print(
        f"Set: {len(entries)} entries, {len(needs)} needs, "
        f"{sum(len(g) for g in qrels.values())} judgements",
        flush=True,
    )
    started = time.perf_counter()
    baseline = Bm25Baseline(published)
    base_rankings = {
        n["id"]: baseline.rank(f"{n['title']} {n.get('description') or ''}", n["language"])
        for n in needs
    }
    print(f"BM25 baseline: {time.perf_counter() - started:.1f} s", flush=True)
    base_scores = evaluate(needs, qrels, base_rankings)
    if args.baseline_only:
        report(needs, qrels, None, base_scores)
        return

    from benchmarks.scratch_database import scratch_run, server_from_env

    server = server_from_env()
    with scratch_run(server, args.database, prefix="matching-quality-", keep=args.keep) as (
        database_url,
        index_root,
    ):
        our_rankings, notes = _run_ranker(database_url, index_root, needs)
    if notes:
        print(f"Ranker notes on {len(notes)} needs, e.g. {next(iter(notes.items()))}")
    if args.rankings:
        args.rankings.write_text(
            json.dumps({"ranker": our_rankings, "bm25": base_rankings}, indent=1),
            encoding="utf-8",
        )
    ours = evaluate(needs, qrels, our_rankings)
    report(needs, qrels, ours, base_scores)


def _run_ranker(
    database_url: str, index_root: Path, needs: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    import dj_database_url

    index_dir = index_root / "copy"
    os.environ["DATABASE_URL"] = database_url
    os.environ["SEARCH_INDEX_DIR"] = str(index_dir)
    from benchmarks.scratch_database import setup_django

    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.DATABASES["default"].update(dj_database_url.parse(database_url))
    settings.SEARCH_INDEX_DIR = index_dir
    connection.close()
    connection.settings_dict.update(dj_database_url.parse(database_url))

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    print(f"Migrated, reference data loaded: {time.perf_counter() - started:.1f} s", flush=True)
    entry_pks, need_pks = load_set_into_database()
    print(f"Set loaded: {len(entry_pks)} entries, {len(need_pks)} needs", flush=True)

    from search.indexer import index_rebuild

    started = time.perf_counter()
    rebuilt = index_rebuild(copy_dir=index_dir)
    print(f"Index built: {rebuilt.rebuilt} ({time.perf_counter() - started:.1f} s)", flush=True)

    from matching.models import Need
    from matching.ranking import rank_entries_for_need

    key_of_entry = {pk: key for key, pk in entry_pks.items()}
    rankings: dict[str, list[str]] = {}
    notes: dict[str, list[str]] = {}
    times: list[float] = []
    for key, pk in need_pks.items():
        need = Need.objects.get(pk=pk)
        started = time.perf_counter()
        result = rank_entries_for_need(need, limit=K_RECALL)
        times.append(time.perf_counter() - started)
        rankings[key] = [key_of_entry[item.entry_id] for item in result.items]
        if result.notes:
            notes[key] = list(result.notes)
    print(
        f"Ranker: {len(times)} needs, median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms a need",
        flush=True,
    )
    return rankings, notes


def load_set_into_database() -> tuple[dict[str, int], dict[str, int]]:
    """Organizations, entries (published, with providers and tags) and open needs of the set;
    returns the database ids by the set's ids."""
    from django.db import transaction
    from django.utils import timezone

    from catalog.models import (
        Country,
        Entry,
        EntryProvider,
        Organization,
        SdgGoal,
        SdgTarget,
        SupportKind,
        Theme,
    )
    from matching.models import Need

    countries = {c.iso3: c for c in Country.objects.all()}
    themes = {t.code: t for t in Theme.objects.all()}
    goals = {g.number: g for g in SdgGoal.objects.all()}
    targets = {t.code: t for t in SdgTarget.objects.all()}
    kinds = {k.code: k for k in SupportKind.objects.all()}
    now = timezone.now()

    def setter(
        name: str, table: Mapping[Any, Any], key: Callable[[Any], Any] = lambda v: v
    ) -> Callable[[Any, Mapping[str, Any]], None]:
        def assign(obj: Any, record: Mapping[str, Any]) -> None:
            values = [table[key(v)] for v in record.get(name) or []]
            if values:
                getattr(obj, name).set(values)

        return assign

    with transaction.atomic():
        orgs = {}
        for record in load_organizations():
            orgs[record["id"]] = Organization.objects.create(
                name=record["name"],
                acronym=record.get("acronym", ""),
                type=record["type"],
                country=countries[record["country"]],
                description=record.get("description", ""),
                external_id=f"quality:{record['id']}",
            )
        entry_pks: dict[str, int] = {}
        entry_m2m = [
            setter("countries_of_origin", countries),
            setter("countries_applied", countries),
            setter("themes", themes),
            setter("sdg_goals", goals, int),
            setter("sdg_targets", targets, str),
            setter("support_kinds", kinds),
        ]
        for record in load_entries():
            published_at = datetime.datetime.combine(
                datetime.date.fromisoformat(record["last_confirmed_on"]),
                datetime.time(12),
                tzinfo=datetime.UTC,
            )
            deadline = _date(record.get("deadline"))
            entry = Entry.objects.create(
                module=record["module"],
                kind=record["kind"],
                title=record["title"],
                summary=record["summary"],
                body=record.get("body", ""),
                language=record["language"],
                status=Entry.Status.PUBLISHED,
                published_at=min(published_at, now)
                if not deadline
                else min(
                    published_at,
                    now,
                    datetime.datetime.combine(deadline, datetime.time(0), tzinfo=datetime.UTC),
                ),
                last_confirmed_on=_date(record["last_confirmed_on"]),
                is_verified=record.get("is_verified", False),
                starts_on=_date(record.get("starts_on")),
                ends_on=_date(record.get("ends_on")),
                deadline=deadline,
                venue=record.get("venue", ""),
                venue_country=countries.get(record.get("venue_country") or ""),
                is_online=record.get("is_online", False),
                external_id=f"quality:{record['id']}",
            )
            for assign in entry_m2m:
                assign(entry, record)
            EntryProvider.objects.bulk_create(
                EntryProvider(entry=entry, organization=orgs[p["organization"]], role=p["role"])
                for p in record.get("providers", [])
            )
            entry_pks[record["id"]] = entry.pk
        need_pks: dict[str, int] = {}
        need_m2m = [
            setter("countries", countries),
            setter("themes", themes),
            setter("sdg_goals", goals, int),
            setter("sdg_targets", targets, str),
            setter("support_kinds", kinds),
        ]
        for record in load_needs():
            first = countries[record["countries"][0]]
            assert first.regional_office is not None, record["countries"][0]
            need = Need.objects.create(
                title=record["title"],
                description=record.get("description") or "",
                language=record["language"],
                priority=record.get("priority", Need.Priority.MEDIUM),
                time_frame=record.get("time_frame", Need.TimeFrame.MEDIUM),
                regional_office=first.regional_office,
                origin=record.get("origin", Need.Origin.OTHER),
                status=Need.Status.OPEN,
                opened_at=now,
                external_id=f"quality:{record['id']}",
            )
            for assign in need_m2m:
                assign(need, record)
            need_pks[record["id"]] = need.pk
    return entry_pks, need_pks


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


if __name__ == "__main__":
    main()

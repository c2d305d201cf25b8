"""How fast the portal's search is, against plain PostgreSQL full-text search on the same data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/search.py --sizes 10000,100000,1000000

For each size N: creates a fresh database (`--database`, default exchange_search_bench) on the
server of DATABASE_URL, migrates it, loads the reference data and generates N entries
(`catalog.generator`), then measures

- the index build (`search.indexer.index_rebuild` into a temporary copy directory);
- a fixed mix of 200 queries (1-3 words of the generator's vocabulary, broad and narrow, in the
  six languages, half with filters) through the project's search function
  (`search.engine.search`) with counts for four facets: p50/p95;
- the baseline: the same queries as PostgreSQL full-text search (a stored
  `to_tsvector('simple', title || summary || body)` column with a GIN index, built and timed
  here; `websearch_to_tsquery` + `ts_rank_cd`, top 20; filters as EXISTS; the four facet counts
  as GROUP BY over the matched set): p50/p95 and the ratio baseline/ours;
- how long an entry updated through the ORM takes to be seen by a reader in another process,
  after `search.indexer.index_catch_up`;
- the peak RSS of a process that opens the index read-only and runs the 200 queries (a web
  worker), with its private memory and the index pages it maps, by index file kind.

Drops the database and the index directory at the end, also when a run fails. See
benchmarks/README.md for measured figures.
"""

# ruff: noqa: S608 - the SQL names tables from the models; values are always parameters

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import dj_database_url

ROOT = Path(__file__).resolve().parent.parent
# The project's packages come before this folder (whose search.py would shadow `search`).
sys.path.insert(0, str(ROOT))

from benchmarks.scratch_database import (  # noqa: E402
    scratch_run,
    server_from_env,
    setup_django,
)

QUERIES = 200
FACETS = ("module", "theme", "region", "cooperation")
# Concepts are listed most frequent first (catalog/generator/vocabulary.py).
BROAD_CONCEPTS = 20
NARROW_CONCEPTS = 50
# Share of each language in the query mix; English dominates, as in the catalogue.
QUERY_LANGUAGES = {"en": 0.4, "fr": 0.15, "es": 0.15, "zh": 0.1, "ar": 0.1, "ru": 0.1}
# A baseline statement slower than this is cut off and counted at this time.
BASELINE_TIMEOUT_MS = 5_000
# Above this size the baseline runs every fourth group of four queries (50 of the 200, the same
# mix of broad/narrow and filtered/unfiltered): at 1M its statements take seconds each.
BASELINE_FULL_UP_TO = 100_000
TODAY = datetime.date(2026, 11, 26)
TARGETS = {"p50_ms": 15.0, "p95_ms": 50.0, "build_s": 180.0, "visible_s": 5.0, "rss_mb": 300.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="Comma-separated entry counts, one fresh database each.",
    )
    parser.add_argument(
        "--needs-per-entry", type=float, default=0.0, help="Needs generated per entry."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline-stride",
        type=int,
        default=0,
        help="Run the baseline on every Nth group of 4 queries (default: 1 up to 100,000 "
        "entries, 4 above).",
    )
    parser.add_argument("--database", default="exchange_search_bench")
    # Internal: the reader processes started by the benchmark itself.
    parser.add_argument("--worker", metavar="QUERIES_JSON", help=argparse.SUPPRESS)
    parser.add_argument("--watch", metavar="WORD", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker or args.watch:
        setup_django()
        if args.worker:
            _worker(Path(args.worker))
        else:
            _watch(args.watch)
        return

    server = server_from_env()
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    results = []
    for size in sizes:
        with scratch_run(server, args.database, prefix="search-bench-") as (
            database_url,
            index_root,
        ):
            results.append(_run_size(args, size, database_url, index_root))
    _print_summary(results)


def _child_env(database_url: str, index_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SEARCH_INDEX_DIR": str(index_dir),
        "SEARCH_CATCH_UP_ON_COMMIT": "0",
        "DEBUG": os.environ.get("DEBUG", "1"),
    }


# --- One size ------------------------------------------------------------------------------------


def _run_size(
    args: argparse.Namespace, size: int, database_url: str, index_root: Path
) -> dict[str, Any]:
    index_dir = index_root / "copy"
    os.environ["DATABASE_URL"] = database_url
    os.environ["SEARCH_INDEX_DIR"] = str(index_dir)
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from catalog.generator import catalogue_generate
    from search.indexer import index_rebuild

    # Settings were read at the first setup: point them at this size's database and copy.
    settings.DATABASES["default"].update(dj_database_url.parse(database_url))
    settings.SEARCH_INDEX_DIR = index_dir
    connection.close()
    connection.settings_dict.update(dj_database_url.parse(database_url))

    print(f"\n=== {size:,} entries ===", flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (server_version,) = cursor.fetchone()
    print(
        f"Machine: {os.cpu_count()} cores, {_memory_gib():.0f} GiB, Python "
        f"{platform.python_version()}, PostgreSQL {server_version}, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(f"Migrated, reference data loaded: {time.perf_counter() - started:.1f} s", flush=True)

    needs = int(size * args.needs_per_entry)
    report = catalogue_generate(
        entries=size,
        needs=needs,
        seed=args.seed,
        today=TODAY,
        progress=lambda message: print(f"  generate: {message}", flush=True),
    )
    print(f"Generated {size:,} entries, {needs:,} needs: {report.seconds:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    step = max(size // 10, 2000)
    next_report = [step]

    def progress(done: int, total: int) -> None:
        if done >= next_report[0] or done == total:
            print(f"  index: {done:,} / {total:,} ({time.perf_counter() - build_started:.1f} s)")
            sys.stdout.flush()
            next_report[0] = done + step

    build_started = time.perf_counter()
    rebuilt = index_rebuild(copy_dir=index_dir, progress=progress)
    build_s = time.perf_counter() - build_started
    index_mb = _directory_mb(index_dir)
    print(f"Index built: {rebuilt.rebuilt}  ({build_s:.1f} s, {index_mb:.0f} MB on disk)")

    queries = _query_mix(seed=args.seed)
    warm_up = _query_mix(seed=args.seed + 1000)[:20]
    queries_file = index_root / "queries.json"
    queries_file.write_text(json.dumps(queries), encoding="utf-8")
    print(f"Query mix: {len(queries)} queries, e.g. {queries[0]}, {queries[1]}", flush=True)

    ours_ms, ours_hits = _run_ours(queries, warm_up)
    print(
        f"Ours: p50 {_pct(ours_ms, 50):.1f} ms, p95 {_pct(ours_ms, 95):.1f} ms, "
        f"max {max(ours_ms):.1f} ms; {sum(1 for h in ours_hits if h)} queries with hits",
        flush=True,
    )

    baseline_build_s = _baseline_build()
    print(f"Baseline tsvector column + GIN index: {baseline_build_s:.1f} s", flush=True)
    stride = args.baseline_stride or (1 if size <= BASELINE_FULL_UP_TO else 4)
    sample = [i for i in range(len(queries)) if (i // 4) % stride == 0]
    base_ms, base_hits, timeouts = _run_baseline([queries[i] for i in sample], warm_up[:8])
    ours_sample = [ours_ms[i] for i in sample]
    print(
        f"Baseline: p50 {_pct(base_ms, 50):.1f} ms, p95 {_pct(base_ms, 95):.1f} ms, "
        f"max {max(base_ms):.1f} ms; {sum(1 for h in base_hits if h)} queries with hits, "
        f"{timeouts} statements cut off at {BASELINE_TIMEOUT_MS / 1000:.0f} s "
        f"(counted at that time); on {len(sample)} of the {len(queries)} queries, where ours "
        f"has p50 {_pct(ours_sample, 50):.1f} ms, p95 {_pct(ours_sample, 95):.1f} ms",
        flush=True,
    )

    env = _child_env(database_url, index_dir)
    catch_up_s, visible_s = _update_visibility(env)
    print(f"Update: catch-up {catch_up_s:.2f} s, seen by a reader {visible_s:.2f} s after commit")
    rss_mb = _worker_rss(env, queries_file)
    print(f"Web worker: peak RSS (VmHWM) {rss_mb:.0f} MB with the index open, {QUERIES} queries")

    result = {
        "size": size,
        "generate_s": report.seconds,
        "build_s": build_s,
        "index_mb": index_mb,
        "ours_p50": _pct(ours_ms, 50),
        "ours_p95": _pct(ours_ms, 95),
        "base_p50": _pct(base_ms, 50),
        "base_p95": _pct(base_ms, 95),
        "base_build_s": baseline_build_s,
        "base_queries": len(sample),
        "ours_sample_p50": _pct(ours_sample, 50),
        "ours_sample_p95": _pct(ours_sample, 95),
        "base_timeouts": timeouts,
        "catch_up_s": catch_up_s,
        "visible_s": visible_s,
        "rss_mb": rss_mb,
        "total_s": time.perf_counter() - started,
        "load": os.getloadavg()[0],
    }
    _print_table(result)
    return result


# --- The query mix -------------------------------------------------------------------------------


def _query_mix(*, seed: int) -> list[dict[str, Any]]:
    """QUERIES distinct queries, the same for a seed: even ones broad (frequent concepts), odd
    ones narrow (one rare concept, perhaps with a frequent one); every other pair filtered."""
    from catalog.generator.vocabulary import CONCEPTS
    from catalog.models import Country, Entry, Theme

    rng = random.Random(seed)
    broad = [words for _cluster, words in CONCEPTS[:BROAD_CONCEPTS]]
    narrow = [words for _cluster, words in CONCEPTS[-NARROW_CONCEPTS:]]
    themes = sorted(Theme.objects.values_list("code", flat=True))
    regions = sorted(
        set(Country.objects.exclude(region_code="").values_list("region_code", flat=True))
    )
    choices: dict[str, list[str]] = {
        "module": sorted(Entry.Module.values),
        "theme": themes,
        "region": regions,
        "cooperation": sorted(Entry.Cooperation.values),
    }
    languages = list(QUERY_LANGUAGES)
    weights = list(QUERY_LANGUAGES.values())
    queries: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(queries) < QUERIES:
        i = len(queries)
        language = rng.choices(languages, weights)[0]
        count = rng.choice((1, 1, 2, 2, 3))
        if i % 2 == 0:
            concepts = rng.sample(broad, count)
        else:
            concepts = [rng.choice(narrow), *rng.sample(broad, count - 1)]
        text = " ".join(concept[language] for concept in concepts)
        filters: dict[str, list[str]] = {}
        if i % 4 >= 2:
            for facet in rng.sample(list(choices), rng.choice((1, 1, 2))):
                filters[facet] = [rng.choice(choices[facet])]
        key = json.dumps([text, filters], sort_keys=True)
        if key in seen:  # the engine caches facet counts: repeats would flatter it
            continue
        seen.add(key)
        queries.append(
            {"text": text, "filters": filters, "kind": "broad" if i % 2 == 0 else "narrow"}
        )
    return queries


# --- Ours ----------------------------------------------------------------------------------------


def _search(query: dict[str, Any]) -> int:
    from search.engine import SearchRequest, search

    result = search(SearchRequest(text=query["text"], filters=query["filters"], facets=FACETS))
    return result.total


def _run_ours(
    queries: list[dict[str, Any]], warm_up: list[dict[str, Any]]
) -> tuple[list[float], list[int]]:
    for query in warm_up:
        _search(query)
    times, totals = [], []
    for query in queries:
        started = time.perf_counter()
        totals.append(_search(query))
        times.append((time.perf_counter() - started) * 1000)
    return times, totals


# --- Baseline: PostgreSQL full-text search -------------------------------------------------------


def _tables() -> dict[str, str]:
    from catalog.models import Country, Entry, EntryProvider, Organization, Theme

    return {
        "entry": Entry._meta.db_table,
        "themes": Entry.themes.through._meta.db_table,
        "origin": Entry.countries_of_origin.through._meta.db_table,
        "applied": Entry.countries_applied.through._meta.db_table,
        "provider": EntryProvider._meta.db_table,
        "organization": Organization._meta.db_table,
        "country": Country._meta.db_table,
        "theme": Theme._meta.db_table,
    }


def _baseline_build() -> float:
    """A stored tsvector column and its GIN index: ranking reads the column, where an
    expression index alone would make ts_rank_cd re-parse every matched entry's text."""
    from django.db import connection

    t = _tables()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {t['entry']} ADD COLUMN bench_tsv tsvector GENERATED ALWAYS AS "
            "(to_tsvector('simple', title || ' ' || summary || ' ' || body)) STORED"
        )
        cursor.execute(f"CREATE INDEX bench_tsv_gin ON {t['entry']} USING gin (bench_tsv)")
        cursor.execute(f"ANALYZE {t['entry']}")
    return time.perf_counter() - started


def _cooperation_sql(t: dict[str, str]) -> str:
    """`Entry.cooperation` in SQL: from the providers' countries, UN entities aside."""
    provider = (
        f"SELECT 1 FROM {t['provider']} p JOIN {t['organization']} o ON o.id = p.organization_id "
        f"JOIN {t['country']} c ON c.id = o.country_id WHERE p.entry_id = e.id "
        "AND o.type <> 'un-entity' AND c.is_southern = {}"
    )
    south, north = provider.format("true"), provider.format("false")
    return (
        f"CASE WHEN EXISTS ({south}) AND EXISTS ({north}) THEN 'triangular' "
        f"WHEN EXISTS ({south}) THEN 'south-south' "
        f"WHEN EXISTS ({north}) THEN 'northern' ELSE 'unknown' END"
    )


def _filter_sql(t: dict[str, str], filters: dict[str, list[str]]) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for facet, values in filters.items():
        if facet == "module":
            clauses.append("e.module = ANY(%s)")
        elif facet == "theme":
            clauses.append(
                f"EXISTS (SELECT 1 FROM {t['themes']} et JOIN {t['theme']} th "
                "ON th.id = et.theme_id WHERE et.entry_id = e.id AND th.code = ANY(%s))"
            )
        elif facet == "region":
            clauses.append(
                f"(EXISTS (SELECT 1 FROM {t['origin']} x JOIN {t['country']} c ON "
                "c.id = x.country_id WHERE x.entry_id = e.id AND c.region_code = ANY(%s)) OR "
                f"EXISTS (SELECT 1 FROM {t['applied']} x JOIN {t['country']} c ON "
                "c.id = x.country_id WHERE x.entry_id = e.id AND c.region_code = ANY(%s)))"
            )
            params.append(values)
        elif facet == "cooperation":
            clauses.append(f"({_cooperation_sql(t)}) = ANY(%s)")
        params.append(values)
    return "".join(f" AND {clause}" for clause in clauses), params


def _baseline_statements(t: dict[str, str], query: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    where, params = _filter_sql(t, query["filters"])
    matched = (
        f"FROM {t['entry']} e WHERE e.status = 'published' "
        f"AND e.bench_tsv @@ websearch_to_tsquery('simple', %s){where}"
    )
    top = (
        f"SELECT e.id, ts_rank_cd(e.bench_tsv, websearch_to_tsquery('simple', %s)) AS rank "
        f"{matched} ORDER BY rank DESC LIMIT 20"
    )
    places = (
        f"SELECT entry_id, country_id FROM {t['origin']} "
        f"UNION SELECT entry_id, country_id FROM {t['applied']}"
    )
    facets = f"""
        WITH m AS MATERIALIZED (SELECT e.id, e.module, {_cooperation_sql(t)} AS cooperation
                                {matched})
        SELECT 'total', '', count(*) FROM m
        UNION ALL SELECT 'module', module, count(*) FROM m GROUP BY module
        UNION ALL SELECT 'cooperation', cooperation, count(*) FROM m GROUP BY cooperation
        UNION ALL SELECT 'theme', th.code, count(*) FROM m
            JOIN {t["themes"]} et ON et.entry_id = m.id JOIN {t["theme"]} th ON th.id = et.theme_id
            GROUP BY th.code
        UNION ALL SELECT 'region', c.region_code, count(DISTINCT m.id) FROM m
            JOIN ({places}) pl ON pl.entry_id = m.id JOIN {t["country"]} c ON c.id = pl.country_id
            WHERE c.region_code <> '' GROUP BY c.region_code
    """
    text = query["text"]
    return [(top, [text, text, *params]), (facets, [text, *params])]


def _run_baseline(
    queries: list[dict[str, Any]], warm_up: list[dict[str, Any]]
) -> tuple[list[float], list[int], int]:
    from django.db import OperationalError, connection, transaction

    t = _tables()
    times, totals = [], []
    timeouts = 0
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = %s", [BASELINE_TIMEOUT_MS])
        for number, query in enumerate([*warm_up, *queries]):
            total = 0
            started = time.perf_counter()
            for statement, params in _baseline_statements(t, query):
                try:
                    with transaction.atomic():
                        cursor.execute(statement, params)
                        rows = cursor.fetchall()
                except OperationalError:  # statement_timeout
                    timeouts += 1
                    rows = []
                for row in rows:
                    if row[0] == "total":
                        total = row[2]
            elapsed = (time.perf_counter() - started) * 1000
            if number >= len(warm_up):
                times.append(elapsed)
                totals.append(total)
                done = len(times)
                if done % 25 == 0:
                    print(f"  baseline: {done} / {len(queries)} queries", flush=True)
        cursor.execute("RESET statement_timeout")
    return times, totals, timeouts


# --- Update visibility and a web worker's memory (other processes) -------------------------------


def _update_visibility(env: dict[str, str]) -> tuple[float, float]:
    """Seconds of the indexer catch-up, and from the commit of an ORM update until a reader in
    another process (this machine's `search.store.reader`) finds it."""
    from django.db import transaction

    from catalog.models import Entry
    from search.indexer import index_catch_up

    word = f"zqxbench{random.Random(time.time_ns()).randrange(10**9)}"
    watcher = subprocess.Popen(  # noqa: S603 - this script, a generated word
        [sys.executable, __file__, "--watch", word],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert watcher.stdout is not None
    ready = watcher.stdout.readline().strip()
    if ready != "ready":
        watcher.kill()
        raise RuntimeError(f"The reader process did not start: {ready!r}")
    entry = Entry.objects.published().order_by("id").first()
    assert entry is not None
    with transaction.atomic():
        entry.title = f"{entry.title} {word}"
        entry.save(update_fields=["title", "updated_at"])  # the signal logs the change
    committed = time.time()
    result = index_catch_up(copy_dir=os.environ["SEARCH_INDEX_DIR"])
    catch_up_s = time.time() - committed
    print(f"  {result}", flush=True)
    try:
        seen_line, _ = watcher.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        watcher.kill()
        return catch_up_s, float("inf")
    return catch_up_s, float(seen_line.strip()) - committed


def _watch(word: str) -> None:
    from search import store
    from search.engine import SearchRequest

    store.reader()  # open the index, as a web worker that has served a search already
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if store.reader().search(SearchRequest(text=word, facets=())).total:
            print(time.time(), flush=True)
            return
        time.sleep(0.02)
    print("inf", flush=True)


def _worker_rss(env: dict[str, str], queries_file: Path) -> float:
    output = subprocess.run(  # noqa: S603 - this script and its own file
        [sys.executable, __file__, "--worker", str(queries_file)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    ).stdout
    *details, peak = output.rstrip().splitlines()
    for line in details:
        print(line)
    return float(peak)


def _worker(queries_file: Path) -> None:
    """A web worker: Django loaded, the index open read-only, the query mix served; prints the
    peak resident memory in MB (last line).

    The peak is VmHWM, this process's own high-water mark. `ru_maxrss` is printed too but is
    not used: Linux carries the parent's peak over into it when the parent forks (or vforks)
    and execs this process, so it reports the benchmark's own memory, not the worker's."""
    for query in json.loads(queries_file.read_text(encoding="utf-8")):
        _search(query)
    status = _proc_status()
    index_dir = Path(os.environ["SEARCH_INDEX_DIR"]).resolve()
    mapped, on_disk = _mapped_index_kb(index_dir), _index_files_kb(index_dir)
    kinds = sorted(
        (kind for kind in on_disk.keys() | mapped.keys() if on_disk.get(kind, 0) >= 512),
        key=lambda kind: (-mapped.get(kind, 0), -on_disk.get(kind, 0)),
    )
    mapped_kb = sum(mapped.values())
    print(
        "  worker: index pages mapped, by file kind (MB resident / on disk): "
        + ", ".join(
            f"{k} {mapped.get(k, 0) / 1024:.0f} / {on_disk.get(k, 0) / 1024:.0f}" for k in kinds
        )
        + f"; all {mapped_kb / 1024:.0f} / {sum(on_disk.values()) / 1024:.0f}; other files "
        f"mapped (Python, libraries) {(status.get('RssFile', 0) - mapped_kb) / 1024:.0f}"
    )
    print(
        f"  worker: at the end RssAnon {status.get('RssAnon', 0) / 1024:.0f} MB (private), "
        f"RssFile {status.get('RssFile', 0) / 1024:.0f} MB (index pages mapped from the page "
        f"cache, shared by the workers of a machine); ru_maxrss "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (not used)"
    )
    print(status["VmHWM"] / 1024 if "VmHWM" in status else _ru_maxrss_mb())


def _proc_status() -> dict[str, int]:
    """The kB figures of /proc/self/status (Linux; empty elsewhere)."""
    try:
        lines = Path("/proc/self/status").read_text(encoding="ascii").splitlines()
    except OSError:
        return {}
    return {
        name: int(value.split()[0])
        for name, _, value in (line.partition(":") for line in lines)
        if value.strip().endswith("kB")
    }


def _index_kind(path: Path) -> str:
    """A tantivy file's kind: its last suffix (".idx" postings, ".pos" positions, ".term" term
    dictionaries, ".fast" fast fields, ".store" stored fields, ".fieldnorm", ".del" deletes)."""
    return path.suffix.lstrip(".") or path.name


def _mapped_index_kb(index_dir: Path) -> dict[str, int]:
    """Resident kB of this process's mappings of files under `index_dir`, by file kind, from
    /proc/self/smaps (Linux; empty elsewhere)."""
    try:
        lines = Path("/proc/self/smaps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    prefix = f"{index_dir}/"
    kinds: dict[str, int] = {}
    kind: str | None = None
    for line in lines.splitlines():
        name, _, rest = line.partition(" ")
        if not name.endswith(":"):  # a mapping: address, perms, offset, device, inode, path
            columns = rest.split(maxsplit=4)
            path = columns[4] if len(columns) == 5 else ""
            kind = _index_kind(Path(path)) if path.startswith(prefix) else None
        elif kind is not None and name == "Rss:":
            kinds[kind] = kinds.get(kind, 0) + int(rest.split()[0])
    return kinds


def _index_files_kb(index_dir: Path) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for path in index_dir.rglob("*"):
        if path.is_file():
            kind = _index_kind(path)
            kinds[kind] = kinds.get(kind, 0) + path.stat().st_size // 1024
    return kinds


def _ru_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- Output --------------------------------------------------------------------------------------


def _pct(values: list[float], percent: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def _mark(value: float, target: float) -> str:
    return "ok" if value <= target else f"MISSED by {value - target:.1f} ({value / target:.1f}x)"


def _print_table(r: dict[str, Any]) -> None:
    # The ratio compares the same queries: the baseline's sample at large sizes.
    ratio50 = r["base_p50"] / r["ours_sample_p50"]
    ratio95 = r["base_p95"] / r["ours_sample_p95"]
    rows = [
        ("entries", f"{r['size']:,}", ""),
        ("search p50, ours (ms)", f"{r['ours_p50']:.1f}", _mark(r["ours_p50"], TARGETS["p50_ms"])),
        ("search p95, ours (ms)", f"{r['ours_p95']:.1f}", _mark(r["ours_p95"], TARGETS["p95_ms"])),
        ("search p50, PostgreSQL FTS (ms)", f"{r['base_p50']:.1f}", f"ratio {ratio50:.1f}x"),
        ("search p95, PostgreSQL FTS (ms)", f"{r['base_p95']:.1f}", f"ratio {ratio95:.1f}x"),
        ("baseline queries run", f"{r['base_queries']}", ""),
        ("baseline statements cut off", f"{r['base_timeouts']}", "counted at the timeout"),
        ("index build (s)", f"{r['build_s']:.1f}", _mark(r["build_s"], TARGETS["build_s"])),
        ("index size on disk (MB)", f"{r['index_mb']:.0f}", ""),
        ("baseline tsvector + GIN build (s)", f"{r['base_build_s']:.1f}", ""),
        ("indexer catch-up of 1 update (s)", f"{r['catch_up_s']:.2f}", ""),
        (
            "update visible to a reader (s)",
            f"{r['visible_s']:.2f}",
            _mark(r["visible_s"], TARGETS["visible_s"]),
        ),
        (
            "web worker peak RSS, VmHWM (MB)",
            f"{r['rss_mb']:.0f}",
            _mark(r["rss_mb"], TARGETS["rss_mb"]),
        ),
        ("generation (s)", f"{r['generate_s']:.1f}", ""),
        ("whole size, with setup (s)", f"{r['total_s']:.1f}", ""),
        ("load average at the end", f"{r['load']:.1f}", ""),
    ]
    print()
    for label, value, note in rows:
        print(f"  {label:36} {value:>12}  {note}")
    print(flush=True)


def _print_summary(results: list[dict[str, Any]]) -> None:
    if not results:
        return
    print("\nSummary (ms; ratio = PostgreSQL / ours)")
    print(
        "| entries | ours p50 | ours p95 | PG p50 | PG p95 | ratio p50 | ratio p95 | build s "
        "| visible s | RSS MB |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['size']:,} | {r['ours_p50']:.1f} | {r['ours_p95']:.1f} | {r['base_p50']:.1f} "
            f"| {r['base_p95']:.1f} | {r['base_p50'] / r['ours_sample_p50']:.1f}x "
            f"| {r['base_p95'] / r['ours_sample_p95']:.1f}x | {r['build_s']:.1f} "
            f"| {r['visible_s']:.2f} | {r['rss_mb']:.0f} |"
        )


def _directory_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def _memory_gib() -> float:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 0.0
    return pages / 2**30


if __name__ == "__main__":
    main()

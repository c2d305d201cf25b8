"""How fast matching is: ranked matches with explanations for 200 needs, against ranking by BM25
alone, and the refresh of the suggestions of 10,000 open needs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/matching.py --sizes 1000000

For each size N: creates a fresh database (`--database`, default exchange_matching_bench) on the
server of DATABASE_URL, migrates it, loads the reference data, generates N entries and
N * --needs-per-entry needs (`catalog.generator`; 45% of needs are open), VACUUM ANALYZE (what
autovacuum does to a live database), builds the search index (`search.indexer.index_rebuild`),
then measures

- ours: `matching.ranking.rank_entries_for_need` for 200 open needs (a seeded sample, after 20
  others to warm up): the top 20 with their factor breakdown and explanations; p50/p95;
- the baseline: the same needs ranked by BM25 alone, the engine's candidate query
  (`search.engine.match_candidates` with the need's text, top 20, no tags, no factors, no
  explanation): p50/p95 and the ratios ours/baseline;
- the refresh of suggestions after a bulk import: `matching.tasks.refresh_need_suggestions`
  (the Celery task's function, run in this one process as one worker would: rank, then upsert
  the suggested matches) for the first --refresh-needs open needs; total time.

Prints the load average beside the figures: the machine has 2 cores and may be shared. Drops the
database and the index directory at the end, also when a run fails. See benchmarks/README.md for
measured figures.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import statistics
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

TODAY = datetime.date(2026, 11, 26)
LIMIT = 20
WARM_UP = 20
TARGETS = {"p50_ms": 50.0, "p95_ms": 150.0, "refresh_10k_s": 600.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000000", help="Comma-separated entry counts, one database each."
    )
    parser.add_argument(
        "--needs-per-entry",
        type=float,
        default=0.025,
        help="Needs generated per entry (0.025: 25,000 needs, about 11,000 open, at 1M).",
    )
    parser.add_argument("--needs", type=int, default=200, help="Needs ranked and timed.")
    parser.add_argument(
        "--refresh-needs",
        type=int,
        default=10_000,
        help="Open needs whose suggestions are refreshed.",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="exchange_matching_bench")
    args = parser.parse_args()

    server = server_from_env()
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    results = []
    for size in sizes:
        with scratch_run(server, args.database, prefix="matching-bench-") as (
            database_url,
            index_root,
        ):
            results.append(_run_size(args, size, database_url, index_root))
    _print_summary(results)


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
    # The tasks run here, in this process, as one worker would run them.
    settings.CELERY_TASK_ALWAYS_EAGER = True
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
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )
    needs = int(size * args.needs_per_entry)
    report = catalogue_generate(
        entries=size,
        needs=needs,
        seed=args.seed,
        today=TODAY,
        progress=lambda message: print(f"  generate: {message}", flush=True),
    )
    print(f"Generated {size:,} entries, {needs:,} needs: {report.seconds:.1f} s", flush=True)
    vacuum_started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE: {time.perf_counter() - vacuum_started:.1f} s", flush=True)

    build_started = time.perf_counter()
    index_rebuild(copy_dir=index_dir)
    build_s = time.perf_counter() - build_started
    print(f"Index built: {build_s:.1f} s", flush=True)

    ranked = _rank(args)
    refresh = _refresh(args)
    result = {
        "size": size,
        "needs_generated": needs,
        "generate_s": report.seconds,
        "build_s": build_s,
        **ranked,
        **refresh,
        "total_s": time.perf_counter() - started,
        "load": os.getloadavg()[0],
    }
    _print_table(result)
    return result


def _sample(args: argparse.Namespace) -> tuple[list[Any], list[Any]]:
    from matching.models import Need

    open_ids = list(Need.objects.open().order_by("pk").values_list("pk", flat=True))
    rng = random.Random(args.seed)
    chosen = rng.sample(open_ids, min(len(open_ids), args.needs + WARM_UP))
    needs = Need.objects.in_bulk(chosen)
    ordered = [needs[pk] for pk in chosen]
    return ordered[:WARM_UP], ordered[WARM_UP:]


def _rank(args: argparse.Namespace) -> dict[str, Any]:
    from matching.ranking import rank_entries_for_need
    from search.engine import match_candidates

    warm_up, needs = _sample(args)
    print(f"Ranking {len(needs)} open needs (after {len(warm_up)} to warm up)", flush=True)
    for need in warm_up:
        rank_entries_for_need(need, limit=LIMIT)
        match_candidates(f"{need.title}\n{need.description}", limit=LIMIT)

    ours: list[float] = []
    scores: list[float] = []
    notes = 0
    for need in needs:
        started = time.perf_counter()
        result = rank_entries_for_need(need, limit=LIMIT)
        ours.append((time.perf_counter() - started) * 1000)
        scores.extend(item.score for item in result.items)
        notes += bool(result.notes)
    baseline, hits = [], 0
    for need in needs:
        started = time.perf_counter()
        found = match_candidates(f"{need.title}\n{need.description}", limit=LIMIT)
        top = sorted(found.hits, key=lambda hit: (-hit[1], hit[0]))[:LIMIT]
        baseline.append((time.perf_counter() - started) * 1000)
        hits += len(top)
    print(
        f"Ours: p50 {_pct(ours, 50):.1f} ms, p95 {_pct(ours, 95):.1f} ms, max {max(ours):.1f} ms; "
        f"{len(scores) / len(needs):.1f} matches per need, mean score "
        f"{statistics.mean(scores) if scores else 0:.3f}, {notes} needs with a note",
        flush=True,
    )
    print(
        f"BM25 alone: p50 {_pct(baseline, 50):.1f} ms, p95 {_pct(baseline, 95):.1f} ms, "
        f"max {max(baseline):.1f} ms; {hits / len(needs):.1f} hits per need",
        flush=True,
    )
    return {
        "ranked_needs": len(needs),
        "ours_p50": _pct(ours, 50),
        "ours_p95": _pct(ours, 95),
        "base_p50": _pct(baseline, 50),
        "base_p95": _pct(baseline, 95),
    }


def _refresh(args: argparse.Namespace) -> dict[str, Any]:
    from matching.models import Match, Need
    from matching.tasks import refresh_need_suggestions

    ids = list(
        Need.objects.open().order_by("pk").values_list("pk", flat=True)[: args.refresh_needs]
    )
    print(
        f"Refreshing the suggestions of {len(ids):,} open needs with "
        "matching.tasks.refresh_need_suggestions, in this process",
        flush=True,
    )
    started = time.perf_counter()
    for done, pk in enumerate(ids, start=1):
        refresh_need_suggestions(pk)
        if done % 1000 == 0 or done == len(ids):
            elapsed = time.perf_counter() - started
            print(
                f"  refresh: {done:,} / {len(ids):,} ({elapsed:.1f} s, load average "
                f"{os.getloadavg()[0]:.1f})",
                flush=True,
            )
    seconds = time.perf_counter() - started
    matches = Match.objects.count()
    print(
        f"Refreshed {len(ids):,} needs in {seconds:.1f} s ({seconds / max(1, len(ids)) * 1000:.1f} "
        f"ms per need), {matches:,} suggested matches stored",
        flush=True,
    )
    return {"refresh_needs": len(ids), "refresh_s": seconds, "matches": matches}


def _pct(values: list[float], percent: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def _mark(value: float, target: float) -> str:
    return "ok" if value <= target else f"MISSED by {value - target:.1f} ({value / target:.1f}x)"


def _print_table(r: dict[str, Any]) -> None:
    per_10k = r["refresh_s"] / max(1, r["refresh_needs"]) * 10_000
    rows = [
        ("entries", f"{r['size']:,}", ""),
        ("needs generated", f"{r['needs_generated']:,}", ""),
        ("needs ranked", f"{r['ranked_needs']}", ""),
        (
            "top-20 with explanations p50 (ms)",
            f"{r['ours_p50']:.1f}",
            _mark(r["ours_p50"], TARGETS["p50_ms"]),
        ),
        (
            "top-20 with explanations p95 (ms)",
            f"{r['ours_p95']:.1f}",
            _mark(r["ours_p95"], TARGETS["p95_ms"]),
        ),
        (
            "BM25 alone p50 (ms)",
            f"{r['base_p50']:.1f}",
            f"ours / BM25 {r['ours_p50'] / r['base_p50']:.1f}x",
        ),
        (
            "BM25 alone p95 (ms)",
            f"{r['base_p95']:.1f}",
            f"ours / BM25 {r['ours_p95'] / r['base_p95']:.1f}x",
        ),
        ("refresh: open needs", f"{r['refresh_needs']:,}", ""),
        ("refresh: total (s)", f"{r['refresh_s']:.1f}", ""),
        (
            "refresh: per 10,000 needs (s)",
            f"{per_10k:.1f}",
            _mark(per_10k, TARGETS["refresh_10k_s"]),
        ),
        ("suggested matches stored", f"{r['matches']:,}", ""),
        ("generation (s)", f"{r['generate_s']:.1f}", ""),
        ("index build (s)", f"{r['build_s']:.1f}", ""),
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
    print("\nSummary (ms; ratio = ours / BM25 alone)")
    print(
        "| entries | ours p50 | ours p95 | BM25 p50 | BM25 p95 | ratio p50 | ratio p95 "
        "| refresh needs | refresh s | load |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['size']:,} | {r['ours_p50']:.1f} | {r['ours_p95']:.1f} | {r['base_p50']:.1f} "
            f"| {r['base_p95']:.1f} | {r['ours_p50'] / r['base_p50']:.1f}x "
            f"| {r['ours_p95'] / r['base_p95']:.1f}x | {r['refresh_needs']:,} "
            f"| {r['refresh_s']:.1f} | {r['load']:.1f} |"
        )


def _memory_gib() -> float:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 0.0
    return pages / 2**30


if __name__ == "__main__":
    main()

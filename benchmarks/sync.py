"""How fast partner sync harvests a feed into PostgreSQL and the search index.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/sync.py --sizes 20000,100000

For each size N: creates a fresh database (`--database`, default exchange_sync_bench) on the
server of DATABASE_URL, migrates it, loads the reference data, builds the (empty) search index,
writes a feed of N generated IATI-like records (JSON lines: titles and summaries, a third also in
French, 1-3 recipient countries, 0-2 themes, 1-2 SDG targets, 1-2 providers from a pool of
organizations, a link) and serves it from a separate process on 127.0.0.1 as a paged JSON feed
(`tests/partners/feed.py`, 1,000 records a page). Then, each in a fresh process:

1. **first harvest**: a run requested as staff's "run now" does (`sync_run_request`; without a
   broker the task `partners.tasks.sync_source_run` runs in the process: claim, fetch over HTTP,
   map, store page by page, succeed), while `manage.py search_indexer --interval 0.5` runs
   beside it as on a production machine. End to end is from the run's request until the index
   has applied the last change the run logged (the sync's time, plus the time the indexer
   still needed once the harvesting process had ended): records/s, and the sync alone;
2. **second harvest** of the same, unchanged feed (content-hash skip), measured the same way;
3. the process's peak memory (`VmHWM`) for each harvest: the same at two sizes shows memory
   flat in the feed's size (the harvesting process runs without DEBUG's log of statements,
   which grows with the feed, unless `SYNC_BENCH_QUERIES` asks for it), its CPU time and the
   part of it spent in Python's garbage collector;
4. the baseline: `COPY` of N rows with the same column values into `catalog_entry` (the entry
   rows only, no relations, no index), rolled back: the physical floor of the table.

Drops the database and the index directory at the end, also when a run fails. Figures in
benchmarks/README.md ("Partner sync").
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.scratch_database import (  # noqa: E402
    scratch_run,
    server_from_env,
    setup_django,
)

TARGETS = {"first": 5_000.0, "second": 20_000.0}
COUNTRIES = ["KEN", "SEN", "MLI", "BGD", "NPL", "PER", "BOL", "VNM", "FJI", "GHA", "ETH", "IND"]
THEMES = ["climate-change", "disasters-conflicts", "ecosystem-management"]
TARGET_CODES = ["6.1", "7.1", "13.1", "14.2", "15.1", "2.4", "11.6", "12.5"]
WORDS = (
    "solar irrigation mangrove restoration community water harvesting drought resilient seeds "
    "early warning flood coastal farmers cooperative training women youth biogas cookstoves "
    "agroforestry watershed soil carbon markets waste recycling plastic"
).split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000", help="Comma-separated feed sizes.")
    parser.add_argument("--database", default="exchange_sync_bench")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", choices=["harvest", "serve"], help=argparse.SUPPRESS)
    parser.add_argument("--feed-url", help=argparse.SUPPRESS)
    parser.add_argument("--feed-file", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "harvest":
        setup_django()
        if not os.environ.get("SYNC_BENCH_QUERIES"):
            from django.conf import settings

            # DEBUG's log of every statement, with its parameters (a page's ids and hashes),
            # grows with the feed: production runs without it.
            settings.DEBUG = False
        if os.environ.get("SYNC_BENCH_PROFILE"):  # a cProfile of the harvest on stderr
            import cProfile
            import pstats

            profile = cProfile.Profile()
            result = profile.runcall(_harvest, args.feed_url)
            stats = pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative")
            stats.print_stats(40)
        else:
            result = _harvest(args.feed_url)
        print(json.dumps(result))
        return
    if args.child == "serve":
        setup_django()
        from tests.partners.feed import FeedServer

        feed = FeedServer(Path(args.feed_file))
        print(feed.url, flush=True)
        feed.server.serve_forever()
        return

    postgres = server_from_env()
    results = []
    for size in [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]:
        with scratch_run(postgres, args.database, prefix="sync-bench-") as (database_url, root):
            results.append(_run_size(size, args.seed, database_url, root))
    _print_summary(results)


def _env(database_url: str, index_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SEARCH_INDEX_DIR": str(index_dir),
        "SEARCH_CATCH_UP_ON_COMMIT": "0",
        "DEBUG": os.environ.get("DEBUG", "1"),
        "PARTNER_SYNC_CONNECTOR_FACTORY": "tests.partners.feed.connector_for",
    }
    # No broker: the run's task executes in the harvesting process.
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    return env


def _run_size(size: int, seed: int, database_url: str, root: Path) -> dict[str, Any]:
    print(f"\n=== {size:,} records ===", flush=True)
    index_dir = root / "copy"
    env = _env(database_url, index_dir)
    os.environ.update({k: v for k, v in env.items() if k != "PARTNER_SYNC_CONNECTOR_FACTORY"})
    os.environ.pop("REDIS_URL", None)
    setup_django()
    import dj_database_url
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from search.indexer import index_rebuild

    settings.DATABASES["default"].update(dj_database_url.parse(database_url))
    settings.SEARCH_INDEX_DIR = index_dir
    connection.close()
    connection.settings_dict.update(dj_database_url.parse(database_url))
    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    index_rebuild(copy_dir=index_dir)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    print(
        f"Machine: {os.cpu_count()} cores, PostgreSQL {version}, "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )

    feed = root / "feed.jsonl"
    started = time.perf_counter()
    records = _write_feed(feed, size, seed)
    print(
        f"Feed: {size:,} records, {feed.stat().st_size / 1e6:.1f} MB "
        f"({time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, __file__, "--child", "serve", "--feed-file", str(feed)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        result: dict[str, Any] = {"size": size}
        # The search indexer runs beside the harvest, as on a production machine.
        indexer = subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "manage.py", "search_indexer", "--interval", "0.5"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            for label in ("first", "second"):
                result[label] = harvest = _child(env, url)
                if harvest["status"] != "succeeded":
                    sys.exit(f"The {label} harvest failed: {harvest['error']}")
                lag, last_change = _index_lag(index_dir, time.perf_counter())
                harvest["index_lag_s"] = lag
                # From the run's request until searchable: the sync, then what the indexer
                # still had to do once the harvesting process had ended.
                harvest["total_s"] = harvest["harvest_s"] + lag
                harvest["last_change"] = last_change
                _print_harvest(label, size, harvest)
        finally:
            indexer.terminate()
            indexer.wait(60)
        result["copy_rows_s"] = _copy_baseline(records)
        print(f"Baseline COPY into catalog_entry: {result['copy_rows_s']:,.0f} rows/s")
    finally:
        server.terminate()
        server.wait(10)
    return result


def _child(env: dict[str, str], url: str) -> dict[str, Any]:
    output = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, __file__, "--child", "harvest", "--feed-url", url],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _harvest(url: str) -> dict[str, Any]:
    """In the child: one run of the source (created at the first harvest), through the task."""
    from partners.models import PartnerSource, SyncRun
    from partners.services import sync_run_request

    source, _ = PartnerSource.objects.get_or_create(
        name="Benchmark feed",
        defaults={
            "connector": PartnerSource.Connector.EXCHANGE,
            "endpoint": url,
            "publish_directly": True,
        },
    )
    # Time spent in the cross-source de-duplication rule (once per page, for its new organizations).
    import partners.dedup

    dedup_s = [0.0]
    find_organization = partners.dedup.find_organization_ids

    def timed_find(*args: Any, **kwargs: Any) -> Any:
        begun = time.perf_counter()
        try:
            return find_organization(*args, **kwargs)
        finally:
            dedup_s[0] += time.perf_counter() - begun

    partners.dedup.find_organization_ids = timed_find  # type: ignore[assignment]
    # CPU time spent in Python's cyclic garbage collector.
    import gc

    gc_s = [0.0, 0.0]

    def gc_timer(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_s[1] = time.process_time()
        else:
            gc_s[0] += time.process_time() - gc_s[1]

    gc.callbacks.append(gc_timer)
    started = time.perf_counter()
    cpu = time.process_time()
    # Without a broker the task runs in this process, after the request's commit.
    run = sync_run_request(source=source, trigger=SyncRun.Trigger.MANUAL)
    harvested = time.perf_counter()
    run.refresh_from_db()
    if os.environ.get("SYNC_BENCH_QUERIES"):  # the statements' time, by kind, on stderr
        _print_queries()
    status = Path("/proc/self/status").read_text()
    hwm = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
    return {
        "status": run.status,
        "error": run.error,
        "counts": {
            name: getattr(run, name)
            for name in ("fetched", "created", "updated", "unchanged", "archived", "failed")
        },
        "pages": run.pages,
        "harvest_s": harvested - started,
        "cpu_s": time.process_time() - cpu,
        "dedup_s": dedup_s[0],
        "gc_s": gc_s[0],
        "vmhwm_mb": int(hwm) / 1024,
    }


def _print_queries() -> None:
    """Django's log of the statements run (DEBUG; not the `COPY`s), summed by their first 60
    characters, slowest first."""
    from collections import defaultdict

    from django.db import connection

    by_kind: dict[str, list[float]] = defaultdict(list)
    for query in connection.queries:
        by_kind[query["sql"][:60]].append(float(query["time"]))
    for kind, times in sorted(by_kind.items(), key=lambda item: -sum(item[1]))[:15]:
        print(f"{sum(times):7.2f} s {len(times):6} x {kind}", file=sys.stderr)


def _index_lag(index_dir: Path, harvest_ended: float) -> tuple[float, int]:
    """Wait until the concurrent indexer has applied the last logged change; seconds after
    `harvest_ended` (a perf_counter time), and the change id."""
    from search.models import EntryChange
    from search.store import IndexCopy

    last = EntryChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
    copy = IndexCopy(index_dir)
    while True:
        generation = copy.current_generation()
        state = copy.read_state(generation) if generation else None
        if state is not None and state.applied_id >= last:
            return time.perf_counter() - harvest_ended, last
        time.sleep(0.05)


def _print_harvest(label: str, size: int, result: dict[str, Any]) -> None:
    rate = size / result["total_s"]
    print(
        f"{label} harvest: {result['counts']} in {result['pages']} pages; sync "
        f"{result['harvest_s']:.1f} s ({result['cpu_s']:.1f} s CPU in the harvesting process, "
        f"{result['dedup_s']:.1f} s finding organizations, {result['gc_s']:.2f} s CPU collecting "
        "garbage), "
        f"searchable {result['index_lag_s']:.1f} s later (change log at "
        f"{result['last_change']:,}); {result['total_s']:.1f} s in all: "
        f"{rate:,.0f} records/s end to end (target {TARGETS[label]:,.0f}); sync alone "
        f"{size / result['harvest_s']:,.0f} records/s; peak memory (VmHWM) "
        f"{result['vmhwm_mb']:.0f} MB; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )


def _copy_baseline(records: list[dict[str, Any]]) -> float:
    """COPY rows with the records' values into catalog_entry, in a transaction rolled back."""
    import datetime

    from django.db import connection, transaction

    now = datetime.datetime.now(datetime.UTC).isoformat()
    columns = [
        "module", "kind", "title", "summary", "body", "language", "status", "external_id",
        "content_hash", "source_url", "contact_name", "contact_email", "venue", "is_online",
        "is_verified", "locally_edited_fields", "created_at", "updated_at", "published_at",
        "last_seen_at", "last_confirmed_on",
    ]  # fmt: skip

    def clean(text: str) -> str:
        return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")

    lines = [
        "\t".join(
            [
                "experience",
                "case-study",
                clean(r["titles"]["en"]),
                clean(r["summaries"]["en"]),
                clean(r["bodies"]["en"]),
                "en",
                "published",
                f"copy-{r['id']}",
                "0" * 64,
                r["url"],
                "",
                "",
                "",
                "f",
                "f",
                "[]",
                now,
                now,
                now,
                now,
                now[:10],
            ]  # fmt: skip
        )
        + "\n"
        for r in records
    ]
    data = "".join(lines).encode()
    started = time.perf_counter()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(  # type: ignore[attr-defined]
                    f"COPY catalog_entry ({', '.join(columns)}) FROM STDIN", io.BytesIO(data)
                )
                cursor.execute("SELECT 1")  # the COPY is done once this returns
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return len(records) / elapsed


class _Rollback(Exception):
    pass


def _write_feed(path: Path, size: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    organizations = [
        {"name": f"Partner organization {n}", "external_id": f"XM-ORG-{n}",
         "country_iso3": rng.choice(COUNTRIES), "type": "ngo"}
        for n in range(max(size // 50, 10))
    ]  # fmt: skip
    records = []
    with open(path, "w", encoding="utf-8") as feed:
        for n in range(size):

            def sentence(words: int) -> str:
                return " ".join(rng.choices(WORDS, k=words)).capitalize() + "."

            titles = {"en": f"{sentence(6)[:-1]} {n}"}
            summaries = {"en": sentence(20)}
            bodies = {"en": " ".join(sentence(12) for _ in range(4))}
            if n % 3 == 0:
                titles["fr"] = f"Projet {n} : " + sentence(5)
                summaries["fr"] = sentence(15)
            providers = [
                {**organizations[i], "role": role}
                for i, role in zip(
                    rng.sample(range(len(organizations)), rng.randint(1, 2)),
                    ["lead", "funder"],
                    strict=False,
                )
            ]
            record = {
                "id": f"XM-DAC-{seed}-{n}",
                "titles": titles,
                "summaries": summaries,
                "bodies": bodies,
                "countries": rng.sample(COUNTRIES, rng.randint(1, 3)),
                "themes": rng.sample(THEMES, rng.randint(0, 2)),
                "targets": rng.sample(TARGET_CODES, rng.randint(1, 2)),
                "providers": providers,
                "links": [[f"https://iati.example.org/documents/{n}.pdf", "Report"]],
                "url": f"https://iati.example.org/activity/XM-DAC-{seed}-{n}",
            }
            feed.write(json.dumps(record, ensure_ascii=False) + "\n")
            records.append(record)
    return records


def _print_summary(results: list[dict[str, Any]]) -> None:
    print("\n| | " + " | ".join(f"{r['size']:,}" for r in results) + " |")
    print("| --- |" + " ---: |" * len(results))
    rows = [
        ("first harvest, records/s end to end", lambda r: r["size"] / r["first"]["total_s"]),
        ("  sync alone, records/s", lambda r: r["size"] / r["first"]["harvest_s"]),
        ("  of which finding new organizations (s)", lambda r: r["first"]["dedup_s"]),
        ("  searchable after the sync (s)", lambda r: r["first"]["index_lag_s"]),
        ("  CPU of the harvesting process (s)", lambda r: r["first"]["cpu_s"]),
        ("second (unchanged) harvest, records/s", lambda r: r["size"] / r["second"]["total_s"]),
        ("  sync alone, records/s", lambda r: r["size"] / r["second"]["harvest_s"]),
        ("  CPU of the harvesting process (s)", lambda r: r["second"]["cpu_s"]),
        ("peak memory, first harvest (MB)", lambda r: r["first"]["vmhwm_mb"]),
        ("peak memory, second harvest (MB)", lambda r: r["second"]["vmhwm_mb"]),
        ("COPY into catalog_entry, rows/s", lambda r: r["copy_rows_s"]),
    ]
    for label, value in rows:
        print(f"| {label} | " + " | ".join(f"{value(r):,.1f}" for r in results) + " |")


if __name__ == "__main__":
    main()

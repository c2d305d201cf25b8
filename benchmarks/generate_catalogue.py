"""How fast `generate_catalogue` loads PostgreSQL, against Django's ORM on the same machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/generate_catalogue.py --entries 1000000 --needs 100000

Creates a fresh database (`--database`, default exchange_bench) on the server of DATABASE_URL,
migrates it and loads the reference data, then times two runs in this process:

- baseline: a small sample written with Django's `bulk_create` (the generator's SQLite path);
- COPY: the full size, written as `manage.py generate_catalogue` does on PostgreSQL.

Prints rows per table, rows/s of both, the speed-up and the absolute time; drops the database
at the end, also when a run fails. See benchmarks/README.md for measured figures.
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project's packages come before this folder (whose search.py would shadow `search`).
sys.path.insert(0, str(ROOT))

from benchmarks.scratch_database import recreate_database, server_from_env  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument(
        "--baseline-entries",
        type=int,
        default=5_000,
        help="Entries for the bulk_create baseline (needs: a tenth of it).",
    )
    parser.add_argument("--database", default="exchange_bench")
    args = parser.parse_args()

    server = server_from_env()
    recreate_database(server, args.database)
    try:
        _run(args, server.url_for(args.database))
    finally:
        recreate_database(server, args.database, drop_only=True)
        print(f"Dropped database {args.database}.")


def _run(args: argparse.Namespace, database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DEBUG", "1")  # no SECRET_KEY needed; queries run through COPY anyway
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from catalog.generator import catalogue_generate

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (server_version,) = cursor.fetchone()
    print(
        f"Machine: {os.cpu_count()} cores, {_memory_gib():.0f} GiB, Python "
        f"{platform.python_version()}, PostgreSQL {server_version}"
    )
    print(
        f"Database {args.database} migrated, reference data loaded: "
        f"{time.perf_counter() - started:.1f} s"
    )

    baseline_needs = max(1, args.baseline_entries // 10)
    print(
        f"\nBaseline: bulk_create, {args.baseline_entries:,} entries and {baseline_needs:,} needs"
    )
    baseline = catalogue_generate(
        entries=args.baseline_entries,
        needs=baseline_needs,
        seed=args.seed + 1_000_000,
        batch_size=min(args.batch_size, 2_000),
        use_copy=False,
    )
    baseline_rate = baseline.total_rows / baseline.seconds
    print(
        f"  {baseline.total_rows:,} rows in {baseline.seconds:.1f} s: {baseline_rate:,.0f} rows/s"
    )

    print(f"\nCOPY: {args.entries:,} entries and {args.needs:,} needs")
    report = catalogue_generate(
        entries=args.entries,
        needs=args.needs,
        seed=args.seed,
        batch_size=args.batch_size,
        use_copy=True,
        progress=lambda message: print(f"  {message}", flush=True),
    )
    rate = report.total_rows / report.seconds
    print("\nRows per table:")
    for table, rows in report.rows.items():
        print(f"  {table:40} {rows:>12,}")
    print(f"  {'total':40} {report.total_rows:>12,}")
    print("\nResults:")
    print(f"  COPY:        {report.seconds:8.1f} s  {rate:>10,.0f} rows/s")
    print(
        f"  bulk_create: {report.total_rows / baseline_rate:8.1f} s  {baseline_rate:>10,.0f} rows/s"
        "  (extrapolated from the baseline sample)"
    )
    print(f"  speed-up:    {rate / baseline_rate:8.1f}x")
    print(f"  entries/s:   {args.entries / report.seconds:10,.0f}")
    print(f"  total, with database setup: {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        (size,) = cursor.fetchone()
    print(f"  database size: {size}")
    connection.close()


def _memory_gib() -> float:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 0.0
    return pages / 2**30


if __name__ == "__main__":
    main()

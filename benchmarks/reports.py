"""How fast the report types build over a large portal: 1,000,000 entries, 100,000 needs and
200,000 matches by default.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/reports.py --entries 1000000

Creates a fresh database (`--database`, default exchange_reports_bench) on the server of
DATABASE_URL, migrates it, loads the reference data, generates the entries and needs with
`catalog.generator` (the generator of `manage.py generate_catalogue`), then adds in bulk, with
the generator makes no matches or sync runs:

- (one INSERT ... SELECT) `--matches` matches of the needs that were opened, on random
  entries, at every step of their life cycle with dates after the need's opening (55 %
  suggested, 10 % shortlisted, 7 % contacted, 6 % agreed, 5 % in implementation, 7 % completed
  with an outcome, 7 % declined with a reason, 3 % withdrawn), scores uniform in [0, 1);
- (with bulk_create) 20 partner sources with 250 sync runs each over three years, a tenth
  failed, and record errors;

then VACUUM ANALYZE (what autovacuum does to a live database) and, for each report type, builds
the report `--repeat` times (after one build to warm the caches) with the parameters of a
biennial report (the two years to the data's "today"); partner contribution for the organization
with the most entries. Prints for each type the median build time, the number of SQL statements
and, as the baseline, the time of the single slowest SQL statement of the build run again alone
(in the build's session settings). When the renderers exist (reports/rendering), also times each
format. Drops the database at the end, also when a run fails, unless `--keep`; `--reuse` times
the reports again on a kept database, `--types` only some, `--profile N` profiles them. See
benchmarks/README.md ("Reports") for measured figures.
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
TARGET_S = 10.0

MATCHES_SQL = """
WITH opened AS (
    SELECT id, opened_at, row_number() OVER (ORDER BY id) AS n
    FROM matching_need WHERE opened_at IS NOT NULL
), entry_range AS (
    SELECT min(id) AS low, max(id) - min(id) + 1 AS span FROM catalog_entry
), drawn AS (
    SELECT o.id AS need_id,
           r.low + floor(random() * r.span)::bigint AS entry_id,
           random() AS step, random() AS score,
           o.opened_at + random() * interval '30 days' AS created_at
    FROM opened o CROSS JOIN generate_series(1, %(per_need)s) g(k) CROSS JOIN entry_range r
    LIMIT %(matches)s
), timed AS (
    SELECT d.*,
        CASE WHEN step < 0.55 THEN 'suggested' WHEN step < 0.65 THEN 'shortlisted'
             WHEN step < 0.72 THEN 'contacted' WHEN step < 0.78 THEN 'agreed'
             WHEN step < 0.83 THEN 'in-implementation' WHEN step < 0.90 THEN 'completed'
             WHEN step < 0.97 THEN 'declined' ELSE 'withdrawn' END AS status
    FROM drawn d
)
INSERT INTO matching_match (
    need_id, entry_id, status, score, breakdown, ranked_at, created_at, updated_at, version,
    shortlisted_at, contacted_at, agreed_at, implementation_started_at, completed_at,
    declined_at, withdrawn_at, decline_reason, decline_comment, withdraw_comment,
    results, beneficiaries, lessons_learned
)
SELECT need_id, entry_id, status, score, '{}'::jsonb, created_at, created_at, created_at, 1,
    CASE WHEN status IN ('shortlisted', 'contacted', 'agreed', 'in-implementation',
        'completed', 'withdrawn') THEN created_at + interval '5 days' END,
    CASE WHEN status IN ('contacted', 'agreed', 'in-implementation', 'completed',
        'withdrawn') THEN created_at + interval '12 days' END,
    CASE WHEN status IN ('agreed', 'in-implementation', 'completed', 'withdrawn')
        THEN created_at + interval '30 days' * (1 + step) END,
    CASE WHEN status IN ('in-implementation', 'completed')
        THEN created_at + interval '45 days' * (1 + step) END,
    CASE WHEN status = 'completed' THEN created_at + interval '200 days' * (1 + step) END,
    CASE WHEN status = 'declined' THEN created_at + interval '9 days' END,
    CASE WHEN status = 'withdrawn' THEN created_at + interval '90 days' END,
    CASE WHEN status = 'declined' THEN (ARRAY['not-relevant', 'not-available',
        'not-affordable', 'already-met', 'other'])[1 + floor(score * 5)::int] ELSE '' END,
    '', '',
    CASE WHEN status = 'completed' THEN 'Staff trained and the system in use.' ELSE '' END,
    CASE WHEN status = 'completed' THEN '120 officials' ELSE '' END,
    CASE WHEN status = 'completed' THEN 'Plan the hand-over early.' ELSE '' END
FROM timed
WHERE entry_id IN (SELECT id FROM catalog_entry)
ON CONFLICT (need_id, entry_id) DO NOTHING
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--needs", type=int, default=None, help="Default: entries / 10.")
    parser.add_argument("--matches", type=int, default=None, help="Default: entries / 5.")
    parser.add_argument("--repeat", type=int, default=3, help="Timed builds per report type.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="exchange_reports_bench")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Time the reports on the database kept by an earlier run (--keep): no generation.",
    )
    parser.add_argument(
        "--types", nargs="*", default=None, help="Report type slugs (default: all of them)."
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="Print the N functions with the most cumulative time of each build and format.",
    )
    args = parser.parse_args()
    args.needs = args.needs if args.needs is not None else args.entries // 10
    args.matches = args.matches if args.matches is not None else args.entries // 5

    server = server_from_env()
    if args.reuse:
        results = _run(args, server.url_for(args.database))
        _print_summary(args, results)
        return
    with scratch_run(server, args.database, prefix="reports-bench-", keep=args.keep) as (
        database_url,
        _index_root,
    ):
        results = _run(args, database_url)
    _print_summary(args, results)


def _run(args: argparse.Namespace, database_url: str) -> list[dict[str, Any]]:
    os.environ["DATABASE_URL"] = database_url
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from catalog.generator import catalogue_generate

    settings.DATABASES["default"].update(dj_database_url.parse(database_url))
    connection.close()
    connection.settings_dict.update(dj_database_url.parse(database_url))

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (server_version,) = cursor.fetchone()
    print(
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL "
        f"{server_version}, load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if args.reuse:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return [_time_type(slug, args) for slug in _slugs(args.types)]
    call_command("load_reference", verbosity=0)
    _column_defaults()
    report = catalogue_generate(
        entries=args.entries,
        needs=args.needs,
        seed=args.seed,
        today=TODAY,
        progress=lambda message: print(f"  generate: {message}", flush=True),
    )
    print(
        f"Generated {args.entries:,} entries and {args.needs:,} needs: {report.seconds:.1f} s",
        flush=True,
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [1 / (1 + args.seed)])
        cursor.execute("SELECT count(*) FROM matching_need WHERE opened_at IS NOT NULL")
        (opened,) = cursor.fetchone()
        per_need = max(1, -(-int(args.matches * 1.02) // max(1, opened)))
        cursor.execute(MATCHES_SQL, {"per_need": per_need, "matches": int(args.matches * 1.02)})
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE score >= 0.6) FROM matching_match")
        matches, strong = cursor.fetchone()
    runs = _sync_runs(random.Random(args.seed))
    print(
        f"Inserted {matches:,} matches ({strong:,} strong) on {opened:,} opened needs and "
        f"{runs:,} sync runs: {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s", flush=True)
    return [_time_type(slug, args) for slug in _slugs(args.types)]


def _sync_runs(rng: random.Random) -> int:
    """20 partner sources with 250 runs each, one every four days, a tenth failed, and the
    records they failed on (bulk_create: the partner models' defaults apply)."""
    from partners.models import PartnerSource, SyncRecordError, SyncRun

    sources = PartnerSource.objects.bulk_create(
        PartnerSource(name=f"Bench source {n}", connector=PartnerSource.Connector.IATI)
        for n in range(1, 21)
    )
    today = datetime.datetime.combine(TODAY, datetime.time(3), tzinfo=datetime.UTC)
    runs = SyncRun.objects.bulk_create(
        SyncRun(
            source=source,
            status=SyncRun.Status.FAILED if rng.random() < 0.1 else SyncRun.Status.SUCCEEDED,
            trigger=SyncRun.Trigger.SCHEDULE,
            started_at=today - datetime.timedelta(days=4 * n),
            finished_at=today - datetime.timedelta(days=4 * n, minutes=-3),
            fetched=1000,
            created=rng.randrange(50),
            updated=rng.randrange(200),
            unchanged=700,
            archived=rng.randrange(5),
            failed=rng.randrange(4),
        )
        for source in sources
        for n in range(1, 251)
    )
    # `created_at` is set on insert: the runs are spread over the three years afterwards.
    for run in runs:
        run.created_at = run.started_at or today
    SyncRun.objects.bulk_update(runs, ["created_at"], batch_size=1000)
    SyncRecordError.objects.bulk_create(
        SyncRecordError(run=run, external_id=f"x{k}", message="Missing title.")
        for run in runs
        for k in range(run.failed)
    )
    return len(runs)


def _column_defaults() -> None:
    """Give the columns of the generated tables their model's default in the database, so that
    a column added to a model after the generator was written does not stop the COPY (the
    generator writes only the columns it knows)."""
    import json

    from django.db import connection, models

    from catalog.models import Entry, Organization
    from matching.models import Need

    with connection.cursor() as cursor:
        for model in (Entry, Organization, Need):
            for field in model._meta.concrete_fields:
                if field.null or field.primary_key or not field.has_default():
                    if not (isinstance(field, models.CharField | models.TextField) and field.blank):
                        continue
                default = field.get_default()
                value: Any
                if isinstance(field, models.JSONField):
                    value, cast = json.dumps(default), "::jsonb"
                elif isinstance(default, str | bool | int | float):
                    value, cast = default, ""
                else:
                    continue
                cursor.execute(
                    f'ALTER TABLE "{model._meta.db_table}" ALTER COLUMN "{field.column}" '
                    f"SET DEFAULT %s{cast}",
                    [value],
                )


def _slugs(wanted: list[str] | None = None) -> list[str]:
    from reports.types import REPORT_TYPES

    return [slug for slug in REPORT_TYPES if not wanted or slug in wanted]


def _parameters(slug: str) -> Any:
    from django.db.models import Count

    from catalog.models import Organization
    from reports.report import Parameters

    start = TODAY.replace(year=TODAY.year - 2) + datetime.timedelta(days=1)
    if slug == "partner-contribution":
        busiest = (
            Organization.objects.annotate(n=Count("provider_links"))
            .order_by("-n")
            .values_list("pk", flat=True)
            .first()
        )
        return Parameters(period_start=start, period_end=TODAY, organization_id=busiest)
    return Parameters(period_start=start, period_end=TODAY)


def _time_type(slug: str, args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.types import report_type

    build = report_type(slug).build
    parameters = _parameters(slug)
    build(parameters)  # warm up: plans, caches, the reference rows
    times = []
    for _ in range(args.repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            report = build(parameters)
            times.append(time.perf_counter() - started)
    slowest = max(queries.captured_queries, key=lambda query: float(query["time"]))
    # Alone, but with the session settings the build runs its statements with.
    from reports.scoping import report_session

    with report_session(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(slowest["sql"])
        cursor.fetchall()
        baseline = time.perf_counter() - started
    rows = sum(len(table.rows) for table in report.tables)
    sql = " ".join(slowest["sql"].split())[:160]
    print(
        f"{slug}: build median {statistics.median(times):.2f} s (max {max(times):.2f} s), "
        f"{len(queries.captured_queries)} queries, {rows:,} table rows; slowest statement "
        f"alone {baseline:.2f} s: {sql}; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if args.profile:
        for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:5]:
            print(f"    {float(query['time']):.3f} s: {' '.join(query['sql'].split())[:300]}")
        _profiled(f"{slug} build", lambda: build(parameters), args.profile)
    # The renderers may be slow on long tables: the build's figures are printed first.
    formats = _time_formats(report, profile=args.profile)
    if formats:
        print(
            f"{slug}: formats "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in formats.items()),
            flush=True,
        )
    result = {
        "slug": slug,
        "build_s": statistics.median(times),
        "queries": len(queries.captured_queries),
        "baseline_s": baseline,
        "rows": rows,
        "formats": formats,
    }
    for figure in report.figures:
        print(f"    {figure.label}: {figure.value}", flush=True)
    return result


def _profiled(title: str, call: Any, top: int) -> None:
    """Run `call` under cProfile and print its `top` functions by cumulative time."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(call)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print(f"--- profile: {title}\n{out.getvalue()}", flush=True)


def _time_formats(report: Any, *, profile: int = 0) -> dict[str, float]:
    """Seconds per format, when the renderers exist (reports/rendering, built beside the
    report types): the HTML fragment with its charts, the CSV zip, the XLSX and the PDF."""
    import importlib

    renderers = (
        ("html", "reports.rendering.html", "report_fragment"),
        ("csv", "reports.rendering.csv", "report_zip"),
        ("xlsx", "reports.rendering.xlsx", "report_xlsx"),
        ("pdf", "reports.rendering.pdf", "report_pdf"),
    )
    timed = {}
    for name, module_name, function_name in renderers:
        try:
            render = getattr(importlib.import_module(module_name), function_name)
        except (ImportError, AttributeError):
            continue
        started = time.perf_counter()
        render(report, version="benchmark")
        timed[name] = time.perf_counter() - started
        if profile:
            _profiled(
                f"{report.type_slug} {name}",
                lambda render=render: render(report, version="benchmark"),
                profile,
            )
    return timed


def _print_summary(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    print(
        f"\n{args.entries:,} entries, {args.needs:,} needs, about {args.matches:,} matches "
        f"(median of {args.repeat} builds)"
    )
    print(
        f"{'report type':<24} {'build (s)':>10} {'queries':>8} {'slowest SQL (s)':>16} "
        f"{'formats (s)':>12} {'total (s)':>10}  target"
    )
    for r in results:
        formats = sum(r["formats"].values())
        total = r["build_s"] + formats
        mark = "ok" if total <= TARGET_S else f"MISSED ({total:.1f} s)"
        print(
            f"{r['slug']:<24} {r['build_s']:>10.2f} {r['queries']:>8} {r['baseline_s']:>16.2f} "
            f"{formats:>12.2f} {total:>10.2f}  {mark}"
        )


if __name__ == "__main__":
    main()

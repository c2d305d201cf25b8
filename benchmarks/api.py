"""How fast the REST API answers under load, against a minimal WSGI app doing the same list query.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python benchmarks/api.py --sizes 1000000

Needs `wrk` (Debian: `apt-get install -y wrk`). For each size N: creates a fresh database
(`--database`, default exchange_api_bench) on the server of DATABASE_URL, migrates it, loads the
reference data, generates N entries and N/10 needs (`catalog.generator`), builds the search
index and ranks the suggestions of `--ranked-needs` open needs (`need_suggestions_refresh`, what
`manage.py matching_refresh` does for each need). Then it starts, one after the other,

- the portal under gunicorn (`exchange.wsgi`, DEBUG off, production settings but for the TLS
  redirect, throttling rates raised out of the way, the cache in Redis when REDIS_URL is set);
- the baseline: `raw_app` below under gunicorn with the same settings, a WSGI function that
  runs the list query with psycopg2 and answers with `json.dumps`, with nothing else,

each with `--workers` sync workers (default 2: the machine has 2 cores; the work is CPU-bound
in Python and the database is local, so more processes than cores only add switching), and
loads each endpoint with wrk from a second process: `--threads` 2, `--connections` 8,
`--duration` seconds after a short warm-up, cycling through many ids or queries (a Lua
`request` function) so that no single row stays hot. It prints p50/p95/p99 latency (wrk's
histogram, through a Lua `done` function) and requests per second of each, and the lists'
throughput as a share of the baseline's. Endpoints:

    list 100, filtered    /api/v1/entries/?module=technology&page_size=100
    list 100              /api/v1/entries/?page_size=100
    list 100, CSV         /api/v1/entries/?module=technology&page_size=100&format=csv
    detail                /api/v1/entries/{id}/                 (1,000 published ids)
    search with facets    /api/v1/entries/?q=…&facets=module,theme,region,cooperation
    need's matches        /api/v1/needs/{id}/matches/           (staff session)
    raw baseline          the first two lists, from raw_app

Targets (issue 6): list of 100 p95 <= 60 ms and >= 40% of the baseline's requests per second.
Before the load, every endpoint is checked once (status 200; the lists return the same ids as
the baseline) and the number of SQL queries of each is counted in-process. Drops the database
and the index at the end, also when a run fails, unless `--keep`; `--reuse FOLDER` then measures
again on that database and index folder without generating them. Figures: benchmarks/README.md,
"REST API".
"""

# ruff: noqa: S608 - the SQL names tables from the models; values are always parameters

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
# The project's packages come before this folder (whose search.py would shadow `search`).
sys.path.insert(0, str(ROOT))

TODAY = datetime.date(2026, 11, 26)
TARGETS = {"p95_ms": 60.0, "share_of_baseline": 0.40}
PAGE = 100
LIST_FILTERED = f"/api/v1/entries/?module=technology&page_size={PAGE}"
SEARCH_FACETS = "module,theme,region,cooperation"
DETAIL_IDS = 1000
SEARCH_QUERIES = 200
WARM_UP_SECONDS = 3
SECRET_KEY = "benchmark-only-secret-key-not-for-production-use-0123456789"  # noqa: S105


# --- The baseline: a WSGI app with psycopg2 and json.dumps ------------------------------------

# The first page of the API's plain list: published entries, oldest change first, with every
# column the API shows; the related codes come as arrays in the same row (contacts are null for
# anonymous clients, as in the API). psycopg2 turns the arrays into lists. The countries are
# looked up as the API looks them up (catalog/api/rows.py, _COUNTRY_OF_ROW).
RAW_LIST_SQL = """
SELECT e.id, e.module, e.kind, e.status, e.title, e.summary, e.body, e.language,
  ARRAY(SELECT c.iso3 FROM catalog_entry_countries_of_origin x CROSS JOIN LATERAL
      (SELECT iso3, name_en, id FROM catalog_country WHERE id = x.country_id OFFSET 0) c
      WHERE x.entry_id = e.id ORDER BY c.name_en, c.id),
  ARRAY(SELECT c.iso3 FROM catalog_entry_countries_applied x CROSS JOIN LATERAL
      (SELECT iso3, name_en, id FROM catalog_country WHERE id = x.country_id OFFSET 0) c
      WHERE x.entry_id = e.id ORDER BY c.name_en, c.id),
  ARRAY(SELECT t.code FROM catalog_entry_themes x
      JOIN catalog_theme t ON t.id = x.theme_id WHERE x.entry_id = e.id
      ORDER BY t.position, t.name),
  ARRAY(SELECT g.number FROM catalog_entry_sdg_goals x
      JOIN catalog_sdggoal g ON g.id = x.sdggoal_id WHERE x.entry_id = e.id ORDER BY g.number),
  ARRAY(SELECT t.code FROM catalog_entry_sdg_targets x
      JOIN catalog_sdgtarget t ON t.id = x.sdgtarget_id
      JOIN catalog_sdggoal g ON g.id = t.goal_id WHERE x.entry_id = e.id
      ORDER BY g.number, t.position),
  ARRAY(SELECT k.code FROM catalog_entry_support_kinds x
      JOIN catalog_supportkind k ON k.id = x.supportkind_id WHERE x.entry_id = e.id
      ORDER BY k.code),
  ARRAY(SELECT ARRAY[p.organization_id::text, o.name, p.role] FROM catalog_entryprovider p
      JOIN catalog_organization o ON o.id = p.organization_id WHERE p.entry_id = e.id
      ORDER BY p.role, o.name, p.id),
  ARRAY(SELECT x.organization_id FROM catalog_entry_member_organizations x
      JOIN catalog_organization o ON o.id = x.organization_id WHERE x.entry_id = e.id
      ORDER BY o.name, o.id),
  ARRAY(SELECT ARRAY[l.url, l.label] FROM catalog_entrylink l WHERE l.entry_id = e.id
      ORDER BY l.id),
  e.starts_on, e.ends_on, e.deadline, e.venue,
  (SELECT c.iso3 FROM catalog_country c WHERE c.id = e.venue_country_id),
  e.is_online, e.is_verified, e.published_at, e.last_confirmed_on, e.created_at, e.updated_at
FROM catalog_entry e
WHERE e.status = 'published' AND (%(module)s::text IS NULL OR e.module = %(module)s)
ORDER BY e.updated_at, e.id
LIMIT %(limit)s
"""
_raw_connection: Any = None


def _iso(value: Any) -> Any:
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text  # as DRF writes UTC


def _raw_row(row: tuple[Any, ...], host: str) -> dict[str, Any]:
    (id_, module, kind, status, title, summary, body, language, origin, applied, themes) = row[:11]
    (goals, targets, kinds, providers, members, links, starts_on, ends_on, deadline) = row[11:20]
    (venue, venue_country, is_online, is_verified, published_at, confirmed_on) = row[20:26]
    (created_at, updated_at) = row[26:]
    return {
        "id": id_,
        "url": f"http://{host}/{module}/{id_}/",
        "module": module,
        "kind": kind,
        "status": status,
        "title": title,
        "summary": summary,
        "body": body,
        "language": language,
        "countries_of_origin": origin,
        "countries_applied": applied,
        "themes": themes,
        "sdg_goals": goals,
        "sdg_targets": targets,
        "support_kinds": kinds,
        "providers": [
            {"organization": int(organization), "name": name, "role": role}
            for organization, name, role in providers
        ],
        "member_organizations": members,
        "links": [{"url": url, "label": label} for url, label in links],
        "contact_name": None,
        "contact_email": None,
        "starts_on": _iso(starts_on),
        "ends_on": _iso(ends_on),
        "deadline": _iso(deadline),
        "venue": venue,
        "venue_country": venue_country,
        "is_online": is_online,
        "is_verified": is_verified,
        "published_at": _iso(published_at),
        "last_confirmed_on": _iso(confirmed_on),
        "created_at": _iso(created_at),
        "updated_at": _iso(updated_at),
    }


def raw_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The baseline (run by gunicorn as `benchmarks.api:raw_app`): one connection per worker,
    kept, as Django keeps its own (DATABASE_CONN_MAX_AGE)."""
    global _raw_connection
    import psycopg2

    if _raw_connection is None or _raw_connection.closed:
        _raw_connection = psycopg2.connect(os.environ["DATABASE_URL"])
        _raw_connection.autocommit = True
    query = parse_qs(environ.get("QUERY_STRING", ""))
    module = query.get("module", [None])[0]
    limit = int(query.get("page_size", [str(PAGE)])[0])
    with _raw_connection.cursor() as cursor:
        cursor.execute(RAW_LIST_SQL, {"module": module, "limit": limit})
        host = environ.get("HTTP_HOST", "127.0.0.1")
        rows = [_raw_row(row, host) for row in cursor.fetchall()]
    body = json.dumps({"next": None, "previous": None, "results": rows}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


# --- The run -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000000", help="Comma-separated entry counts, one fresh database each."
    )
    parser.add_argument("--needs-per-entry", type=float, default=0.1)
    parser.add_argument("--ranked-needs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers.")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections.")
    parser.add_argument("--duration", type=int, default=20, help="Seconds per endpoint.")
    parser.add_argument("--database", default="exchange_api_bench")
    parser.add_argument(
        "--keep", action="store_true", help="Keep the database and the index afterwards."
    )
    parser.add_argument(
        "--reuse",
        metavar="INDEX_FOLDER",
        help="Measure again on the database `--database` and the index folder that a run with "
        "--keep left (its path is printed), without generating them; one size.",
    )
    parser.add_argument(
        "--index-trial",
        action="store_true",
        help="Measure the unfiltered list again after CREATE INDEX on (updated_at, id) (from "
        "before catalog migration 0009 made the index entry_updated_id).",
    )
    parser.add_argument(
        "--explain", action="store_true", help="Print EXPLAIN ANALYZE of the list queries."
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("This benchmark needs wrk: apt-get install -y wrk (Debian/Ubuntu).")

    from benchmarks.scratch_database import scratch_run, server_from_env

    server = server_from_env()
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    results = []
    if args.reuse:
        index_root = Path(args.reuse)
        results.append(_run_size(args, sizes[0], server.url_for(args.database), index_root))
    for size in [] if args.reuse else sizes:
        with scratch_run(server, args.database, prefix="api-bench-", keep=args.keep) as (
            database_url,
            index_root,
        ):
            print(f"Database {args.database}, index folder {index_root}", flush=True)
            results.append(_run_size(args, size, database_url, index_root))
    for result in results:
        _print_table(result)


def _run_size(
    args: argparse.Namespace, size: int, database_url: str, index_root: Path
) -> dict[str, Any]:
    import dj_database_url

    from benchmarks.scratch_database import setup_django

    index_dir = index_root / "copy"
    os.environ["DATABASE_URL"] = database_url
    # The staff session made here must be valid in the servers: the same key signs it.
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ["SEARCH_INDEX_DIR"] = str(index_dir)
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from catalog.generator import catalogue_generate
    from search.indexer import index_rebuild

    settings.DATABASES["default"].update(dj_database_url.parse(database_url))
    settings.SEARCH_INDEX_DIR = index_dir
    settings.CELERY_TASK_ALWAYS_EAGER = True
    connection.close()
    connection.settings_dict.update(dj_database_url.parse(database_url))

    print(f"\n=== {size:,} entries ===", flush=True)
    started = time.perf_counter()
    if not args.reuse:
        call_command("migrate", verbosity=0)
        call_command("load_reference", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (server_version,) = cursor.fetchone()
    machine = (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL "
        f"{server_version}, gunicorn {_gunicorn_version()}, {_wrk_version()}"
    )
    print(f"Machine: {machine}", flush=True)
    if not args.reuse:
        _default_new_columns()
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
            cursor.execute("VACUUM ANALYZE")
        build_started = time.perf_counter()
        index_rebuild(copy_dir=index_dir)
        print(f"Index built: {time.perf_counter() - build_started:.1f} s", flush=True)
    need_ids = _rank_needs(args)
    cookie = _staff_session_cookie()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    endpoints = _endpoints(args, need_ids)
    queries = _query_counts(endpoints, cookie)
    if args.explain:
        _explain()

    from django.test import Client

    ours_first_page = Client(HTTP_HOST="127.0.0.1").get(LIST_FILTERED).json()
    connection.close()

    env = _server_env(database_url, index_dir)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="api-bench-wrk-") as scripts:
        # The baseline first: it must serve the page the API serves, or the run stops here.
        with _gunicorn(args, "benchmarks.api:raw_app", env) as base:
            raw = _fetch_json(f"{base}/?module=technology&page_size={PAGE}")
            _compare_rows(ours_first_page["results"], raw["results"])
            for name, path in (
                ("raw baseline, filtered", f"/?module=technology&page_size={PAGE}"),
                ("raw baseline", f"/?page_size={PAGE}"),
            ):
                baseline: dict[str, Any] = {"name": name, "paths": [path]}
                rows.append({**baseline, **_wrk(args, base, baseline, None, Path(scripts))})
        with _gunicorn(args, "exchange.wsgi:application", env) as base:
            for endpoint in endpoints:
                _check(base, endpoint, cookie)
                rows.append(
                    {**endpoint, **_wrk(args, base, endpoint, cookie, Path(scripts))}
                    | {"queries": queries.get(endpoint["name"])}
                )
        if args.index_trial:
            rows += _index_trial(args, env, endpoints[1], Path(scripts))
    return {
        "size": size,
        "machine": machine,
        "rows": rows,
        "total_s": time.perf_counter() - started,
        "workers": args.workers,
        "connections": args.connections,
        "threads": args.threads,
        "duration": args.duration,
    }


# The index the unfiltered list lacks: its order (oldest change first, for mirroring) has none.
TRIAL_INDEX = "CREATE INDEX api_bench_entry_updated_id ON catalog_entry (updated_at, id)"


def _index_trial(
    args: argparse.Namespace, env: dict[str, str], unfiltered: dict[str, Any], scripts: Path
) -> list[dict[str, Any]]:
    """The unfiltered list and its baseline again, with an index on (updated_at, id)."""
    import psycopg2

    started = time.perf_counter()
    with psycopg2.connect(env["DATABASE_URL"]) as database, database.cursor() as cursor:
        cursor.execute(TRIAL_INDEX)
        cursor.execute("ANALYZE catalog_entry")
    print(f"Trial: {TRIAL_INDEX}: {time.perf_counter() - started:.1f} s", flush=True)
    rows = []
    with _gunicorn(args, "benchmarks.api:raw_app", env) as base:
        baseline = {"name": "raw baseline + index", "paths": [f"/?page_size={PAGE}"]}
        rows.append({**baseline, **_wrk(args, base, baseline, None, scripts)})
    with _gunicorn(args, "exchange.wsgi:application", env) as base:
        endpoint = {**unfiltered, "name": "list 100 + index", "baseline": baseline["name"]}
        rows.append({**endpoint, **_wrk(args, base, endpoint, None, scripts)})
    return rows


def _default_new_columns() -> None:
    """Database defaults for NOT NULL text and JSON columns of the generated tables that have
    none: the generator COPYs the columns it knows, and a column added to a model since then
    would stop it. Prints what it set; sets nothing once the generator writes them all."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND is_nullable = 'NO'
              AND column_default IS NULL AND table_name LIKE ANY (%s)
              AND data_type IN ('character varying', 'text', 'jsonb')
            """,
            [["catalog_entry", "catalog_organization", "matching_need"]],
        )
        for table, column, data_type in cursor.fetchall():
            default = "'[]'::jsonb" if data_type == "jsonb" else "''"
            cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET DEFAULT {default}')
            print(f"  (default {default} for {table}.{column}, which the generator may not write)")


def _rank_needs(args: argparse.Namespace) -> list[int]:
    """Suggestions for a sample of open needs, as `matching_refresh` ranks them."""
    from matching.models import Need
    from matching.services import need_suggestions_refresh

    open_ids = list(Need.objects.open().order_by("pk").values_list("pk", flat=True))
    chosen = random.Random(args.seed).sample(open_ids, min(len(open_ids), args.ranked_needs))
    started = time.perf_counter()
    for need in Need.objects.filter(pk__in=chosen):
        need_suggestions_refresh(need=need)
    print(
        f"Ranked the suggestions of {len(chosen)} needs: {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return chosen


def _staff_session_cookie() -> str:
    """A signed-in programme staff member's session (staff see every match of a need)."""
    from django.test import Client

    from accounts.models import User

    user = User.objects.filter(email="benchmark-staff@example.org").first()  # --reuse
    if user is None:
        user = User.objects.create_user(
            email="benchmark-staff@example.org",
            password="benchmark-only-password",  # noqa: S106
            is_staff=True,
        )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def _endpoints(args: argparse.Namespace, need_ids: list[int]) -> list[dict[str, Any]]:
    from catalog.models import Entry
    from search.engine import FACETS

    rng = random.Random(args.seed)
    published = list(Entry.objects.published().order_by("pk").values_list("pk", flat=True))
    ids = rng.sample(published, min(DETAIL_IDS, len(published)))
    assert set(SEARCH_FACETS.split(",")) <= set(FACETS)
    from benchmarks.search import _query_mix

    searches = []
    for query in _query_mix(seed=args.seed)[:SEARCH_QUERIES]:
        params = {"q": query["text"], "facets": SEARCH_FACETS, "page_size": "20"}
        params.update({k: v[0] for k, v in query["filters"].items()})
        searches.append("/api/v1/entries/?" + urllib.parse.urlencode(params))
    return [
        {
            "name": "list 100, filtered",
            "paths": [LIST_FILTERED],
            "baseline": "raw baseline, filtered",
        },
        {
            "name": "list 100",
            "paths": [f"/api/v1/entries/?page_size={PAGE}"],
            "baseline": "raw baseline",
        },
        {
            "name": "list 100, CSV",
            "paths": [f"/api/v1/entries/?module=technology&page_size={PAGE}&format=csv"],
            "baseline": "raw baseline, filtered",
        },
        {"name": "detail", "paths": [f"/api/v1/entries/{pk}/" for pk in ids]},
        {"name": "search with facets", "paths": searches},
        {
            "name": "need's matches",
            "paths": [f"/api/v1/needs/{pk}/matches/" for pk in need_ids],
            "session": True,
        },
    ]


def _query_counts(endpoints: list[dict[str, Any]], cookie: str) -> dict[str, int]:
    """SQL queries per request of each endpoint (its first path), in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for endpoint in endpoints:
        client = Client(HTTP_HOST="127.0.0.1")
        if endpoint.get("session"):
            client.cookies.load(cookie)
        path = endpoint["paths"][0]
        client.get(path)  # warms what a worker keeps between requests
        with CaptureQueriesContext(connection) as captured:
            status = client.get(path).status_code
        assert status == 200, (path, status)
        counts[endpoint["name"]] = len(captured)
    print("SQL queries per request: " + json.dumps(counts), flush=True)
    return counts


def _explain() -> None:
    """EXPLAIN ANALYZE of the queries of both lists, as Django runs them."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        Client(HTTP_HOST="127.0.0.1").get(LIST_FILTERED)
        Client(HTTP_HOST="127.0.0.1").get(f"/api/v1/entries/?page_size={PAGE}")
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n    ".join(row[0] for row in cursor.fetchall())
            print(f"\n  {sql[:300]}…\n    {plan}", flush=True)


def _server_env(database_url: str, index_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SEARCH_", "DEBUG"))
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SEARCH_INDEX_DIR": str(index_dir),
            "SEARCH_CATCH_UP_ON_COMMIT": "0",
            # Rates of a second: DRF keeps a list of the request times of the period.
            "API_ANON_THROTTLE_RATE": "100000/second",
            "API_USER_THROTTLE_RATE": "100000/second",
            "API_KEY_THROTTLE_RATE": "100000/second",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


class _gunicorn:  # noqa: N801 - used as a context manager, like a function
    def __init__(self, args: argparse.Namespace, app: str, env: dict[str, str]) -> None:
        self.args, self.app, self.env = args, app, env

    def __enter__(self) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(  # noqa: S603 - our gunicorn, our arguments
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "--workers",
                str(self.args.workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{port}",
                "--chdir",
                str(ROOT),
                "--log-level",
                "warning",
                "--timeout",
                "60",
                self.app,
            ],
            env=self.env,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/v1/themes/", timeout=5):  # noqa: S310
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {self.app} did not start") from None
                time.sleep(0.2)
        print(f"gunicorn {self.app}: {self.args.workers} sync workers on {base}", flush=True)
        return base

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _fetch_json(url: str, cookie: str | None = None) -> Any:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def _check(base: str, endpoint: dict[str, Any], cookie: str) -> None:
    path = endpoint["paths"][0]
    request = urllib.request.Request(  # noqa: S310
        base + path, headers={"Cookie": cookie} if endpoint.get("session") else {}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = response.read()
        if response.status != 200:
            sys.exit(f"{path}: {response.status}")
    if "page_size=100" in path and "format=csv" not in path:
        count = len(json.loads(body)["results"])
        if count != PAGE:
            sys.exit(f"{path}: {count} results, not {PAGE}")


def _compare_rows(ours: list[dict[str, Any]], raw: list[dict[str, Any]]) -> None:
    """The baseline shows the same entries, fields and values (the URLs aside: the
    servers' hosts differ)."""
    ours_ids, raw_ids = [e["id"] for e in ours], [e["id"] for e in raw]
    if ours_ids != raw_ids or len(ours_ids) != PAGE:
        sys.exit(f"The baseline serves another page: {raw_ids[:5]}… vs {ours_ids[:5]}…")
    for mine, theirs in zip(ours, raw, strict=True):
        keys = set(mine) - {"url"}
        different = {k for k in keys if mine[k] != theirs.get(k)}
        if different or set(mine) != set(theirs):
            sys.exit(
                f"The baseline differs for entry {mine['id']}: {sorted(different)} "
                f"{sorted(set(mine) ^ set(theirs))}"
            )


_LUA = """
local paths = %(paths)s
local cookie = %(cookie)s
local counter = 0
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end
function init(args)
  position = offset * 7919
  if cookie ~= "" then wrk.headers["Cookie"] = cookie end
end
function request()
  position = position + 1
  return wrk.format("GET", paths[(position %% #paths) + 1])
end
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "WRK_RESULT {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"status_errors\\": %%d, " ..
    "\\"socket_errors\\": %%d, \\"p50_us\\": %%d, \\"p95_us\\": %%d, \\"p99_us\\": %%d, " ..
    "\\"max_us\\": %%d}\\n",
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII is a valid Lua string literal


def _wrk(
    args: argparse.Namespace,
    base: str,
    endpoint: dict[str, Any],
    cookie: str | None,
    scripts: Path,
) -> dict[str, Any]:
    script = scripts / ("".join(c if c.isalnum() else "-" for c in endpoint["name"]) + ".lua")
    paths = "{" + ", ".join(_lua_string(p) for p in endpoint["paths"]) + "}"
    session = cookie if endpoint.get("session") and cookie else ""
    script.write_text(_LUA % {"paths": paths, "cookie": _lua_string(session)})

    def run(seconds: int) -> dict[str, Any]:
        command = [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base + "/",
        ]
        output = subprocess.run(  # noqa: S603 - wrk with our arguments
            command, capture_output=True, text=True, check=True
        ).stdout
        line = next(line for line in output.splitlines() if line.startswith("WRK_RESULT "))
        return dict(json.loads(line.removeprefix("WRK_RESULT ")))

    run(WARM_UP_SECONDS)
    # Sync workers finish the requests the warm-up left queued before they take new ones: two
    # requests in a row, answered, mean the queue is empty again.
    for _ in range(2):
        _check(base, endpoint, session)
    load = os.getloadavg()[0]
    found = run(args.duration)
    seconds = found["duration_us"] / 1e6
    result = {
        "rps": found["requests"] / seconds,
        "p50_ms": found["p50_us"] / 1000,
        "p95_ms": found["p95_us"] / 1000,
        "p99_ms": found["p99_us"] / 1000,
        "max_ms": found["max_us"] / 1000,
        "requests": found["requests"],
        "errors": found["status_errors"] + found["socket_errors"],
        "load_before": load,
    }
    print(
        f"  {endpoint['name']:<24} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.1f} ms"
        f"  p95 {result['p95_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms"
        f"  errors {result['errors']}  (load {load:.1f})",
        flush=True,
    )
    return result


def _print_table(result: dict[str, Any]) -> None:
    rows = {row["name"]: row for row in result["rows"]}
    print(
        f"\n## {result['size']:,} entries: gunicorn {result['workers']} sync workers, wrk "
        f"-t{result['threads']} -c{result['connections']} -d{result['duration']}s\n"
        f"Machine: {result['machine']}\n"
    )
    print("| endpoint | req/s | p50 ms | p95 ms | p99 ms | SQL queries | share of baseline |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in result["rows"]:
        share = ""
        if baseline := rows.get(row.get("baseline", "")):
            share = f"{row['rps'] / baseline['rps']:.0%}"
        queries = row.get("queries")
        print(
            f"| {row['name']} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
            f"{row['p99_ms']:.1f} | {'' if queries is None else queries} | {share} |"
        )
    for name in ("list 100, filtered", "list 100"):
        row, baseline = rows[name], rows[rows[name]["baseline"]]
        share = row["rps"] / baseline["rps"]
        met = row["p95_ms"] <= TARGETS["p95_ms"] and share >= TARGETS["share_of_baseline"]
        print(
            f"{name}: p95 {row['p95_ms']:.1f} ms (target <= {TARGETS['p95_ms']:.0f}), "
            f"{share:.0%} of the baseline's throughput (target >= "
            f"{TARGETS['share_of_baseline']:.0%}): {'met' if met else 'MISSED'}"
        )
    errors = sum(row["errors"] for row in result["rows"])
    print(f"Errors (non-2xx/3xx or socket): {errors}. Whole run: {result['total_s']:.0f} s.")


def _gunicorn_version() -> str:
    import gunicorn

    return str(gunicorn.__version__)


def _wrk_version() -> str:
    found = subprocess.run(  # noqa: S603
        ["wrk", "--version"],  # noqa: S607 - found on PATH, as the user installed it
        capture_output=True,
        text=True,
        check=False,
    )
    return (found.stdout or found.stderr).splitlines()[0].split(" [")[0]


if __name__ == "__main__":
    main()

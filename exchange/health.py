"""`/healthz`: 200 when the database, the broker (when configured) and the search index answer."""

import os
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "not configured: jobs run in-process"
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2
    )
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def check_search_index() -> str:
    index_dir = settings.SEARCH_INDEX_DIR
    index_dir.mkdir(parents=True, exist_ok=True)
    if not os.access(index_dir, os.R_OK | os.W_OK):
        raise PermissionError(f"{index_dir} is not readable and writable")
    return "ok"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "broker": check_broker,
    "search_index": check_search_index,
}


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    started = time.monotonic()
    results: dict[str, dict[str, str]] = {}
    healthy = True
    for name, check in CHECKS.items():
        try:
            results[name] = {"status": "ok", "detail": check()}
        except Exception as exc:  # noqa: BLE001 - any failure means "down", reported by name
            healthy = False
            results[name] = {"status": "down", "detail": f"{type(exc).__name__}: {exc}"}
    return JsonResponse(
        {
            "status": "ok" if healthy else "down",
            "version": settings.PORTAL_VERSION,
            "checks": results,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        },
        status=200 if healthy else 503,
    )

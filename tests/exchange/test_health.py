import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_component_ok(client: Client, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "ok", "detail": "ok"}
    assert body["checks"]["search_index"]["status"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_pings_the_real_redis_broker(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == {"status": "ok", "detail": "ok"}


def test_healthz_is_503_when_the_broker_is_down(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["broker"]["status"] == "down"
    assert "ConnectionError" in body["checks"]["broker"]["detail"]
    assert body["checks"]["database"]["status"] == "ok"


def test_healthz_is_503_when_the_search_index_cannot_be_written(
    client: Client, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the index directory should be")
    settings.SEARCH_INDEX_DIR = blocker / "index"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["search_index"]["status"] == "down"


def test_healthz_without_a_broker_says_jobs_run_in_process(
    client: Client, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SEARCH_INDEX_DIR = tmp_path
    response = client.get("/healthz")
    assert response.json()["checks"]["broker"] == {
        "status": "ok",
        "detail": "not configured: jobs run in-process",
    }


def test_healthz_answers_only_get(client: Client) -> None:
    assert client.post("/healthz").status_code == 405

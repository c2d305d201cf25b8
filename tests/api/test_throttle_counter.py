"""The throttles' request counter: atomic, per window, on Redis and on the in-process cache."""

import threading
import time

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings

from accounts.api.throttling import count_request

REDIS_CACHE = {"BACKEND": "django.core.cache.backends.redis.RedisCache"}
LOCAL_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


@pytest.fixture(params=["redis", "local memory"])
def cache_backend(request):
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("REDIS_URL is not set")
        backend = REDIS_CACHE | {"LOCATION": settings.REDIS_URL}
    else:
        backend = LOCAL_CACHE | {"LOCATION": "throttle-counter-test"}
    with override_settings(CACHES={"default": backend}):
        caches["default"].clear()
        yield request.param
        caches["default"].clear()


def test_each_request_adds_one_to_its_own_counter(cache_backend):
    assert [count_request("throttle_test:1", 60) for _ in range(3)] == [1, 2, 3]
    assert count_request("throttle_test:2", 60) == 1
    assert count_request("throttle_test:1", 60) == 4


def test_the_counter_expires_with_its_window(cache_backend):
    count_request("throttle_test:window", 30)
    cache = caches["default"]
    key = cache.make_and_validate_key("throttle_test:window")
    if cache_backend == "redis":
        seconds_left = cache._cache.get_client(key).ttl(key)
    else:
        seconds_left = cache._expire_info[key] - time.time()
    assert 0 < seconds_left <= 30


def test_concurrent_requests_lose_no_count(cache_backend):
    # DRF's own throttle reads and rewrites a list, so two workers at once can lose a request.
    def count_many() -> None:
        for _ in range(50):
            count_request("throttle_test:busy", 60)

    workers = [threading.Thread(target=count_many) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert count_request("throttle_test:busy", 60) == 201

"""Rates of the REST API: per API key, per signed-in person, per anonymous address. Rates are
read from settings on each request (API_*_THROTTLE_RATE), so that they can be set per
environment. An exceeded rate is a 429 problem with Retry-After.

Requests are counted in fixed windows of the rate's period (a minute for "60/minute"): one atomic
increment of a counter per request, where DRF's own throttle reads and rewrites the list of every
request time of the period. The increment cannot lose counts between workers, and with Redis it
is a single round trip."""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiKey

# Redis runs a script as one step: the counter and its expiry are set together.
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def count_request(key: str, window_seconds: int) -> int:
    """Adds one to the counter `key`, which lives `window_seconds`; returns the new count."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        # One client for the cache's life: Django makes a new one (and its table of reply
        # parsers) at each call.
        client = getattr(cache, "_throttle_client", None)
        if client is None:
            client = cache._throttle_client = cache._cache.get_client(full_key, write=True)  # type: ignore[attr-defined]
        return int(client.eval(_COUNT_SCRIPT, 1, full_key, window_seconds))
    cache.add(key, 0, window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, window_seconds)
        return 1


class WindowThrottle(SimpleRateThrottle):
    """A request counter per client and window of the rate's period."""

    def allow_request(self, request: Request, view: object) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        assert self.num_requests is not None and self.duration is not None
        now = self.timer()
        window = int(now // self.duration)
        self.seconds_left = (window + 1) * self.duration - now
        return count_request(f"{self.key}:{window}", self.duration) <= self.num_requests

    def wait(self) -> float:
        return self.seconds_left


class ApiKeyThrottle(WindowThrottle):
    scope = "api_key"

    def get_rate(self) -> str:
        return settings.API_KEY_THROTTLE_RATE

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if isinstance(request.auth, ApiKey):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return None


class SessionUserThrottle(WindowThrottle):
    scope = "api_user"

    def get_rate(self) -> str:
        return settings.API_USER_THROTTLE_RATE

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if isinstance(request.auth, ApiKey) or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonymousThrottle(WindowThrottle):
    scope = "api_anonymous"

    def get_rate(self) -> str:
        return settings.API_ANON_THROTTLE_RATE

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

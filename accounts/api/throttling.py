"""Rates of the REST API: per API key, per signed-in person, per anonymous address. Rates are
read from settings on each request (API_*_THROTTLE_RATE), so that they can be set per
environment. An exceeded rate is a 429 problem with Retry-After."""

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiKey


class ApiKeyThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_rate(self) -> str:
        return settings.API_KEY_THROTTLE_RATE

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if isinstance(request.auth, ApiKey):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return None


class SessionUserThrottle(SimpleRateThrottle):
    scope = "api_user"

    def get_rate(self) -> str:
        return settings.API_USER_THROTTLE_RATE

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if isinstance(request.auth, ApiKey) or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonymousThrottle(SimpleRateThrottle):
    scope = "api_anonymous"

    def get_rate(self) -> str:
        return settings.API_ANON_THROTTLE_RATE

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

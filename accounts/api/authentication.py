from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.api_keys import KeyRefused, api_key_check
from accounts.models import ApiKey, User

SCHEMES = ("bearer", "api-key")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` (or `Api-Key <key>`): the request acts for the key's
    organization (accounts/permissions.py, "API keys"); `request.user` is the key's creator,
    `request.auth` the key. A request without such a header goes on to session authentication;
    one with a bad key is refused with 401, never treated as anonymous."""

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() not in SCHEMES:
            return None
        raw = raw.strip()
        try:
            key = api_key_check(raw)
        except KeyRefused as refused:
            raise exceptions.AuthenticationFailed(refused.message, code=refused.code) from None
        return key.created_by, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthenticationExtension(OpenApiAuthenticationExtension):
    """Describes the key in the OpenAPI schema."""

    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organization's API key: `Authorization: Bearer sse_…`.",
        }

"""The OpenAPI schema class of the REST API (a module of its own: drf-spectacular's AutoSchema
imports DRF's views, which import the permission classes of exchange/api_support.py)."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions


class ApiAutoSchema(AutoSchema):
    """Reads of views open to anonymous clients (`public_read`) need no credentials."""

    def get_auth(self) -> list[dict[str, list[str]]]:
        auth = super().get_auth()
        if getattr(self.view, "public_read", False) and self.method in permissions.SAFE_METHODS:
            if {} not in auth:
                auth.append({})
        return auth

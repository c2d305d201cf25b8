"""What every REST API view shares: who is asking, access by scope, bounded JSON bodies,
`updated_since`, cursor pagination and conditional GETs (ETag, Last-Modified, 304).

Who is asking (`requester`): a person signed in to the browser (session), a client with an
organization's API key (`request.auth` is the `accounts.ApiKey`, `request.user` its creator), or
an anonymous client. What a key may do is decided in accounts/permissions.py ("API keys").
"""

import datetime
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Max, QuerySet
from django.http import HttpResponseBase
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import http_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, permissions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKey, User
from exchange.api_errors import BadRequest, MissingScope, PayloadTooLarge

# Deeper JSON is refused: no field of this API nests more than a few levels.
MAX_JSON_DEPTH = 20


@dataclass(frozen=True)
class Requester:
    user: User | None
    key: ApiKey | None

    @property
    def is_anonymous(self) -> bool:
        return self.user is None


def requester(request: Request) -> Requester:
    key = request.auth if isinstance(request.auth, ApiKey) else None
    user = request.user if isinstance(request.user, User) and request.user.is_active else None
    return Requester(user=user, key=key)


class ApiAccess(permissions.BasePermission):
    """Access by kind of client, before any object is looked at.

    - anonymous clients may read the views marked `public_read` (published entries, the
      organizations that provide them, vocabularies, deletions);
    - an API key needs the "read" scope for every read and the view's `write_scope` for
      every write; views marked `session_only` (API keys themselves, saved searches) refuse keys;
    - a signed-in person may use every view; the objects they see and change are those of the
      browser (each view's queryset and `user.has_perm`).
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        who = requester(request)
        safe = request.method in permissions.SAFE_METHODS
        if who.key is not None:
            if getattr(view, "session_only", False):
                raise exceptions.PermissionDenied(
                    _("This resource is only available to people signed in to the portal."),
                    code="session_required",
                )
            scope = ApiKey.Scope.READ if safe else getattr(view, "write_scope", None)
            if scope is None or not who.key.has_scope(scope):
                raise MissingScope(
                    _("This API key lacks the scope “%(scope)s”.")
                    % {"scope": scope or _("none can write here")}
                )
            return True
        if who.user is not None:
            return True
        if safe and getattr(view, "public_read", False):
            return True
        raise exceptions.NotAuthenticated()


class BoundedJSONParser(JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413 beyond) and MAX_JSON_DEPTH
    levels deep (400 beyond)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and limit is not None and int(declared) > limit:
            raise PayloadTooLarge()
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge()
        try:
            data = json.loads(raw.decode(settings.DEFAULT_CHARSET or "utf-8"))
        except RecursionError as exc:
            raise BadRequest(_("The JSON body is nested too deeply."), code="too_deep") from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(
                _("The body is not valid JSON."), code="parse_error"
            ) from exc
        if _depth(data) > MAX_JSON_DEPTH:
            raise BadRequest(
                _("The JSON body is nested more than %(max)s levels deep.")
                % {"max": MAX_JSON_DEPTH},
                code="too_deep",
            )
        return data


def _depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        following: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                following.extend(item.values())
            elif isinstance(item, list):
                following.extend(item)
        if depth > MAX_JSON_DEPTH:
            return depth
        level = following
    return depth - 1


class StrictInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """An input serializer that rejects fields it does not know (400, code "unknown_field")
    rather than ignoring them: a misspelt field name is an error a client wants to hear of."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [serializers.ErrorDetail(_("Unknown field."), code="unknown_field")]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


# updated_since ------------------------------------------------------------------------------

UPDATED_SINCE_PARAMETER = OpenApiParameter(
    "updated_since",
    # A string rather than "date-time": a bare date (2026-01-31) is accepted as well.
    OpenApiTypes.STR,
    description=(
        "Only objects changed at or after this moment (ISO 8601; without a time zone, UTC). "
        "Malformed or in the future: 400."
    ),
)


PAGE_SIZE_PARAMETER = OpenApiParameter(
    "page_size",
    {"type": "integer", "minimum": 1, "maximum": 100},
    description="Results per page, 1 to 100 (default 50).",
)


def parse_since(request: Request, name: str = "updated_since") -> datetime.datetime | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = parse_datetime(raw) if "T" in raw or " " in raw else None
        if value is None and (day := parse_date(raw)) is not None:
            value = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
    except ValueError:
        value = None
    if value is None:
        raise BadRequest(
            _("“%(name)s” must be a date and time in ISO 8601, e.g. 2026-01-31T12:00:00Z.")
            % {"name": name},
            code=f"invalid_{name}",
            field=name,
        )
    if timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    if value > timezone.now() + datetime.timedelta(minutes=1):
        raise BadRequest(
            _("“%(name)s” is in the future.") % {"name": name},
            code=f"{name}_in_future",
            field=name,
        )
    return value


# Pagination -----------------------------------------------------------------------------------


_CURSOR = re.compile(r"[A-Za-z0-9+/=_-]{1,200}")


class UpdatedCursorPagination(CursorPagination):
    """Stable pages in the order objects last changed, oldest first, so that a client can
    walk to the end and resume later with `updated_since`."""

    ordering = ("updated_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    invalid_cursor_message = "This cursor is not one this API gave out."

    def decode_cursor(self, request: Request) -> Any:
        raw = request.query_params.get(self.cursor_query_param)
        try:
            if raw is not None and not _CURSOR.fullmatch(raw):
                raise exceptions.NotFound()
            cursor = super().decode_cursor(request)
            # The position is a value of the first ordering field: a forged one must not
            # reach the database as a malformed timestamp.
            if cursor is not None and cursor.position is not None:
                if parse_datetime(cursor.position) is None:
                    raise exceptions.NotFound()
        except (exceptions.NotFound, ValueError) as exc:
            raise BadRequest(
                _("This cursor is not one this API gave out."),
                code="invalid_cursor",
                field=self.cursor_query_param,
            ) from exc
        return cursor

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and raw != "":
            if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
                raise BadRequest(
                    _("“page_size” must be a whole number from 1 to %(max)s.")
                    % {"max": self.max_page_size},
                    code="invalid_page_size",
                    field=self.page_size_query_param,
                )
            return int(raw)
        return self.page_size


class DeletedCursorPagination(UpdatedCursorPagination):
    ordering = ("deleted_at", "id")


class CreatedCursorPagination(UpdatedCursorPagination):
    ordering = ("created_at", "id")


# Conditional GET ------------------------------------------------------------------------------


class ConditionalGetMixin:
    """ETag (a hash of the body) and Last-Modified on every successful read; 304 when the
    client's If-None-Match or If-Modified-Since says it has it already. Views set
    `self.last_modified` (the newest change among what they return) when they know it."""

    last_modified: datetime.datetime | None = None

    def finalize_response(
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        patch_vary_headers(response, ("Authorization", "Cookie", "Accept-Language"))
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        assert isinstance(response, Response)
        response.render()
        etag = '"' + hashlib.sha256(response.content).hexdigest()[:40] + '"'
        response["ETag"] = etag
        last_modified = self.last_modified
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified.timestamp())
        patch_cache_control(response, private=True, no_cache=True)
        return get_conditional_response(
            request,  # type: ignore[arg-type]
            etag=etag,
            last_modified=int(last_modified.timestamp()) if last_modified else None,
            response=response,
        )  # type: ignore[return-value]  # with `response` given, never None

    def note_last_modified(self, objects: Any, field: str = "updated_at") -> None:
        """The newest `field` among `objects` (a list or a queryset)."""
        if isinstance(objects, QuerySet):
            self.last_modified = objects.aggregate(newest=Max(field))["newest"]
        else:
            values = [getattr(obj, field) for obj in objects if getattr(obj, field, None)]
            self.last_modified = max(values) if values else None


# Object permissions ---------------------------------------------------------------------------


def may(request: Request, perm: str, obj: Any = None) -> bool:
    """The browser's rule `perm` for a person; for an API key, what the key may do
    (accounts/permissions.py, "API keys"); nothing for anonymous clients."""
    from accounts.permissions import api_key_may

    who = requester(request)
    if who.key is not None:
        return api_key_may(who.key, perm, obj)
    return who.user is not None and who.user.has_perm(perm, obj)


def require(request: Request, perm: str, obj: Any = None) -> None:
    if not may(request, perm, obj):
        raise exceptions.PermissionDenied(
            _("You may not do this with this object."), code="forbidden"
        )


# Ids in URLs: up to 18 digits, so that no id overflows PostgreSQL's bigint.
ID_PATTERN = r"[0-9]{1,18}"

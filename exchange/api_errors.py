"""Every error of the REST API as an RFC 9457 problem detail (`application/problem+json`).

    {"type": "about:blank", "title": "Bad Request", "status": 400, "code": "invalid",
     "detail": "The request has invalid fields.",
     "errors": [{"field": "title", "code": "required", "detail": "This field is required."}]}

`code` is machine-readable and stable; `title` is the HTTP reason; `detail` is written for a
person; `errors` (validation only) gives each field's messages, nested fields as dotted paths
("links.0.url"), query parameters by their name, and "" for the request as a whole. Domain
errors (`exchange.errors.ApplicationError`) are 400s with code "application_error" (or the
error's own `extra["code"]`) and their message as `detail`. Nothing internal is ever shown:
an unexpected exception is logged and answered with a bare 500.
"""

import logging
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response

from exchange.errors import ApplicationError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class BadRequest(exceptions.APIException):
    """A 400 with a machine-readable code, for a query parameter or body that cannot be used."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"

    def __init__(self, detail: str, *, code: str, field: str = "") -> None:
        super().__init__(detail=detail, code=code)
        self.field = field


class MissingScope(exceptions.PermissionDenied):
    default_code = "scope_missing"


def problem(
    status_code: int,
    *,
    code: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "code": code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _field_errors(detail: Any, path: str = "") -> Iterator[dict[str, str]]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            yield from _field_errors(value, f"{path}.{name}" if path and name else path or name)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                yield from _field_errors(value, f"{path}.{index}" if path else str(index))
            else:
                yield from _field_errors(value, path)
    else:
        yield {
            "field": path,
            "code": str(getattr(detail, "code", "invalid")),
            "detail": str(detail),
        }


def _application_error(exc: ApplicationError) -> Response:
    fields = exc.extra.get("fields") or {}
    errors = [
        {"field": str(name), "code": "invalid", "detail": str(message)}
        for name, messages in fields.items()
        for message in (messages if isinstance(messages, list) else [messages])
    ]
    return problem(
        400,
        code=str(exc.extra.get("code", "application_error")),
        detail=exc.message,
        errors=errors or None,
    )


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: see the module docstring."""
    # Imported here: rest_framework.views imports the settings' classes, which import this.
    from rest_framework.views import set_rollback

    set_rollback()
    if isinstance(exc, ApplicationError):
        return _application_error(exc)
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        request = context.get("request")
        logger.exception("Unexpected error in API request %s", getattr(request, "path", "?"))
        return problem(500, code="server_error", detail=_("Something went wrong on our side."))

    headers: dict[str, str] = {}
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if (wait := getattr(exc, "wait", None)) is not None:
        headers["Retry-After"] = str(max(1, int(wait + 0.999)))

    if isinstance(exc, exceptions.ValidationError):
        return problem(
            exc.status_code,
            code="invalid",
            detail=_("The request has invalid fields; see `errors`."),
            errors=list(_field_errors(exc.detail)),
            headers=headers,
        )
    if isinstance(exc, BadRequest):
        code = str(exc.get_codes())
        return problem(
            exc.status_code,
            code=code,
            detail=str(exc.detail),
            errors=[{"field": exc.field, "code": code, "detail": str(exc.detail)}]
            if exc.field
            else None,
            headers=headers,
        )
    detail = exc.detail
    if isinstance(detail, dict | list):
        # Not raised by this project; keep the shape documented all the same.
        return problem(
            exc.status_code,
            code=exc.default_code,
            detail=str(exc.default_detail),
            errors=list(_field_errors(detail)),
            headers=headers,
        )
    return problem(
        exc.status_code,
        code=str(getattr(detail, "code", exc.default_code)),
        detail=str(detail),
        headers=headers,
    )


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
    """Any other path under /api/v1/: a problem detail rather than the site's HTML 404."""
    from django.http import JsonResponse

    return JsonResponse(
        {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "code": "not_found",
            "detail": _("There is no such resource in this API."),
        },
        status=404,
        content_type=PROBLEM_CONTENT_TYPE,
    )


# OpenAPI -----------------------------------------------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "Machine-readable error code."},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "detail"],
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                },
            },
        },
    },
}

_ERROR_STATUSES_ALL = ("400", "401", "403", "404", "406", "429", "500", "503")
_ERROR_STATUSES_WRITE = ("405", "413", "415")


def add_problem_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation documents its error responses as
    problem details, and 304 on reads."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            statuses = list(_ERROR_STATUSES_ALL)
            if method in ("post", "put", "patch"):
                statuses += _ERROR_STATUSES_WRITE
            for code in statuses:
                responses.setdefault(
                    code,
                    {
                        "description": HTTPStatus(int(code)).phrase,
                        "content": {PROBLEM_CONTENT_TYPE: {"schema": ref}},
                    },
                )
            if method == "get":
                responses.setdefault("304", {"description": "Not Modified"})
    return result

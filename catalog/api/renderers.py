"""The API's formats beside JSON: CSV for every list, schema.org JSON-LD for an entry, and
DCAT-AP (Turtle, RDF/XML, JSON-LD) for the catalogue (catalog/api/dcat.py).

CSV (`?format=csv` or `Accept: text/csv`)
    One header row, then one row per object of the page, in the order, with the filters and the
    cursor of the JSON list; the next and previous pages are in the `Link` header
    (`<…>; rel="next"`). Columns are the JSON fields, named by their path: a nested object
    becomes one column per field (`providers.name`, `names.fr`), a list is one cell with its
    values joined by ";" (a list of objects: one column per field, each joined by ";"). Values
    that are themselves lists or objects inside such a cell are written as compact JSON.
    The header does not depend on the data: it is the same for an empty page.

    The text is UTF-8 **with a byte-order mark**: without it Excel reads UTF-8 as the local
    code page and garbles Arabic, Chinese and Russian; Python reads it with
    `encoding="utf-8-sig"`, and most CSV libraries skip it. A cell that starts with `=`, `+`,
    `-`, `@`, a tab or a carriage return gets a leading `'`, so that a spreadsheet shows it as
    text rather than running it as a formula (CSV injection); numbers are written as they are.

Errors stay problem details in JSON (`application/problem+json`) whatever format was asked.
"""

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.utils.cache import patch_vary_headers
from drf_spectacular.drainage import get_override
from rest_framework import renderers, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api.serializers import InSixLanguages
from catalog.models.reference import UN_LANGUAGE_SUFFIXES
from exchange.api_schema import ApiAutoSchema

BOM = "\ufeff"
LIST_SEPARATOR = ";"
# Spreadsheets run a cell that starts with one of these as a formula (as search/export.py).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_error(renderer_context: dict[str, Any] | None) -> bool:
    response = (renderer_context or {}).get("response")
    return response is not None and response.status_code >= 400


def _as_json(data: Any, renderer_context: dict[str, Any] | None) -> bytes:
    return renderers.JSONRenderer().render(data, "application/json", renderer_context)


# CSV ------------------------------------------------------------------------------------------


def csv_columns(serializer: serializers.BaseSerializer[Any]) -> list[tuple[str, ...]]:
    """The columns of a serializer's rows as paths of field names."""
    if isinstance(serializer, serializers.ListSerializer):
        serializer = serializer.child
    columns: list[tuple[str, ...]] = []
    for name, field in serializer.fields.items():
        columns += [(name, *rest) for rest in _field_columns(field)]
    return columns


def _field_columns(field: Any) -> list[tuple[str, ...]]:
    if isinstance(field, serializers.SerializerMethodField):
        method = getattr(field.parent, field.method_name, None)
        annotated = get_override(method, "field") if method is not None else None
        if isinstance(annotated, type) and issubclass(annotated, serializers.BaseSerializer):
            annotated = annotated()
        if isinstance(annotated, serializers.BaseSerializer):
            return csv_columns(annotated)
        return [()]
    if isinstance(field, serializers.BaseSerializer):
        return csv_columns(field)
    if isinstance(field, InSixLanguages):
        return [(language,) for language in UN_LANGUAGE_SUFFIXES]
    return [()]


# The columns of each serializer class (its fields do not change from one instance to the next).
_COLUMNS: dict[type, list[tuple[str, ...]]] = {}


def _columns_of(serializer: serializers.BaseSerializer[Any]) -> list[tuple[str, ...]]:
    if isinstance(serializer, serializers.ListSerializer):
        serializer = serializer.child
    kind = type(serializer)
    if kind not in _COLUMNS:
        _COLUMNS[kind] = csv_columns(serializer)
    return _COLUMNS[kind]


def _reader(path: tuple[str, ...]) -> Callable[[Any], Any]:
    """`_values_at(row, path)` as a function of the row, the short way for a top-level field."""
    if len(path) == 1:
        (key,) = path
        return lambda row: row.get(key) if isinstance(row, dict) else None
    return lambda row: _values_at(row, path)


def _values_at(value: Any, path: tuple[str, ...]) -> Any:
    """The value at `path`; through a list of objects, the list of the values at the rest."""
    for position, key in enumerate(path):
        if isinstance(value, list):
            return [_values_at(item, path[position:]) for item in value]
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _text(value: Any, *, top: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and top:
        return LIST_SEPARATOR.join(_text(item, top=False) for item in value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def csv_cell(value: Any) -> str:
    # The common kinds first, the short way: this runs for every cell of every row.
    kind = type(value)
    if kind is str:
        text = value
    elif value is None:
        return ""
    elif kind is int or kind is float:
        return str(value)
    elif kind is list and all(type(item) is str for item in value):
        text = LIST_SEPARATOR.join(value)
    else:
        text = _text(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class CSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    openapi_schema = {
        "type": "string",
        "description": (
            "CSV (UTF-8 with a byte-order mark): a header row of the JSON fields' paths, a row "
            'per object; lists joined by ";"; the next page in the `Link` header.'
        ),
    }

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        context = renderer_context or {}
        if _is_error(context) or not isinstance(data, list | dict):
            return _as_json(data, context)
        rows: Any = data
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            rows = data["results"]
            self._link_pages(data, context.get("response"))
        elif isinstance(data, dict):
            rows = [data]
        serializer = getattr(rows, "serializer", None) or getattr(data, "serializer", None)
        if serializer is None and context.get("view") is not None:
            serializer = context["view"].get_serializer()
        columns = _columns_of(serializer) if serializer is not None else []
        if not columns and rows:
            columns = [(name,) for name in rows[0]]
        out = io.StringIO()
        out.write(BOM)
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([".".join(path) for path in columns])
        reads = [_reader(path) for path in columns]
        for row in rows:
            writer.writerow([csv_cell(read(row)) for read in reads])
        return out.getvalue().encode("utf-8")

    def _link_pages(self, data: dict[str, Any], response: Response | None) -> None:
        if response is None:
            return
        links = [f'<{data[rel]}>; rel="{rel}"' for rel in ("next", "previous") if data.get(rel)]
        if links:
            response["Link"] = ", ".join(links)
        if isinstance(data.get("total"), int):
            response["X-Total-Count"] = str(data["total"])


# JSON-LD and RDF ------------------------------------------------------------------------------


class SchemaOrgJSONLDRenderer(renderers.JSONRenderer):
    """An entry as schema.org JSON-LD (catalog/structured_data.py), the data of its page."""

    media_type = "application/ld+json"
    format = "jsonld"
    openapi_schema = {
        "type": "object",
        "description": "schema.org JSON-LD, as embedded in the entry's page.",
        "additionalProperties": True,
    }


class _GraphRenderer(renderers.BaseRenderer):
    """An rdflib graph in one RDF syntax; anything else (an error) as JSON."""

    rdflib_format = ""
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        from rdflib import Graph

        if not isinstance(data, Graph):
            return _as_json(data, renderer_context)
        options: dict[str, Any] = {}
        if self.rdflib_format == "json-ld":
            # Compacted with the graph's prefixes: an object, with `@graph` when there are
            # several nodes, rather than rdflib's default top-level array.
            options = {
                "context": {prefix: str(namespace) for prefix, namespace in data.namespaces()},
                "auto_compact": True,
            }
        text = data.serialize(format=self.rdflib_format, encoding="utf-8", **options)
        assert isinstance(text, bytes)
        return text


class TurtleRenderer(_GraphRenderer):
    media_type = "text/turtle"
    format = "ttl"
    rdflib_format = "turtle"
    openapi_schema = {"type": "string", "description": "DCAT-AP in Turtle."}


class RDFXMLRenderer(_GraphRenderer):
    media_type = "application/rdf+xml"
    format = "rdf"
    rdflib_format = "pretty-xml"
    openapi_schema = {"type": "string", "description": "DCAT-AP in RDF/XML."}


class DCATJSONLDRenderer(_GraphRenderer):
    media_type = "application/ld+json"
    format = "jsonld"
    rdflib_format = "json-ld"
    openapi_schema = {
        "type": "object",
        "description": "DCAT-AP in JSON-LD, compacted with the prefixes dcat, dct, foaf, "
        "skos and hydra (the nodes in `@graph`).",
        "additionalProperties": True,
    }


RDF_RENDERERS = [TurtleRenderer, RDFXMLRenderer, DCATJSONLDRenderer]


# Views ----------------------------------------------------------------------------------------


class FormatsAutoSchema(ApiAutoSchema):
    """Each media type documented with its own body: a renderer's `openapi_schema` replaces the
    JSON schema drf-spectacular would give every media type of the operation."""

    def _get_response_for_code(
        self,
        serializer: Any,
        status_code: Any,
        media_types: Any = None,
        direction: Any = "response",
    ) -> Any:
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        by_media_type = {r.media_type: r for r in self.view.get_renderers()}
        for media_type, body in response.get("content", {}).items():
            own = getattr(by_media_type.get(media_type), "openapi_schema", None)
            if own is not None and str(status_code).startswith("2"):
                body["schema"] = dict(own)
        return response


class FormatsMixin:
    """Offers CSV on the actions named in `csv_actions` and the renderers of
    `extra_renderers` (action name -> renderer classes) beside JSON; responses vary on Accept."""

    csv_actions: frozenset[str] = frozenset({"list"})
    extra_renderers: dict[str, Sequence[type[renderers.BaseRenderer]]] = {}
    schema = FormatsAutoSchema()
    action: str | None

    def get_renderers(self) -> list[renderers.BaseRenderer]:
        found: list[renderers.BaseRenderer] = super().get_renderers()  # type: ignore[misc]
        # No action: a method the view does not have. Every format is accepted, so that the
        # answer is its 405 rather than a 404 for the format.
        everything = self.action is None
        if everything or self.action in self.csv_actions:
            found.append(CSVRenderer())
        for action, extra in self.extra_renderers.items():
            if everything or action == self.action:
                found += [renderer() for renderer in extra]
        return found

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        patch_vary_headers(response, ("Accept",))
        return response

    def wants(self, request: Request, renderer: type[renderers.BaseRenderer]) -> bool:
        return isinstance(getattr(request, "accepted_renderer", None), renderer)


def csv_rows(content: bytes) -> Iterator[list[str]]:
    """The rows of a CSV body of this API (for tests and clients in Python)."""
    yield from csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))

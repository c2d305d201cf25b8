"""A page of the entry list on PostgreSQL, without the serializer: each entry as the JSON
EntryOutputSerializer would give, written by PostgreSQL itself (`entry_documents`). The JSON
renderer copies the documents into the page as they are; CSV reads them back. The serializer
with nine prefetches costs several times as much per page (benchmarks/README.md, "REST API");
tests/api/test_entry_list_rows.py checks that the documents equal the serializer's output."""

# ruff: noqa: S608 - constant SQL of this module; the request's values are always parameters

import functools
from typing import Any

from django.db.models import QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from rest_framework.request import Request

from catalog.models import Entry

# The country of a row `x`, looked up by its key. OFFSET 0 keeps the planner from joining the
# whole country table instead: with two or three countries an entry, it would hash all 248 of
# them for each entry of the page, a third of the statement's time.
_COUNTRY_OF_ROW = "(SELECT iso3, name_en, id FROM catalog_country WHERE id = x.country_id OFFSET 0)"

# An id no entry has, placed in a reversed URL and split around.
_SOME_ID = 918273645


def _moment_sql(column: str) -> str:
    """`column` (a timestamp) as DRF writes it in UTC: ISO 8601, microseconds only when there
    are any, "Z" for the zone."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"CASE WHEN date_trunc('second', {column}) = {column}"
        f' THEN to_char({utc}, \'YYYY-MM-DD"T"HH24:MI:SS"Z"\')'
        f' ELSE to_char({utc}, \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') END'
    )


def _day_sql(column: str) -> str:
    return f"to_char({column}, 'YYYY-MM-DD')"


def _list_sql(select: str, order: str, tables: str) -> str:
    """A JSON array (never null) of `select` over `tables` for the row's entry. (A little
    faster than json_agg(... ORDER BY ...): 5 % of the page's statement, measured.)"""
    return f"array_to_json(ARRAY(SELECT {select} FROM {tables} ORDER BY {order}))"


_E = "catalog_entry"
# Key, SQL: in the order of EntryOutputSerializer's fields. "url" and the contacts are added by
# `entry_documents`, as they depend on the request.
_DOCUMENT_FIELDS: tuple[tuple[str, str], ...] = (
    ("id", f"{_E}.id"),
    ("url", "{url}"),
    ("module", f"{_E}.module"),
    ("kind", f"{_E}.kind"),
    ("status", f"{_E}.status"),
    ("title", f"{_E}.title"),
    ("summary", f"{_E}.summary"),
    ("body", f"{_E}.body"),
    ("language", f"{_E}.language"),
    (
        "countries_of_origin",
        _list_sql(
            "c.iso3",
            "c.name_en, c.id",
            "catalog_entry_countries_of_origin x"
            f" CROSS JOIN LATERAL {_COUNTRY_OF_ROW} c WHERE x.entry_id = {_E}.id",
        ),
    ),
    (
        "countries_applied",
        _list_sql(
            "c.iso3",
            "c.name_en, c.id",
            "catalog_entry_countries_applied x"
            f" CROSS JOIN LATERAL {_COUNTRY_OF_ROW} c WHERE x.entry_id = {_E}.id",
        ),
    ),
    (
        "themes",
        _list_sql(
            "t.code",
            "t.position, t.name, t.id",
            f"catalog_entry_themes x JOIN catalog_theme t ON t.id = x.theme_id"
            f" WHERE x.entry_id = {_E}.id",
        ),
    ),
    (
        "sdg_goals",
        _list_sql(
            "g.number",
            "g.number",
            "catalog_entry_sdg_goals x JOIN catalog_sdggoal g ON g.id = x.sdggoal_id"
            f" WHERE x.entry_id = {_E}.id",
        ),
    ),
    (
        "sdg_targets",
        _list_sql(
            "t.code",
            "g.number, t.position, t.id",
            "catalog_entry_sdg_targets x JOIN catalog_sdgtarget t ON t.id = x.sdgtarget_id"
            f" JOIN catalog_sdggoal g ON g.id = t.goal_id WHERE x.entry_id = {_E}.id",
        ),
    ),
    (
        "support_kinds",
        _list_sql(
            "k.code",
            "k.code",
            "catalog_entry_support_kinds x JOIN catalog_supportkind k"
            f" ON k.id = x.supportkind_id WHERE x.entry_id = {_E}.id",
        ),
    ),
    (
        "providers",
        _list_sql(
            "json_build_object('organization', p.organization_id, 'name', o.name, 'role', p.role)",
            "p.role, o.name, p.id",
            "catalog_entryprovider p JOIN catalog_organization o ON o.id = p.organization_id"
            f" WHERE p.entry_id = {_E}.id",
        ),
    ),
    (
        "member_organizations",
        _list_sql(
            "x.organization_id",
            "o.name, o.id",
            "catalog_entry_member_organizations x JOIN catalog_organization o"
            f" ON o.id = x.organization_id WHERE x.entry_id = {_E}.id",
        ),
    ),
    (
        "links",
        _list_sql(
            "json_build_object('url', l.url, 'label', l.label)",
            "l.id",
            f"catalog_entrylink l WHERE l.entry_id = {_E}.id",
        ),
    ),
    ("contact_name", "{contact_name}"),
    ("contact_email", "{contact_email}"),
    ("starts_on", _day_sql(f"{_E}.starts_on")),
    ("ends_on", _day_sql(f"{_E}.ends_on")),
    ("deadline", _day_sql(f"{_E}.deadline")),
    ("venue", f"{_E}.venue"),
    ("venue_country", f"(SELECT iso3 FROM catalog_country WHERE id = {_E}.venue_country_id)"),
    ("is_online", f"{_E}.is_online"),
    ("is_verified", f"{_E}.is_verified"),
    ("published_at", _moment_sql(f"{_E}.published_at")),
    ("last_confirmed_on", _day_sql(f"{_E}.last_confirmed_on")),
    ("created_at", _moment_sql(f"{_E}.created_at")),
    ("updated_at", _moment_sql(f"{_E}.updated_at")),
)
_DOCUMENT_SQL = (
    "json_build_object(" + ", ".join(f"'{key}', {sql}" for key, sql in _DOCUMENT_FIELDS) + ")::text"
)


def documents_possible() -> bool:
    """Whether PostgreSQL can write the documents as DRF would: its times are written in UTC."""
    return timezone.get_current_timezone_name() == "UTC"


@functools.lru_cache
def _entry_paths(script_prefix: str) -> tuple[tuple[str, str, str], ...]:
    """(module, path before the id, path after it) of each module's entry page."""
    paths = []
    for module in Entry.Module.values:
        path = reverse("catalog:entry_detail", kwargs={"module": module, "pk": _SOME_ID})
        before, after = path.split(str(_SOME_ID))
        paths.append((module, before, after))
    return tuple(paths)


def entry_documents(
    entries: QuerySet[Entry], request: Request, **more: RawSQL
) -> QuerySet[Entry, dict[str, Any]]:
    """`entries` as rows of id, updated_at (for the cursor) and `document`: the entry's JSON as
    EntryOutputSerializer gives it to the requester, as text; and the columns `more`."""
    url_base = request.build_absolute_uri("/")[:-1]
    module_cases: list[str] = []
    params: list[Any] = []
    for module, before, after in _entry_paths(get_script_prefix()):
        module_cases.append("WHEN %s THEN %s || catalog_entry.id || %s")
        params += [module, url_base + before, after]
    url = f"(CASE catalog_entry.module {' '.join(module_cases)} END)"
    contacts = "TRUE" if request.user.is_authenticated else "FALSE"
    document = _DOCUMENT_SQL.format(
        url=url,
        contact_name=f"CASE WHEN {contacts} THEN {_E}.contact_name END",
        contact_email=f"CASE WHEN {contacts} THEN {_E}.contact_email END",
    )
    # Constant SQL of this module; the request's values are parameters.
    return entries.values(  # type: ignore[return-value]
        "id",
        "updated_at",
        document=RawSQL(document, params, output_field=TextField()),  # noqa: S611
        **more,
    )

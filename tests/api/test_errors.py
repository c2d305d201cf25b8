"""Every error is an RFC 9457 problem detail with a machine-readable code."""

import json

import pytest
from django.test import override_settings

from catalog.models import Entry
from tests.api.conftest import bearer
from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert set(body) >= {"type", "title", "status", "code", "detail"}
    assert "Traceback" not in response.content.decode()
    return body


def test_unknown_path_is_a_problem_not_the_site_page(api):
    _problem(api.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_unknown_id_is_a_problem(api):
    _problem(api.get("/api/v1/entries/999999/"), 404, "not_found")


def test_id_too_large_for_the_database_is_not_found(api):
    _problem(api.get("/api/v1/entries/99999999999999999999/"), 404, "not_found")


def test_needs_need_authentication(api):
    body = _problem(api.get("/api/v1/needs/"), 401, "not_authenticated")
    assert body["title"] == "Unauthorized"


def test_method_not_allowed(api, make_key):
    _key, secret = make_key("read", "write-entries")
    _problem(api.delete("/api/v1/entries/1/", **bearer(secret)), 405, "method_not_allowed")


def test_unsupported_media_type(api, make_key):
    _key, secret = make_key("read", "write-entries")
    response = api.post(
        "/api/v1/entries/",
        data="title=x",
        content_type="application/x-www-form-urlencoded",
        **bearer(secret),
    )
    _problem(response, 415, "unsupported_media_type")


def test_malformed_json_is_a_parse_error(api, make_key):
    _key, secret = make_key("read", "write-entries")
    response = api.post(
        "/api/v1/entries/", data="{not json", content_type="application/json", **bearer(secret)
    )
    _problem(response, 400, "parse_error")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_huge_body_is_refused_with_413(api, make_key):
    _key, secret = make_key("read", "write-entries")
    body = json.dumps({"module": "technology", "title": "x" * 20_000})
    response = api.post(
        "/api/v1/entries/", data=body, content_type="application/json", **bearer(secret)
    )
    _problem(response, 413, "payload_too_large")
    assert Entry.objects.count() == 0


def _nest(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


def test_deeply_nested_json_is_refused(api, make_key):
    _key, secret = make_key("read", "write-entries")
    deep = "[" * 5000 + "]" * 5000
    response = api.post(
        "/api/v1/entries/", data=deep, content_type="application/json", **bearer(secret)
    )
    _problem(response, 400, "too_deep")
    nested = json.dumps({"title": _nest(25)})
    response = api.post(
        "/api/v1/entries/", data=nested, content_type="application/json", **bearer(secret)
    )
    _problem(response, 400, "too_deep")
    assert Entry.objects.count() == 0


def test_validation_errors_name_each_field(api, make_key):
    _key, secret = make_key("read", "write-entries")
    response = api.post(
        "/api/v1/entries/",
        {
            "module": "technology",
            "kind": "technology",
            "title": 12,
            "summary": ["a"],
            "language": "xx",
            "countries_of_origin": ["ZZZ"],
            "links": [{"url": "not a url"}],
        },
        format="json",
        **bearer(secret),
    )
    body = _problem(response, 400, "invalid")
    fields = {(error["field"], error["code"]) for error in body["errors"]}
    assert ("summary", "invalid") in fields
    assert ("language", "invalid_choice") in fields
    assert ("countries_of_origin", "does_not_exist") in fields
    assert ("links.0.url", "invalid") in fields
    assert Entry.objects.count() == 0


def test_missing_fields_are_required(api, make_key):
    _key, secret = make_key("read", "write-entries")
    body = _problem(
        api.post("/api/v1/entries/", {}, format="json", **bearer(secret)), 400, "invalid"
    )
    required = {error["field"] for error in body["errors"] if error["code"] == "required"}
    assert required == {"module", "kind", "title", "summary", "language"}


def test_unknown_fields_are_rejected(api, make_key):
    _key, secret = make_key("read", "write-entries")
    response = api.post(
        "/api/v1/entries/",
        {
            "module": "technology",
            "kind": "technology",
            "title": "T",
            "summary": "S",
            "language": "en",
            "colour": "blue",
            "status": "published",
        },
        format="json",
        **bearer(secret),
    )
    body = _problem(response, 400, "invalid")
    assert {(e["field"], e["code"]) for e in body["errors"]} == {
        ("colour", "unknown_field"),
        ("status", "unknown_field"),
    }
    assert Entry.objects.count() == 0


def test_a_list_instead_of_an_object_is_invalid(api, make_key):
    _key, secret = make_key("read", "write-entries")
    response = api.post("/api/v1/entries/", [1, 2], format="json", **bearer(secret))
    _problem(response, 400, "invalid")


def test_domain_error_is_a_400_with_its_message(api, make_key):
    """A field that is not part of the module: the service's ApplicationError."""
    _key, secret = make_key("read", "write-entries")
    response = api.post(
        "/api/v1/entries/",
        {
            "module": "technology",
            "kind": "technology",
            "title": "T",
            "summary": "S",
            "language": "en",
            "venue": "Nairobi",
        },
        format="json",
        **bearer(secret),
    )
    body = _problem(response, 400, "application_error")
    assert body["detail"] == "These fields are not part of this module: venue."
    assert Entry.objects.count() == 0


def test_kind_not_of_the_module_lists_field_errors(api, make_key):
    _key, secret = make_key("read", "write-entries")
    response = api.post(
        "/api/v1/entries/",
        {"module": "technology", "kind": "webinar", "title": "T", "summary": "S", "language": "en"},
        format="json",
        **bearer(secret),
    )
    body = _problem(response, 400, "application_error")
    assert [e["field"] for e in body["errors"]] == ["kind"]
    assert Entry.objects.count() == 0


def test_write_to_a_published_entry_of_another_organization_is_forbidden(api, make_key):
    _key, secret = make_key("read", "write-entries")
    other = EntryFactory(title="Theirs")
    response = api.patch(
        f"/api/v1/entries/{other.pk}/", {"title": "Mine now"}, format="json", **bearer(secret)
    )
    _problem(response, 403, "forbidden")
    other.refresh_from_db()
    assert other.title == "Theirs"

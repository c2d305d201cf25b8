"""Every page of the portal either is public on purpose or refuses an anonymous visitor.

The test walks the URL configuration, so that a page added later without a permission check
fails here until it is listed as public or protected. Each app's own tests check the roles and
someone else's objects in detail.
"""

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import User
from catalog.models import Entry
from matching.models import Need
from tests.factories import DraftNeedFactory, EntryFactory, NeedFactory

pytestmark = pytest.mark.django_db

# Pages anyone may open, listed one by one: the catalogue, search, open needs, and the account
# pages that exist to let people in (sign-in, sign-up by invitation, password reset, access and
# erasure requests, the links sent by e-mail).
PUBLIC = {
    "",
    "healthz",
    # The user and operations manual (exchange/help.py).
    "help/",
    "help/<path:path>",
    "i18n/setlang/",
    "<module:module>/",
    "<module:module>/<int:pk>/",
    "organizations/",
    "organizations/<int:pk>/",
    "search/",
    "search/export.csv",
    # Aggregate, anonymous figures (tests/reports/test_statistics.py).
    "statistics/",
    # OAI-PMH: harvesters read the published catalogue (deleted records: ids and dates only).
    "oai/",
    "needs/",
    "needs/<int:pk>/",
    "accounts/login/",
    "accounts/login/code/confirm/",
    "accounts/logout/",
    "accounts/signup/",
    "accounts/inactive/",
    "accounts/confirm-email/",
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$",
    "accounts/password/reset/",
    "accounts/password/reset/done/",
    "accounts/password/reset/key/done/",
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
    "accounts/reauthenticate/",
    "accounts/reauthenticate/code/",
    "accounts/reauthenticate/code/confirm/",
    "accounts/request-access/",
    "accounts/request-access/sent/",
    "accounts/invitations/<str:key>/",
    "accounts/privacy/erase/",
    "accounts/privacy/erase/sent/",
    "accounts/privacy/confirm/<str:key>/",
}
# The API's reads that anonymous clients may make (tests/api checks what each returns, and that
# anonymous writes are refused): published entries, organizations, vocabularies, deletions, the
# schema and its documentation, and the 404 of unknown paths.
PUBLIC_API = re.compile(
    r"^api/v1/(schema/|docs/|redoc/|\^\[\\s\\S\]\*\$|"
    r"\^(entries|organizations|deletions|countries|regions|themes|sdg-goals|sdg-targets|"
    r"support-kinds|catalog)(/\(\?P<\w+>[^)]*\))?/\$|"
    # The open needs an entry could serve are public, as on the entry's page.
    r"\^entries/\(\?P<entry_id>[^)]*\)/needs/\$)$"
)
# Django's admin protects itself (its own tests cover it); static and media are files.
SKIPPED = re.compile(r"^(admin/|static/|media/|__debug__/)")


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, route)
        else:
            yield route, pattern


def _concrete(route: str, values: dict[str, str]) -> str:
    """A route with its converters replaced by real values ("needs/<int:pk>/" -> "needs/7/")."""

    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if converter == "module":
            return "technologies"
        if converter == "int":
            return values.get(name, values["pk"])
        return values.get(name, "not-a-real-key")

    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: f"<{match.group(1)}>", route)
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route).replace("^", "").replace("$", "")


def protected_routes() -> list[str]:
    return sorted(
        {
            route
            for route, _pattern in _patterns(get_resolver())
            if not SKIPPED.match(route)
            and route not in PUBLIC
            and not PUBLIC_API.match(route)
            # The router's ".json" variants of each route lead to the same views.
            and "(?P<format>" not in route
        }
    )


def test_the_url_configuration_has_protected_pages_to_check() -> None:
    # Guards the walk itself: these pages are known to be protected.
    routes = protected_routes()
    assert "search/saved/" in routes
    assert "accounts/privacy/requests/" in routes
    # Partner sync, staff only (tests/partners/test_health.py checks non-staff are refused).
    assert {
        "partners/sources/",
        "partners/sources/<int:pk>/",
        "partners/runs/<int:pk>/",
        "partners/runs/<int:pk>/status.json",
        "partners/conflicts/<int:pk>/resolve/",
        "partners/organizations/duplicates/",
        "partners/organizations/merge/",
        "partners/spreadsheets/template.xlsx",
        "partners/spreadsheets/template.csv",
        "partners/spreadsheets/upload/",
        "partners/spreadsheets/<str:token>/",
        "partners/spreadsheets/<str:token>/confirm/",
    } <= set(routes)
    assert "api/v1/^needs/$" in routes
    assert "api/v1/^entries/(?P<pk>[0-9]{1,18})/submit/$" in routes
    assert any(route.startswith("needs/") for route in routes), routes
    assert any(route.startswith("inbox/") for route in routes), routes
    # Every page listed as public exists, so the list cannot hide a renamed page.
    assert PUBLIC <= {route for route, _pattern in _patterns(get_resolver())}


@pytest.mark.parametrize("route", protected_routes())
def test_anonymous_visitor_is_refused_and_changes_nothing(client: Client, route: str) -> None:
    draft: Need = DraftNeedFactory(title="Draft need of the Africa office")
    NeedFactory()
    entry: Entry = EntryFactory(status=Entry.Status.DRAFT, title="Draft entry")
    values = {"pk": str(draft.pk), "need_pk": str(draft.pk), "entry_pk": str(entry.pk)}
    path = _concrete(route, values)
    before = (
        list(Need.objects.values_list("pk", "status", "title").order_by("pk")),
        list(Entry.objects.values_list("pk", "status", "title").order_by("pk")),
        User.objects.count(),
    )

    for method in ("get", "post"):
        response = getattr(client, method)(path)
        if response.status_code in (301, 302):
            assert response["Location"].startswith("/accounts/login/"), (method, path)
        else:
            assert response.status_code in (401, 403, 404, 405), (
                method,
                path,
                response.status_code,
            )
            assert "Draft need of the Africa office" not in response.content.decode()

    after = (
        list(Need.objects.values_list("pk", "status", "title").order_by("pk")),
        list(Entry.objects.values_list("pk", "status", "title").order_by("pk")),
        User.objects.count(),
    )
    assert after == before

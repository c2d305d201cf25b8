"""Schemathesis over the live OpenAPI schema, with an API key: no 5xx, and every response
conforms to the schema (status, content type, headers, body). Bounded to a few examples per
operation so that the suite stays fast."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from accounts import api_keys
from accounts.models import Membership, User
from catalog.models import Organization
from matching.models import Match
from search import indexer
from tests.factories import (
    DraftNeedFactory,
    EntryFactory,
    MatchFactory,
    MembershipFactory,
    NeedFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db

KEY_HEADER: dict[str, str] = {}
# Ids of objects the key may see, by the path parameter that names them, so that the fuzzer
# reaches beyond the 404s of random ids: every other example of an operation uses them.
REAL_IDS: dict[str, dict[str, int]] = {}
EXAMPLES_SEEN: dict[str, int] = {}

# The schema as the running application serves it (no database needed to generate it).
# schemathesis's `from_fixture` does not run under pytest 9, hence the module-level load.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


@pytest.fixture(autouse=True)
def connection_kept_open() -> Iterator[None]:
    """Requests go through the WSGI handler, which closes the database connection after each
    one; the test's transaction must survive them (Django's test client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def catalogue_and_key(settings: Any, connection_kept_open: None) -> None:
    settings.API_KEY_THROTTLE_RATE = "100000/hour"
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    organization: Organization = OrganizationFactory()
    admin: User = MembershipFactory(
        organization=organization, role=Membership.Role.ADMINISTRATOR
    ).user
    # Ids far from those the fuzzer tries on its own (0, 1, boundaries), so that only the
    # examples given REAL_IDS reach these objects.
    entry = EntryFactory(providers=[organization], pk=987_654)
    EntryFactory(providers=[organization], status="draft")
    need = NeedFactory(pk=987_654)
    DraftNeedFactory()
    # A match the key's organization follows (its entry, contacted) and a suggestion of the same
    # need that it does not see.
    match = MatchFactory(
        pk=987_654, need=need, entry=entry, status=Match.Status.CONTACTED, score=0.8
    )
    MatchFactory(need=need, score=0.7)
    REAL_IDS.clear()
    REAL_IDS.update(
        {
            "/api/v1/matches/": {"id": match.pk},
            "/api/v1/needs/": {"id": need.pk},
            "/api/v1/entries/": {"id": entry.pk, "entry_id": entry.pk},
        }
    )
    _key, secret = api_keys.api_key_create(
        organization=organization,
        by=admin,
        name="fuzzer",
        scopes=["read", "write-entries", "write-needs", "manage-matches"],
    )
    KEY_HEADER["Authorization"] = f"Bearer {secret}"
    indexer.index_rebuild()


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_conforms_to_its_schema(case: Any) -> None:
    # Every check but "a schema-valid request is accepted": the schema cannot say that a
    # moment must not be in the future, that a filter value must be known, or that a write
    # must concern one's own organization, all of which are documented 400/403/404s.
    excluded_checks = [positive_data_acceptance]
    for prefix, ids in REAL_IDS.items():
        if case.operation.path.startswith(prefix) and case.path_parameters:
            seen = EXAMPLES_SEEN[case.operation.label] = (
                EXAMPLES_SEEN.get(case.operation.label, 0) + 1
            )
            if seen % 2:
                case.path_parameters = {
                    **case.path_parameters,
                    **{name: ids[name] for name in case.path_parameters if name in ids},
                }
                # With a real id put in, a generated negative example may have become a valid
                # request; its answer must still conform to the schema and not be a 5xx.
                excluded_checks.append(negative_data_rejection)
    case.call_and_validate(headers=KEY_HEADER, excluded_checks=excluded_checks)

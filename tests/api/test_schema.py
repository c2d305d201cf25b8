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
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts import api_keys
from accounts.models import Membership, User
from catalog.models import Organization
from search import indexer
from tests.factories import (
    DraftNeedFactory,
    EntryFactory,
    MembershipFactory,
    NeedFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db

KEY_HEADER: dict[str, str] = {}

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
    EntryFactory(providers=[organization])
    EntryFactory(providers=[organization], status="draft")
    NeedFactory()
    DraftNeedFactory()
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
    case.call_and_validate(headers=KEY_HEADER, excluded_checks=[positive_data_acceptance])

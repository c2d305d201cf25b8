"""A real HTTP receiver on 127.0.0.1 for the webhook tests, and the people and keys they use."""

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts import api_keys
from accounts.models import ApiKey, Membership, User
from catalog.models import Country, Organization
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from webhooks import services
from webhooks.models import Webhook


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with the next of `answers` (status, body, delay in seconds); the last
    one once they run out."""

    port: int
    answers: list[tuple[int, bytes, float]] = field(default_factory=lambda: [(200, b"ok", 0.0)])
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/exchange"

    def answer(self, *answers: tuple[int, bytes, float]) -> None:
        self.answers = list(answers)

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(port=0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.received.append(
                Received(path=self.path, headers=dict(self.headers.items()), body=body)
            )
            status, answer, delay = (
                state.answers.pop(0) if len(state.answers) > 1 else state.answers[0]
            )
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """A transactional test empties the database when it ends: load the reference data again
    when an earlier one emptied it (as tests/browser/conftest.py does)."""
    if not Country.objects.exists():
        call_command("load_reference", verbosity=0)


@pytest.fixture
def local_receivers(settings: Any) -> None:
    """The receiver on 127.0.0.1 may be called (over http)."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def organization() -> Organization:
    return OrganizationFactory(name="Centre for Water Solutions")


@pytest.fixture
def admin(organization: Organization) -> User:
    return MembershipFactory(
        organization=organization, role=Membership.Role.ADMINISTRATOR, user=UserFactory()
    ).user


@pytest.fixture
def other_organization() -> Organization:
    return OrganizationFactory(name="Institute of Solar Energy")


@pytest.fixture
def other_admin(other_organization: Organization) -> User:
    return MembershipFactory(
        organization=other_organization,
        role=Membership.Role.ADMINISTRATOR,
        user=UserFactory(),
    ).user


@pytest.fixture
def make_key(organization: Organization, admin: User) -> Callable[..., tuple[ApiKey, str]]:
    def make(*scopes: str, org: Organization | None = None, by: User | None = None) -> Any:
        return api_keys.api_key_create(
            organization=org or organization,
            by=by or admin,
            name=f"key {ApiKey.objects.count()}",
            scopes=list(scopes) or ["read"],
        )

    return make


@pytest.fixture
def make_webhook(
    organization: Organization, admin: User, local_receivers: None
) -> Callable[..., tuple[Webhook, str]]:
    def make(url: str, *events: str, org: Organization | None = None, **kwargs: Any) -> Any:
        return services.webhook_create(
            organization=org or organization,
            by=admin,
            url=url,
            event_types=list(events) or ["entry.changed", "need.changed", "match.strong"],
            **kwargs,
        )

    return make


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

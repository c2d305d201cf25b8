"""People in every role, around one Kenyan organization (tests/accounts/)."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from accounts.models import Membership, User
from catalog.models import Organization
from tests.factories import (
    MembershipFactory,
    OfficerFactory,
    OrganizationFactory,
    StaffUserFactory,
    UserFactory,
)

PASSWORD = "correct-horse-battery-staple"


def verified(user: Any) -> User:
    """Give the user the verified e-mail address that allauth asks for at sign-in."""
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def organization() -> Organization:
    return OrganizationFactory(name="Kenya Forestry Research Institute", acronym="KEFRI")


@pytest.fixture
def partner_admin(organization: Organization) -> User:
    return MembershipFactory(
        organization=organization,
        role=Membership.Role.ADMINISTRATOR,
        user=UserFactory(email="admin@kefri.example.org", first_name="Wanjiru", last_name="Kamau"),
    ).user


@pytest.fixture
def contributor(organization: Organization) -> User:
    return MembershipFactory(
        organization=organization, user=UserFactory(email="contributor@kefri.example.org")
    ).user


@pytest.fixture
def other_admin() -> User:
    """Administrator of another organization."""
    return MembershipFactory(role=Membership.Role.ADMINISTRATOR).user


@pytest.fixture
def officer() -> User:
    return OfficerFactory()


@pytest.fixture
def staff() -> User:
    return StaffUserFactory()


@pytest.fixture
def client_for(client: Client) -> Callable[[User | None], Client]:
    """A client signed in as `user` (anonymous for None)."""

    def signed_in(user: User | None) -> Client:
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return signed_in


@pytest.fixture(autouse=True)
def own_cache(settings: Any) -> None:
    """A fresh cache per test: the rate limits that allauth and our forms keep there start at
    zero, and no test leaves counts behind in the shared Redis."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"accounts-tests-{uuid.uuid4()}",
        }
    }

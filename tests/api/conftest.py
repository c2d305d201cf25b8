from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import api_keys
from accounts.models import ApiKey, Membership
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture(autouse=True)
def fresh_throttles() -> Iterator[None]:
    """Throttle counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def organization() -> Any:
    return OrganizationFactory(name="Centre for Water Solutions")


@pytest.fixture
def admin(organization: Any) -> Any:
    """An administrator of `organization`."""
    return MembershipFactory(
        organization=organization, role=Membership.Role.ADMINISTRATOR, user=UserFactory()
    ).user


@pytest.fixture
def make_key(organization: Any, admin: Any) -> Callable[..., tuple[ApiKey, str]]:
    def make(*scopes: str, org: Any = None, by: Any = None, **kwargs: Any) -> tuple[ApiKey, str]:
        return api_keys.api_key_create(
            organization=org or organization,
            by=by or admin,
            name=kwargs.pop("name", f"key {ApiKey.objects.count()}"),
            scopes=scopes or ["read"],
            **kwargs,
        )

    return make


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

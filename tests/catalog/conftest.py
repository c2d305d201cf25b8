"""People and forms shared by the contribution, moderation and reconfirmation tests."""

import uuid
from typing import Any

import pytest

from accounts.models import Membership, User
from catalog.models import Organization, Theme
from tests.factories import MembershipFactory, OrganizationFactory, StaffUserFactory


@pytest.fixture
def organization() -> Organization:
    return OrganizationFactory(name="Kenya Water Centre")


@pytest.fixture
def partner(organization: Organization) -> User:
    """A partner contributor of the Kenya Water Centre."""
    membership: Membership = MembershipFactory(
        organization=organization, user__email="wanjiru@example.org"
    )
    return membership.user


@pytest.fixture
def colleague(organization: Organization) -> User:
    """Another member of the same organization."""
    membership: Membership = MembershipFactory(
        organization=organization, user__email="otieno@example.org"
    )
    return membership.user


@pytest.fixture
def other_partner() -> User:
    """A partner of another organization."""
    membership: Membership = MembershipFactory(
        organization=OrganizationFactory(name="Andes Solar Institute"),
        user__email="rosa@example.org",
    )
    return membership.user


@pytest.fixture
def staff() -> User:
    return StaffUserFactory(email="moderator@example.org")


def links_management(total: int = 2, initial: int = 0) -> dict[str, str]:
    return {
        "links-TOTAL_FORMS": str(total),
        "links-INITIAL_FORMS": str(initial),
        "links-MIN_NUM_FORMS": "0",
        "links-MAX_NUM_FORMS": "10",
    }


def technology_form(organization: Organization | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid POST of the new-technology form; `overrides` replace or add fields."""
    data: dict[str, Any] = {
        "kind": "technology",
        "title": "Solar-powered drip irrigation",
        "summary": "Drip lines fed by a solar pump for smallholder farms.",
        "body": "Tested in Machakos county since 2021.",
        "language": "en",
        "contact_name": "Wanjiru Kamau",
        "contact_email": "wanjiru.kamau@example.org",
        "themes": [Theme.objects.get(code="climate-change").pk],
        **links_management(),
        "links-0-url": "https://example.org/drip-manual",
        "links-0-label": "Manual",
        "links-1-url": "",
        "links-1-label": "",
    }
    if organization is not None:
        data["organization"] = organization.pk
        data["creation_key"] = str(uuid.uuid4())
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def edit_form(entry: Any, **overrides: Any) -> dict[str, Any]:
    """A POST of the edit form that keeps the entry as it is, except for `overrides`."""
    data: dict[str, Any] = {
        "kind": entry.kind,
        "title": entry.title,
        "summary": entry.summary,
        "body": entry.body,
        "language": entry.language,
        "contact_name": entry.contact_name,
        "contact_email": entry.contact_email,
        "themes": [theme.pk for theme in entry.themes.all()],
        **links_management(total=len(entry.links.all())),
    }
    for n, link in enumerate(entry.links.order_by("pk")):
        data[f"links-{n}-url"] = link.url
        data[f"links-{n}-label"] = link.label
    data.update(overrides)
    return data

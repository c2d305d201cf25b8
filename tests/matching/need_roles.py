"""The people who meet a need on the portal, and a snapshot of what a refused request must leave
unchanged. Shared by the need page and screening tests."""

from dataclasses import dataclass
from typing import Any

from django.test import Client

from accounts.models import User
from catalog.models import RegionalOffice
from matching.models import Need, NeedReview
from notifications.models import Notification
from tests.factories import MembershipFactory, OfficerFactory, StaffUserFactory

ROLES = ("anonymous", "partner", "other_officer", "officer", "staff")


@dataclass
class Roles:
    officer: User  # of the Africa office, the office of the needs under test
    colleague: User  # another officer of the Africa office
    other_officer: User  # of the Asia and the Pacific office
    partner: User
    staff: User

    def get(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)

    def client(self, role: str) -> Client:
        client = Client()
        user = self.get(role)
        if user is not None:
            client.force_login(user)
        return client


def make_roles(settings: Any) -> Roles:
    # Five users: a fast hasher saves seconds a test (no test here is about passwords).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    asia = RegionalOffice.objects.get(code=RegionalOffice.Code.ASIA_PACIFIC)
    users: dict[str, Any] = {
        "officer": OfficerFactory(email="officer@unep.example"),
        "colleague": OfficerFactory(email="colleague@unep.example"),
        "other_officer": OfficerFactory(email="asia@unep.example", regional_office=asia),
        "partner": MembershipFactory(user__email="partner@example.org").user,
        "staff": StaffUserFactory(email="staff@unep.example"),
    }
    return Roles(**users)


def database_state() -> dict[str, Any]:
    """Everything a need request could change: needs with their relations, reviews and
    notifications."""
    needs = []
    for need in Need.objects.order_by("pk"):
        needs.append(
            (
                tuple(Need.objects.filter(pk=need.pk).values().get().items()),
                tuple(need.countries.values_list("pk", flat=True).order_by("pk")),
                tuple(need.themes.values_list("pk", flat=True).order_by("pk")),
                tuple(need.sdg_targets.values_list("pk", flat=True).order_by("pk")),
                tuple(need.support_kinds.values_list("pk", flat=True).order_by("pk")),
            )
        )
    return {
        "needs": needs,
        "reviews": list(NeedReview.objects.order_by("pk").values()),
        "notifications": list(Notification.objects.order_by("pk").values()),
        "history": Need.history.count(),
    }

"""The need admin: filters, workflow actions through the services, and the required countries."""

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import User
from catalog.models import RegionalOffice, SupportKind
from matching.models import Need
from tests.factories import DraftNeedFactory, NeedFactory, country

pytestmark = pytest.mark.django_db

Status = Need.Status
CHANGELIST = reverse("admin:matching_need_changelist")
ADD = reverse("admin:matching_need_add")


def listed(response: Any) -> set[int]:
    assert response.status_code == 200
    return {need.pk for need in response.context["cl"].result_list}


def message_texts(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def row(need: Need) -> dict[str, Any]:
    return dict(Need.objects.filter(pk=need.pk).values().get())


def test_needs_filter_by_status_office_priority_and_origin(admin_client: Client) -> None:
    asia = RegionalOffice.objects.get(code=RegionalOffice.Code.ASIA_PACIFIC)
    kenya_high: Need = NeedFactory(priority=Need.Priority.HIGH, status=Status.SUBMITTED)
    nepal_nap: Need = NeedFactory(
        countries=[country("NPL")], regional_office=asia, origin=Need.Origin.NAP
    )

    assert listed(admin_client.get(CHANGELIST, {"status__exact": "submitted"})) == {kenya_high.pk}
    assert listed(admin_client.get(CHANGELIST, {"regional_office__id__exact": asia.pk})) == {
        nepal_nap.pk
    }
    assert listed(admin_client.get(CHANGELIST, {"priority__exact": "high"})) == {kenya_high.pk}
    assert listed(admin_client.get(CHANGELIST, {"origin__exact": "nap"})) == {nepal_nap.pk}


def test_submit_validate_and_open_actions_move_needs_through_the_workflow(
    admin_client: Client, admin_user: User
) -> None:
    need: Need = DraftNeedFactory()

    for action, status in (
        ("submit", Status.SUBMITTED),
        ("validate", Status.VALIDATED),
        ("open", Status.OPEN),
    ):
        response = admin_client.post(CHANGELIST, {"action": action, "_selected_action": [need.pk]})
        assert response.status_code == 302
        assert row(need)["status"] == status

    stored = row(need)
    assert (stored["submitted_by_id"], stored["validated_by_id"]) == (admin_user.pk, admin_user.pk)
    assert stored["submitted_at"] <= stored["validated_at"] <= stored["opened_at"]


def test_an_action_reports_the_needs_it_could_not_change_and_leaves_them(
    admin_client: Client,
) -> None:
    submitted: Need = NeedFactory(status=Status.SUBMITTED, title="Ready")
    opened: Need = NeedFactory(status=Status.OPEN, title="Already open")
    before = row(opened)

    response = admin_client.post(
        CHANGELIST, {"action": "validate", "_selected_action": [submitted.pk, opened.pk]}
    )

    assert response.status_code == 302
    assert row(submitted)["status"] == Status.VALIDATED
    assert row(opened) == before
    assert message_texts(response) == [
        "Already open: Only a submitted need can be validated; this need is open.",
        "Validated 1 need.",
    ]


def test_submit_from_the_change_page(admin_client: Client) -> None:
    need: Need = DraftNeedFactory()

    response = admin_client.post(
        reverse("admin:matching_need_change", args=[need.pk]),
        {"CHANGE_FORM-action": "submit", "_selected_action": str(need.pk)},
    )

    assert response.status_code == 302
    assert row(need)["status"] == Status.SUBMITTED


def test_close_asks_for_a_reason_then_closes_the_selected_needs(
    admin_client: Client, admin_user: User
) -> None:
    first: Need = NeedFactory()
    second: Need = NeedFactory(status=Status.VALIDATED)
    other: Need = NeedFactory()
    selection = {"action": "close", "_selected_action": [first.pk, second.pk]}

    asked = admin_client.post(CHANGELIST, selection)
    without_reason = admin_client.post(CHANGELIST, selection | {"apply": "yes", "reason": " "})
    assert row(first)["status"] == Status.OPEN
    closed = admin_client.post(
        CHANGELIST, selection | {"apply": "yes", "reason": "Met by a national programme."}
    )

    assert asked.status_code == 200
    assert [t.name for t in asked.templates][0] == "admin/matching/need/close_selected.html"
    assert {need.pk for need in asked.context["needs"]} == {first.pk, second.pk}
    assert without_reason.status_code == 200
    assert without_reason.context["form"].errors == {"reason": ["This field is required."]}
    assert closed.status_code == 302
    for need in (first, second):
        stored = row(need)
        assert (stored["status"], stored["closed_by_id"], stored["closed_reason"]) == (
            Status.CLOSED,
            admin_user.pk,
            "Met by a national programme.",
        )
    assert row(other)["status"] == Status.OPEN
    assert message_texts(closed) == ["Closed 2 needs."]


def need_form(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Coastal flood forecasting",
        "description": "Train forecasters to run a coastal flood model.",
        "language": "en",
        "support_kinds": [str(SupportKind.objects.get(code=SupportKind.Code.TRAINING).pk)],
        "priority": "high",
        "time_frame": "short",
        "regional_office": str(RegionalOffice.objects.get(code="africa").pk),
        "origin": "nap",
        "origin_reference": "",
    } | fields


def test_a_need_without_countries_is_refused(admin_client: Client) -> None:
    response = admin_client.post(ADD, need_form())

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["countries"] == ["This field is required."]
    assert not Need.objects.exists()


def test_adding_a_need_makes_a_draft_created_by_the_staff_member(
    admin_client: Client, admin_user: User
) -> None:
    response = admin_client.post(ADD, need_form(countries=[str(country("MOZ").pk)], status="open"))

    assert response.status_code == 302
    need = Need.objects.get()
    assert (need.status, need.created_by) == (Status.DRAFT, admin_user)
    assert [c.iso3 for c in need.countries.all()] == ["MOZ"]

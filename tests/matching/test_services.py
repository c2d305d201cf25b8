"""The workflow of a need: each allowed step records who and when; every other step is refused
with a message and leaves the database as it was."""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from accounts.models import User
from exchange.errors import ApplicationError
from matching.models import Need
from matching.services import need_close, need_open, need_submit, need_validate
from tests.factories import DraftNeedFactory, NeedFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = Need.Status
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


def row(need: Need) -> dict[str, Any]:
    return dict(Need.objects.filter(pk=need.pk).values().get())


@pytest.fixture
def staff() -> User:
    user: User = StaffUserFactory()
    return user


@pytest.fixture
def officer() -> User:
    user: User = UserFactory()
    return user


@time_machine.travel(NOW, tick=False)
def test_submitting_a_draft_records_who_and_when(officer: User) -> None:
    need: Need = DraftNeedFactory()

    returned = need_submit(need=need, by=officer)

    assert returned is need
    stored = row(need)
    assert (stored["status"], stored["submitted_by_id"], stored["submitted_at"]) == (
        Status.SUBMITTED,
        officer.pk,
        NOW,
    )


@time_machine.travel(NOW, tick=False)
def test_staff_validate_a_submitted_need(staff: User) -> None:
    need: Need = NeedFactory(status=Status.SUBMITTED)

    need_validate(need=need, by=staff)

    stored = row(need)
    assert (stored["status"], stored["validated_by_id"], stored["validated_at"]) == (
        Status.VALIDATED,
        staff.pk,
        NOW,
    )


@time_machine.travel(NOW, tick=False)
def test_staff_open_a_validated_need(staff: User) -> None:
    need: Need = NeedFactory(status=Status.VALIDATED)

    need_open(need=need, by=staff)

    stored = row(need)
    assert (stored["status"], stored["opened_at"], stored["opened_by_id"]) == (
        Status.OPEN,
        NOW,
        staff.pk,
    )


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.CLOSED])
def test_staff_close_a_need_at_any_stage_saying_why(staff: User, status: str) -> None:
    need: Need = NeedFactory(status=status)

    need_close(need=need, by=staff, reason="  Met by a national programme.  ")

    stored = row(need)
    assert (stored["status"], stored["closed_by_id"], stored["closed_at"]) == (
        Status.CLOSED,
        staff.pk,
        NOW,
    )
    assert stored["closed_reason"] == "Met by a national programme."


STEPS: dict[str, Callable[..., Need]] = {
    "submit": need_submit,
    "validate": need_validate,
    "open": need_open,
    "close": lambda *, need, by: need_close(need=need, by=by, reason="Duplicate."),
}
EXPECTED = {
    "submit": "Only a draft need can be submitted",
    "validate": "Only a submitted need can be validated",
    "open": "Only a validated need can be opened",
}
ALLOWED_FROM = {
    "submit": Status.DRAFT,
    "validate": Status.SUBMITTED,
    "open": Status.VALIDATED,
}


@pytest.mark.parametrize(
    ("step", "status"),
    [
        (step, status)
        for step, allowed in ALLOWED_FROM.items()
        for status in Status.values
        if status != allowed
    ],
)
def test_a_step_from_the_wrong_status_is_refused_and_changes_nothing(
    staff: User, step: str, status: str
) -> None:
    need: Need = DraftNeedFactory(status=status, closed_reason="Earlier reason.")
    before = row(need)

    with pytest.raises(ApplicationError) as error:
        STEPS[step](need=need, by=staff)

    label = Status(status).label.lower()
    assert error.value.message == f"{EXPECTED[step]}; this need is {label}."
    assert row(need) == before


def test_closing_a_closed_need_is_refused(staff: User) -> None:
    need: Need = NeedFactory(status=Status.CLOSED, closed_reason="Duplicate.")
    before = row(need)

    with pytest.raises(ApplicationError, match="^This need is already closed.$"):
        need_close(need=need, by=staff, reason="Another reason.")

    assert row(need) == before


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_closing_without_a_reason_is_refused(staff: User, reason: str) -> None:
    need: Need = NeedFactory(status=Status.OPEN)
    before = row(need)

    with pytest.raises(ApplicationError, match="^Say why this need is being closed.$"):
        need_close(need=need, by=staff, reason=reason)

    assert row(need) == before


@pytest.mark.parametrize(
    ("step", "status", "message"),
    [
        ("validate", Status.SUBMITTED, "Only programme staff can validate needs."),
        ("open", Status.VALIDATED, "Only programme staff can open needs."),
        ("close", Status.OPEN, "Only programme staff can close needs."),
    ],
)
def test_someone_who_is_not_staff_cannot_decide_on_needs(
    officer: User, step: str, status: str, message: str
) -> None:
    need: Need = NeedFactory(status=status)
    before = row(need)

    with pytest.raises(ApplicationError) as error:
        STEPS[step](need=need, by=officer)

    assert error.value.message == message
    assert row(need) == before


def test_a_draft_without_countries_or_support_cannot_be_submitted(officer: User) -> None:
    need: Need = DraftNeedFactory(support_kinds=[])
    need.countries.clear()
    before = row(need)

    with pytest.raises(ApplicationError) as error:
        need_submit(need=need, by=officer)

    assert error.value.message == (
        "Add a country and a kind of support to this need before submitting it."
    )
    assert row(need) == before


def test_a_draft_with_an_invalid_field_cannot_be_submitted(officer: User) -> None:
    need: Need = DraftNeedFactory(priority="urgent")
    before = row(need)

    with pytest.raises(ApplicationError) as error:
        need_submit(need=need, by=officer)

    assert error.value.message.startswith("This need cannot be submitted yet. ")
    assert "priority" in error.value.extra["fields"]
    assert row(need) == before

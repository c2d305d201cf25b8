"""Screening by programme staff: the criteria on the form, validating or returning with a comment
(and who is told), opening and closing, for every role; the whole life of a need."""

import datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from accounts.models import User
from catalog.models import SupportKind
from exchange.errors import ApplicationError
from matching.models import Need, NeedReview
from matching.services import need_return, need_submit, need_validate
from notifications.models import Notification
from tests.factories import DraftNeedFactory, NeedFactory, StaffUserFactory, country
from tests.matching.need_roles import ROLES, Roles, database_state, make_roles

pytestmark = pytest.mark.django_db

Status = Need.Status
Kind = Notification.Kind
SCREENING = reverse("matching:screening_list")
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def roles(settings: Any) -> Roles:
    return make_roles(settings)


@pytest.fixture
def submitted(roles: Roles) -> Need:
    need: Need = NeedFactory(
        title="Mangrove restoration",
        status=Status.SUBMITTED,
        created_by=roles.officer,
        submitted_by=roles.officer,
        submitted_at=NOW,
        countries=[country("KEN"), country("UGA"), country("MUS")],
    )
    return need


def url(name: str, need: Need) -> str:
    return reverse(f"matching:{name}", kwargs={"pk": need.pk})


def screening(decision: str, **overrides: Any) -> dict[str, str]:
    return {
        "fits_national_priorities": "yes",
        "ldc_sids_priority": "no",
        "is_clear": "yes",
        "comment": "",
        "decision": decision,
        **overrides,
    }


def notified(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


# The screening form


def test_screening_page_shows_the_criteria_and_ldc_sids_status(
    roles: Roles, submitted: Need
) -> None:
    response = roles.client("staff").get(url("need_screen", submitted))

    assert response.status_code == 200
    html = response.content.decode()
    for criterion in (
        "Does the need fit the national priorities of its countries?",
        "Is it a priority for least developed countries or small island developing states?",
        "Is the need clearly stated?",
    ):
        assert criterion in html
    assert '<tr><th scope="row">Uganda</th><td>yes</td><td>yes</td><td>no</td></tr>' in html
    assert '<tr><th scope="row">Mauritius</th><td>no</td><td>no</td><td>yes</td></tr>' in html
    assert '<tr><th scope="row">Kenya</th><td>no</td><td>no</td><td>no</td></tr>' in html


def test_staff_validate_with_the_criteria_answers(roles: Roles, submitted: Need) -> None:
    response = roles.client("staff").post(
        url("need_screen", submitted),
        screening("validate", ldc_sids_priority="yes", comment="Clear and well grounded."),
    )

    assert response.status_code == 302
    assert response["Location"] == SCREENING
    submitted.refresh_from_db()
    assert (submitted.status, submitted.validated_by) == (Status.VALIDATED, roles.staff)
    review = NeedReview.objects.get()
    assert (
        review.decision,
        review.by,
        review.comment,
        review.fits_national_priorities,
        review.ldc_sids_priority,
        review.is_clear,
    ) == (NeedReview.Decision.VALIDATED, roles.staff, "Clear and well grounded.", True, True, True)
    # The creator and the officers of the office, not the other office.
    assert notified(Kind.NEED_VALIDATED) == {"officer@unep.example", "colleague@unep.example"}


def test_staff_return_with_a_comment_the_officer_reads(roles: Roles, submitted: Need) -> None:
    comment = "Say which districts. <script>alert(1)</script>"

    response = roles.client("staff").post(
        url("need_screen", submitted), screening("return", is_clear="no", comment=comment)
    )

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.DRAFT
    review = NeedReview.objects.get()
    assert (review.decision, review.comment, review.is_clear) == ("returned", comment, False)
    [notification] = Notification.objects.filter(kind=Kind.RETURNED, recipient=roles.officer)
    assert notification.body == comment
    assert notification.url == url("need_detail", submitted)
    assert notified(Kind.RETURNED) == {"officer@unep.example", "colleague@unep.example"}
    officer = roles.client("officer")
    for page in (url("need_detail", submitted), url("need_review", submitted)):
        html = officer.get(page).content.decode()
        assert "Returned by programme staff" in html
        assert "Say which districts. &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_returning_without_a_comment_is_refused(roles: Roles, submitted: Need) -> None:
    before = database_state()

    response = roles.client("staff").post(url("need_screen", submitted), screening("return"))

    assert response.status_code == 400
    assert response.context["form"].errors == {"comment": ["Say what the officer should change."]}
    assert database_state() == before


def test_a_need_that_is_not_clear_cannot_be_validated(roles: Roles, submitted: Need) -> None:
    before = database_state()

    response = roles.client("staff").post(
        url("need_screen", submitted), screening("validate", is_clear="no")
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "A need that does not fit national priorities or is not clearly stated cannot be "
        "validated: return it with comments instead."
    ]
    assert database_state() == before


def test_every_criterion_must_be_answered(roles: Roles, submitted: Need) -> None:
    before = database_state()
    data = screening("validate")
    del data["fits_national_priorities"], data["is_clear"]

    response = roles.client("staff").post(url("need_screen", submitted), data)

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "fits_national_priorities": ["Answer this criterion."],
        "is_clear": ["Answer this criterion."],
    }
    assert database_state() == before


def test_a_double_click_on_validate_records_one_decision(roles: Roles, submitted: Need) -> None:
    client = roles.client("staff")

    client.post(url("need_screen", submitted), screening("validate"))
    second = client.post(url("need_screen", submitted), screening("validate"))

    assert second.status_code == 302
    assert second["Location"] == url("need_detail", submitted)
    assert NeedReview.objects.count() == 1
    assert Notification.objects.filter(kind=Kind.NEED_VALIDATED).count() == 2


@time_machine.travel(NOW + datetime.timedelta(days=3), tick=False)
def test_screening_list_shows_submitted_needs_oldest_first_with_age(roles: Roles) -> None:
    NeedFactory(title="Newer", status=Status.SUBMITTED, submitted_at=NOW)
    NeedFactory(
        title="Older", status=Status.SUBMITTED, submitted_at=NOW - datetime.timedelta(days=4)
    )
    DraftNeedFactory(title="Draft")
    NeedFactory(title="Open")

    response = roles.client("staff").get(SCREENING)

    assert response.status_code == 200
    assert [n.title for n in response.context["needs"]] == ["Older", "Newer"]
    html = response.content.decode()
    assert "1\xa0week" in html
    assert "3\xa0days" in html


# Open and close


def test_staff_open_a_validated_need_and_it_becomes_public(roles: Roles) -> None:
    need: Need = NeedFactory(title="Validated one", status=Status.VALIDATED)

    response = roles.client("staff").post(url("need_open", need))

    assert response["Location"] == url("need_detail", need)
    need.refresh_from_db()
    assert (need.status, need.opened_by) == (Status.OPEN, roles.staff)
    assert roles.client("anonymous").get(url("need_detail", need)).status_code == 200


def test_opening_a_need_that_is_not_validated_explains(roles: Roles, submitted: Need) -> None:
    before = database_state()
    client = roles.client("staff")

    response = client.post(url("need_open", submitted), follow=True)

    assert "Only a validated need can be opened; this need is submitted." in (
        response.content.decode()
    )
    assert database_state() == before


def test_staff_close_a_need_with_a_reason(roles: Roles) -> None:
    need: Need = NeedFactory()

    response = roles.client("staff").post(url("need_close", need), {"reason": "Met elsewhere"})

    assert response["Location"] == url("need_detail", need)
    need.refresh_from_db()
    assert (need.status, need.closed_reason, need.closed_by) == (
        Status.CLOSED,
        "Met elsewhere",
        roles.staff,
    )


def test_closing_without_a_reason_is_refused(roles: Roles) -> None:
    need: Need = NeedFactory()
    before = database_state()

    response = roles.client("staff").post(url("need_close", need), {"reason": "   "})

    assert response.status_code == 400
    assert response.context["form"].errors == {"reason": ["Say why this need is being closed."]}
    assert database_state() == before


# Who may screen


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_see_the_screening_list(roles: Roles, submitted: Need, role: str) -> None:
    response = roles.client(role).get(SCREENING)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == (200 if role == "staff" else 403)


# A submitted need of the Africa office: only staff and Africa officers see it.
REFUSED = {"anonymous": 302, "partner": 404, "other_officer": 404, "officer": 403}


@pytest.mark.parametrize("role", REFUSED)
@pytest.mark.parametrize(
    "name, data",
    [
        ("need_screen", screening("validate")),
        ("need_screen", screening("return", comment="No")),
        ("need_open", {}),
        ("need_close", {"reason": "Not needed"}),
    ],
)
def test_only_staff_screen_open_and_close(
    roles: Roles, submitted: Need, role: str, name: str, data: dict[str, str]
) -> None:
    if name == "need_open":
        Need.objects.filter(pk=submitted.pk).update(status=Status.VALIDATED)
    before = database_state()
    client = roles.client(role)

    get = client.get(url(name, submitted))
    post = client.post(url(name, submitted), data)

    assert post.status_code == REFUSED[role]
    if name != "need_open":  # POST only
        assert get.status_code == REFUSED[role]
    assert database_state() == before


def test_an_open_need_seen_by_the_public_cannot_be_closed(roles: Roles) -> None:
    need: Need = NeedFactory()
    before = database_state()

    response = roles.client("partner").post(url("need_close", need), {"reason": "Spam"})

    assert response.status_code == 403
    assert database_state() == before


# Services


def test_submitting_notifies_every_active_member_of_staff(roles: Roles) -> None:
    StaffUserFactory(email="retired@unep.example", is_active=False)
    need: Need = DraftNeedFactory(title="Coral reef monitoring")

    need_submit(need=need, by=roles.officer)

    assert notified(Kind.SUBMISSION_RECEIVED) == {"staff@unep.example"}
    notification = Notification.objects.get()
    assert notification.subject == "Need submitted for screening: Coral reef monitoring"
    assert notification.url == url("need_detail", need)


@pytest.mark.parametrize("by_role", ["officer", "partner"])
def test_only_staff_return_needs(roles: Roles, submitted: Need, by_role: str) -> None:
    before = database_state()
    by: User = getattr(roles, by_role)

    with pytest.raises(ApplicationError, match="Only programme staff can return needs."):
        need_return(need=submitted, by=by, comment="Change it")

    assert database_state() == before


def test_only_a_submitted_need_is_returned(roles: Roles) -> None:
    need: Need = DraftNeedFactory()

    with pytest.raises(
        ApplicationError, match="Only a submitted need can be returned; this need is draft."
    ):
        need_return(need=need, by=roles.staff, comment="Change it")


def test_validate_from_the_admin_records_a_decision_without_criteria(
    roles: Roles, submitted: Need
) -> None:
    need_validate(need=submitted, by=roles.staff)

    review = NeedReview.objects.get()
    assert (review.decision, review.fits_national_priorities, review.is_clear) == (
        "validated",
        None,
        None,
    )


# The whole life of a need


def test_life_of_a_need_from_draft_to_closed(roles: Roles) -> None:
    officer, staff = roles.client("officer"), roles.client("staff")
    officer.post(
        reverse("matching:need_create"),
        {
            "title": "Flood forecasting",
            "description": "Forecast river floods.",
            "language": "en",
            "creation_token": "0b6e4f00-0000-4000-8000-000000000001",
            "action": "next",
        },
    )
    need = Need.objects.get()
    step = lambda s: reverse("matching:need_step", kwargs={"pk": need.pk, "step": s})  # noqa: E731
    officer.post(step("where"), {"countries": [country("UGA").pk], "action": "next"})
    officer.post(
        step("support"),
        {
            "support_kinds": [SupportKind.objects.get(code="funding").pk],
            "priority": "high",
            "time_frame": "short",
            "needed_by": "",
            "origin": "nap",
            "origin_reference": "",
            "action": "next",
        },
    )
    officer.post(url("need_review", need))
    assert Need.objects.get().status == Status.SUBMITTED

    staff.post(url("need_screen", need), screening("return", comment="Name the rivers."))
    assert Need.objects.get().status == Status.DRAFT
    officer.post(
        step("what"),
        {
            "title": "Flood forecasting",
            "description": "Forecast floods of the Nile and its tributaries.",
            "language": "en",
            "action": "next",
        },
    )
    officer.post(url("need_review", need))
    staff.post(url("need_screen", need), screening("validate", ldc_sids_priority="yes"))
    staff.post(url("need_open", need))
    public = roles.client("anonymous").get(reverse("matching:need_list"))
    staff.post(url("need_close", need), {"reason": "Met by a national programme."})

    need.refresh_from_db()
    assert need.status == Status.CLOSED
    assert [r.decision for r in need.reviews.order_by("pk")] == ["returned", "validated"]
    assert [n.title for n in public.context["page_obj"]] == ["Flood forecasting"]
    assert list(Notification.objects.order_by("pk").values_list("kind", "recipient__email")) == [
        (Kind.SUBMISSION_RECEIVED, "staff@unep.example"),
        (Kind.RETURNED, "officer@unep.example"),
        (Kind.RETURNED, "colleague@unep.example"),
        (Kind.SUBMISSION_RECEIVED, "staff@unep.example"),
        (Kind.NEED_VALIDATED, "officer@unep.example"),
        (Kind.NEED_VALIDATED, "colleague@unep.example"),
    ]
    assert roles.client("anonymous").get(url("need_detail", need)).status_code == 404


def test_the_admin_shows_the_screening_decisions_of_a_need(
    roles: Roles, submitted: Need, admin_client: Any
) -> None:
    need_return(need=submitted, by=roles.staff, comment="Say which coasts.", is_clear=False)

    response = admin_client.get(reverse("admin:matching_need_change", args=[submitted.pk]))

    assert response.status_code == 200
    assert "Say which coasts." in response.content.decode()

"""The need pages: the officers' guided form in steps, "My needs", the need page and the public
list, for every role; bad input is refused with a message and changes nothing."""

import datetime
import uuid
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import SdgTarget, SupportKind, Theme
from matching.models import Need
from notifications.models import Notification
from tests.factories import DraftNeedFactory, NeedFactory, country
from tests.matching.need_roles import ROLES, Roles, database_state, make_roles

pytestmark = pytest.mark.django_db

Status = Need.Status
CREATE = reverse("matching:need_create")
MY_NEEDS = reverse("matching:my_needs")
LIST = reverse("matching:need_list")


@pytest.fixture
def roles(settings: Any) -> Roles:
    return make_roles(settings)


@pytest.fixture
def draft(roles: Roles) -> Need:
    need: Need = DraftNeedFactory(
        title="Solar pumps for irrigation", created_by=roles.officer, origin=Need.Origin.NDC
    )
    return need


def step_url(need: Need, step: str) -> str:
    return reverse("matching:need_step", kwargs={"pk": need.pk, "step": step})


def review_url(need: Need) -> str:
    return reverse("matching:need_review", kwargs={"pk": need.pk})


def detail_url(need: Need) -> str:
    return reverse("matching:need_detail", kwargs={"pk": need.pk})


def login_redirect(response: Any, path: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        f"{reverse('account_login')}?next={path}"
    )


def what(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Drought early warning",
        "description": "Train national staff to run a drought early-warning system.",
        "language": "en",
        "creation_token": str(uuid.uuid4()),
        "action": "next",
        **overrides,
    }


def where(*countries: str, **overrides: Any) -> dict[str, Any]:
    return {
        "countries": [country(iso3).pk for iso3 in countries],
        "themes": [],
        "sdg_targets": [],
        "more_sdg_targets": [],
        "action": "next",
        **overrides,
    }


def support(**overrides: Any) -> dict[str, Any]:
    return {
        "support_kinds": [SupportKind.objects.get(code=SupportKind.Code.TRAINING).pk],
        "priority": Need.Priority.HIGH,
        "time_frame": Need.TimeFrame.SHORT,
        "needed_by": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
        "origin": Need.Origin.TNA,
        "origin_reference": "Kenya TNA report, 2023",
        "action": "next",
        **overrides,
    }


# The guided form, step by step


def test_officer_registers_a_need_in_four_steps(roles: Roles) -> None:
    client = roles.client("officer")
    climate = Theme.objects.get(code="climate-change")
    target = SdgTarget.objects.get(code="13.3")

    response = client.post(CREATE, what())
    need = Need.objects.get()
    assert response.status_code == 302
    assert response["Location"] == step_url(need, "where")
    assert (need.status, need.created_by, need.regional_office) == (
        Status.DRAFT,
        roles.officer,
        roles.officer.regional_office,
    )

    response = client.post(
        step_url(need, "where"),
        where("KEN", "UGA", themes=[climate.pk], more_sdg_targets=[target.pk]),
    )
    assert response["Location"] == step_url(need, "support")
    response = client.post(step_url(need, "support"), support())
    assert response["Location"] == review_url(need)

    review = client.get(review_url(need))
    assert review.status_code == 200
    assert "Before you can submit" not in review.content.decode()
    response = client.post(review_url(need))

    assert response.status_code == 302
    assert response["Location"] == detail_url(need)
    need.refresh_from_db()
    assert need.status == Status.SUBMITTED
    assert {c.iso3 for c in need.countries.all()} == {"KEN", "UGA"}
    assert list(need.themes.all()) == [climate]
    assert list(need.sdg_targets.all()) == [target]
    assert [goal.number for goal in need.sdg_goals.all()] == [13]
    assert [s.code for s in need.support_kinds.all()] == [SupportKind.Code.TRAINING]
    assert (need.priority, need.time_frame, need.origin, need.origin_reference) == (
        Need.Priority.HIGH,
        Need.TimeFrame.SHORT,
        Need.Origin.TNA,
        "Kenya TNA report, 2023",
    )
    assert need.needed_by == timezone.localdate() + datetime.timedelta(days=90)


def test_each_step_shows_what_was_saved_so_the_officer_can_go_back(
    roles: Roles, draft: Need
) -> None:
    client = roles.client("officer")
    draft.needed_by = timezone.localdate() + datetime.timedelta(days=30)
    draft.save()

    what_page = client.get(step_url(draft, "what"))
    where_page = client.get(step_url(draft, "where"))
    support_page = client.get(step_url(draft, "support"))

    assert what_page.context["form"]["title"].value() == "Solar pumps for irrigation"
    assert where_page.context["form"]["countries"].value() == [country("KEN").pk]
    assert support_page.context["form"]["origin"].value() == Need.Origin.NDC
    assert support_page.context["form"]["needed_by"].value() == draft.needed_by
    # Every step links to the others.
    html = where_page.content.decode()
    for step in ("what", "support"):
        assert f'href="{step_url(draft, step)}"' in html
    assert f'href="{review_url(draft)}"' in html


def test_save_as_draft_leaves_the_form_for_my_needs(roles: Roles, draft: Need) -> None:
    client = roles.client("officer")

    response = client.post(step_url(draft, "what"), what(title="Solar water pumps", action="draft"))

    assert response["Location"] == MY_NEEDS
    draft.refresh_from_db()
    assert (draft.title, draft.status) == ("Solar water pumps", Status.DRAFT)
    page = client.get(MY_NEEDS).content.decode()
    assert "Solar water pumps" in page
    assert f'href="{step_url(draft, "what")}"' in page


def test_a_double_click_on_create_makes_one_need(roles: Roles) -> None:
    client = roles.client("officer")
    data = what()

    first = client.post(CREATE, data)
    second = client.post(CREATE, data)

    need = Need.objects.get()
    assert first["Location"] == second["Location"] == step_url(need, "where")


def test_each_visit_to_the_create_page_has_its_own_token(roles: Roles) -> None:
    client = roles.client("officer")

    tokens = {client.get(CREATE).context["form"]["creation_token"].value() for _ in range(2)}

    assert len(tokens) == 2


def test_a_token_of_someone_else_creates_nothing(roles: Roles) -> None:
    data = what()
    roles.client("officer").post(CREATE, data)
    before = database_state()

    response = roles.client("colleague").post(CREATE, data)

    assert response.status_code == 400
    assert "This form was already used by someone else." in response.content.decode()
    assert database_state() == before


def test_a_double_click_on_submit_submits_once(roles: Roles, draft: Need) -> None:
    client = roles.client("officer")

    client.post(review_url(draft))
    second = client.post(review_url(draft))

    assert second.status_code == 302
    assert second["Location"] == detail_url(draft)
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    assert Notification.objects.filter(kind=Notification.Kind.SUBMISSION_RECEIVED).count() == 1
    page = client.get(second["Location"]).content.decode()
    assert "This need is submitted: only drafts can be changed." in page


def test_staff_without_an_office_choose_the_office_of_the_need(roles: Roles) -> None:
    from catalog.models import RegionalOffice

    asia = RegionalOffice.objects.get(code=RegionalOffice.Code.ASIA_PACIFIC)
    client = roles.client("staff")
    assert "regional_office" in client.get(CREATE).context["form"].fields

    client.post(CREATE, what(regional_office=asia.pk))

    need = Need.objects.get()
    assert (need.regional_office, need.created_by) == (asia, roles.staff)
    page = client.get(step_url(need, "where"))
    offered = {pk for pk, _label in page.context["form"].fields["countries"].choices}
    assert country("THA").pk in offered
    assert country("KEN").pk not in offered


# Bad input


def test_create_without_a_title_explains_and_creates_nothing(roles: Roles) -> None:
    response = roles.client("officer").post(CREATE, what(title="  "))

    assert response.status_code == 400
    assert response.context["form"].errors == {"title": ["This field is required."]}
    assert not Need.objects.exists()


def test_step_two_requires_a_country(roles: Roles, draft: Need) -> None:
    before = database_state()

    response = roles.client("officer").post(step_url(draft, "where"), where())

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "countries": ["Choose at least one country for this need."]
    }
    assert "Choose at least one country for this need." in response.content.decode()
    assert database_state() == before


def test_only_countries_of_the_officers_office_are_offered(roles: Roles, draft: Need) -> None:
    page = roles.client("officer").get(step_url(draft, "where"))

    choices = dict(page.context["form"].fields["countries"].choices)
    assert choices[country("UGA").pk] == "Uganda (LDC, LLDC)"
    assert choices[country("MUS").pk] == "Mauritius (SIDS)"
    assert country("THA").pk not in choices


def test_a_country_outside_the_region_posted_by_hand_is_refused(roles: Roles, draft: Need) -> None:
    before = database_state()

    response = roles.client("officer").post(step_url(draft, "where"), where("KEN", "THA"))

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "countries": [
            "Thailand: not a country of the Africa regional office. "
            "Choose only countries your office serves."
        ]
    }
    assert database_state() == before


@pytest.mark.parametrize("days", [0, -1])
def test_needed_by_today_or_in_the_past_is_refused(roles: Roles, draft: Need, days: int) -> None:
    before = database_state()
    when = timezone.localdate() + datetime.timedelta(days=days)

    response = roles.client("officer").post(
        step_url(draft, "support"), support(needed_by=when.isoformat())
    )

    assert response.status_code == 400
    [message] = response.context["form"].errors["needed_by"]
    assert message.startswith("The date the support is needed by must be after today")
    assert database_state() == before


def test_step_three_requires_support_and_origin(roles: Roles, draft: Need) -> None:
    before = database_state()

    response = roles.client("officer").post(
        step_url(draft, "support"), support(support_kinds=[], origin="")
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "support_kinds": ["Choose at least one kind of support."],
        "origin": ["Say where this need was stated."],
    }
    assert database_state() == before


def test_review_lists_what_is_missing_and_submit_is_refused(roles: Roles) -> None:
    client = roles.client("officer")
    client.post(CREATE, what())
    need = Need.objects.get()

    page = client.get(review_url(need)).content.decode()
    response = client.post(review_url(need))

    for missing in ("at least one country", "the kind of support sought", "the origin"):
        assert missing in page
    assert response.status_code == 400
    assert "Add a country and a kind of support to this need before submitting it." in (
        response.content.decode()
    )
    need.refresh_from_db()
    assert need.status == Status.DRAFT
    assert not Notification.objects.exists()


def test_a_draft_whose_needed_by_date_has_passed_cannot_be_submitted(
    roles: Roles, draft: Need
) -> None:
    Need.objects.filter(pk=draft.pk).update(needed_by=timezone.localdate())

    response = roles.client("officer").post(review_url(draft))

    assert response.status_code == 400
    assert "must be after today" in response.content.decode()
    assert Need.objects.get(pk=draft.pk).status == Status.DRAFT


def test_html_in_text_is_stored_as_text_and_shown_escaped(roles: Roles) -> None:
    client = roles.client("officer")
    title = '<script>alert("x")</script> Drought <b>warning</b>'

    client.post(CREATE, what(title=title, description="<img src=x onerror=alert(1)>"))

    need = Need.objects.get()
    assert need.title == title
    for url in (detail_url(need), MY_NEEDS, step_url(need, "what")):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Drought &lt;b&gt;warning" in html


def test_step_two_suggests_sdg_targets_and_themes_from_the_text(roles: Roles) -> None:
    need: Need = DraftNeedFactory(
        title="Safe drinking water for rural communities",
        description="Access to safe and affordable drinking water in villages hit by drought.",
    )

    page = roles.client("officer").get(step_url(need, "where"))

    target_labels = dict(page.context["form"].fields["sdg_targets"].choices)
    suggested = [label for label in target_labels.values() if label.endswith("(suggested)")]
    assert any(label.startswith("6.1 ") for label in suggested)
    assert "Suggested from the title and description" in page.content.decode()


def test_an_unknown_step_is_not_found(roles: Roles, draft: Need) -> None:
    response = roles.client("officer").get(step_url(draft, "payment"))

    assert response.status_code == 404


# Who may see and do what


DRAFT_DETAIL = {
    "anonymous": 404,
    "partner": 404,
    "other_officer": 404,
    "officer": 200,
    "staff": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_a_draft_is_seen_only_by_its_office_and_staff(roles: Roles, draft: Need, role: str) -> None:
    response = roles.client(role).get(detail_url(draft))

    assert response.status_code == DRAFT_DETAIL[role]


@pytest.mark.parametrize("role", ROLES)
def test_an_open_need_is_public_but_its_screening_is_not(roles: Roles, role: str) -> None:
    need: Need = NeedFactory(title="Open need", created_by=roles.officer)
    need.reviews.create(by=roles.staff, decision="validated", comment="Internal remark")

    response = roles.client(role).get(detail_url(need))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Open need" in html
    assert ("Internal remark" in html) == (role in ("officer", "staff"))
    assert ('id="history-heading"' in html) == (role == "staff")


@pytest.mark.parametrize("role", ROLES)
def test_public_list_shows_open_and_matched_needs_only(roles: Roles, role: str) -> None:
    NeedFactory(title="Open one")
    NeedFactory(title="Matched one", status=Status.MATCHED)
    DraftNeedFactory(title="Draft one")
    NeedFactory(title="Submitted one", status=Status.SUBMITTED)
    NeedFactory(title="Closed one", status=Status.CLOSED, closed_reason="Met elsewhere")

    response = roles.client(role).get(LIST)

    assert response.status_code == 200
    assert {n.title for n in response.context["page_obj"]} == {"Open one", "Matched one"}


def test_my_needs_groups_the_office_needs_by_status_with_counts(roles: Roles) -> None:
    from catalog.models import RegionalOffice

    DraftNeedFactory(title="Draft A")
    DraftNeedFactory(title="Draft B")
    NeedFactory(title="Open A")
    NeedFactory(
        title="Asian need",
        regional_office=RegionalOffice.objects.get(code=RegionalOffice.Code.ASIA_PACIFIC),
        countries=[country("THA")],
    )

    response = roles.client("officer").get(MY_NEEDS)

    assert response.status_code == 200
    groups = {g.status: sorted(n.title for n in g.needs) for g in response.context["groups"]}
    assert groups == {
        "draft": ["Draft A", "Draft B"],
        "submitted": [],
        "validated": [],
        "open": ["Open A"],
        "matched": [],
        "closed": [],
    }
    assert response.context["total"] == 3
    assert "Asian need" not in response.content.decode()


MY_NEEDS_STATUS = {"partner": 403, "other_officer": 200, "officer": 200, "staff": 403}


@pytest.mark.parametrize("role", ROLES)
def test_my_needs_is_for_officers(roles: Roles, role: str) -> None:
    DraftNeedFactory(title="Africa draft")

    response = roles.client(role).get(MY_NEEDS)

    if role == "anonymous":
        assert login_redirect(response, MY_NEEDS)
        return
    assert response.status_code == MY_NEEDS_STATUS[role]
    if response.status_code == 200:
        assert ("Africa draft" in response.content.decode()) == (role == "officer")


CREATE_STATUS = {"partner": 403, "other_officer": 200, "officer": 200, "staff": 200}


@pytest.mark.parametrize("role", ROLES)
def test_only_officers_and_staff_open_the_create_page(roles: Roles, role: str) -> None:
    response = roles.client(role).get(CREATE)

    if role == "anonymous":
        assert login_redirect(response, CREATE)
    else:
        assert response.status_code == CREATE_STATUS[role]


@pytest.mark.parametrize("role", ["anonymous", "partner"])
def test_create_refused_creates_nothing(roles: Roles, role: str) -> None:
    response = roles.client(role).post(CREATE, what())

    assert response.status_code in (302, 403)
    if role == "anonymous":
        assert login_redirect(response, CREATE)
    assert not Need.objects.exists()


EDIT_DRAFT = {"partner": 404, "other_officer": 404, "officer": 200, "staff": 200}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", ["what", "where", "support"])
def test_only_the_office_and_staff_open_the_steps_of_a_draft(
    roles: Roles, draft: Need, role: str, step: str
) -> None:
    response = roles.client(role).get(step_url(draft, step))

    if role == "anonymous":
        assert login_redirect(response, step_url(draft, step))
    else:
        assert response.status_code == EDIT_DRAFT[role]


@pytest.mark.parametrize("role", ["anonymous", "partner", "other_officer"])
@pytest.mark.parametrize(
    "step, data",
    [
        ("what", lambda: what(title="Hijacked")),
        ("where", lambda: where("ETH")),
        ("support", lambda: support(origin_reference="Hijacked")),
    ],
)
def test_refused_step_posts_change_nothing(
    roles: Roles, draft: Need, role: str, step: str, data: Any
) -> None:
    before = database_state()

    response = roles.client(role).post(step_url(draft, step), data())

    assert response.status_code == (302 if role == "anonymous" else 404)
    assert database_state() == before


@pytest.mark.parametrize("role", ["anonymous", "partner", "other_officer"])
def test_refused_submit_changes_nothing(roles: Roles, draft: Need, role: str) -> None:
    before = database_state()

    response = roles.client(role).post(review_url(draft))

    assert response.status_code == (302 if role == "anonymous" else 404)
    assert database_state() == before


@pytest.mark.parametrize("role", ["partner", "other_officer"])
def test_an_open_need_seen_by_others_cannot_be_edited(roles: Roles, role: str) -> None:
    need: Need = NeedFactory()
    before = database_state()

    for url in (step_url(need, "what"), review_url(need)):
        assert roles.client(role).post(url, what(title="Hijacked")).status_code == 403
    assert database_state() == before


@pytest.mark.parametrize("role", ["officer", "staff"])
def test_a_need_past_draft_sends_its_office_and_staff_to_its_page(roles: Roles, role: str) -> None:
    need: Need = NeedFactory(status=Status.SUBMITTED)
    before = database_state()

    response = roles.client(role).post(step_url(need, "what"), what(title="Changed"))

    assert response.status_code == 302
    assert response["Location"] == detail_url(need)
    assert database_state() == before


def test_staff_see_who_changed_what_on_the_need_page(roles: Roles) -> None:
    client = roles.client("officer")
    client.post(CREATE, what(title="First title"))
    need = Need.objects.get()
    client.post(step_url(need, "what"), what(title="Second title"))
    client.post(step_url(need, "where"), where("KEN"))

    staff_page = roles.client("staff").get(detail_url(need))

    history = staff_page.context["history"]
    assert [row.kind for row in history] == ["Changed", "Changed", "Created"]
    assert [(c.label, c.old, c.new) for c in history[1].changes] == [
        ("title", "First title", "Second title")
    ]
    assert ("countries", "—", "Kenya") in [(c.label, c.old, c.new) for c in history[0].changes]
    assert all(row.who == roles.officer for row in history)
    assert "officer@unep.example" in staff_page.content.decode()
    assert roles.client("officer").get(detail_url(need)).context["history"] is None

"""Matches through the API: a need's matches, the needs an entry could serve, and the steps
of a match's life cycle, with the browser's rules (an API key acts for the entry's side)."""

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership
from catalog.models import Entry, RegionalOffice, SdgTarget
from matching.models import Match, Need
from search import indexer
from tests.api.conftest import bearer
from tests.factories import (
    EntryFactory,
    MatchFactory,
    MembershipFactory,
    NeedFactory,
    OfficerFactory,
    OrganizationFactory,
    StaffUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# The fields a step changes, to check that a refused one changed nothing.
STATE = ("status", "version", "contacted_at", "declined_at", "decline_reason", "results")


def state(match: Match) -> tuple[Any, ...]:
    return tuple(Match.objects.values_list(*STATE).get(pk=match.pk))


@pytest.fixture
def need() -> Need:
    return NeedFactory(title="Rainwater harvesting for dry villages")


@pytest.fixture
def entry(organization: Any) -> Entry:
    return EntryFactory(title="Rainwater harvesting ponds", providers=[organization])


@pytest.fixture
def followed(need: Need, entry: Entry) -> Match:
    """A shortlisted match of the organization's entry: the provider side sees it."""
    return MatchFactory(need=need, entry=entry, status=Match.Status.SHORTLISTED, score=0.6)


@pytest.fixture
def suggested(need: Need, organization: Any) -> Match:
    """A suggestion for another of the organization's entries: the need side's only."""
    return MatchFactory(need=need, entry=EntryFactory(providers=[organization]), score=0.9)


@pytest.fixture
def others(need: Need) -> Match:
    """A match of another organization's entry with the same need."""
    return MatchFactory(
        need=need,
        entry=EntryFactory(providers=[OrganizationFactory(name="Other centre")]),
        status=Match.Status.CONTACTED,
        score=0.7,
    )


@pytest.fixture
def officer() -> Any:
    return OfficerFactory()


@pytest.fixture
def staff() -> Any:
    return StaffUserFactory()


@pytest.fixture
def other_key(make_key: Any) -> str:
    """A key with every match scope, of another organization."""
    other = OrganizationFactory(name="Another organization")
    admin = MembershipFactory(organization=other, role=Membership.Role.ADMINISTRATOR).user
    return make_key("read", "manage-matches", org=other, by=admin)[1]


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


# GET /api/v1/needs/{id}/matches/ --------------------------------------------------------------


def test_anonymous_clients_cannot_read_a_needs_matches(api, need, followed):
    response = api.get(f"/api/v1/needs/{need.pk}/matches/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_key_without_the_read_scope_cannot_read_a_needs_matches(api, make_key, need, followed):
    _key, secret = make_key("manage-matches")
    response = api.get(f"/api/v1/needs/{need.pk}/matches/", **bearer(secret))
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"


def test_a_key_sees_the_followed_matches_of_its_organizations_entries_only(
    api, make_key, need, followed, suggested, others
):
    _key, secret = make_key("read")
    assert ids(api.get(f"/api/v1/needs/{need.pk}/matches/", **bearer(secret))) == [followed.pk]


def test_a_key_of_another_organization_sees_none_of_them(
    api, other_key, need, followed, suggested, others
):
    assert ids(api.get(f"/api/v1/needs/{need.pk}/matches/", **bearer(other_key))) == []


def test_a_member_of_the_organization_sees_what_its_key_sees(
    api, admin, need, followed, suggested, others
):
    api.force_login(admin)
    assert ids(api.get(f"/api/v1/needs/{need.pk}/matches/")) == [followed.pk]


@pytest.mark.parametrize("who", ["officer", "staff"])
def test_the_need_side_sees_every_match_in_the_order_of_the_page(
    api, request, who, need, followed, suggested, others
):
    api.force_login(request.getfixturevalue(who))
    # Suggestions best first, then followed ones, those further on first.
    assert ids(api.get(f"/api/v1/needs/{need.pk}/matches/")) == [
        suggested.pk,
        others.pk,
        followed.pk,
    ]


def test_an_officer_of_another_office_sees_no_match(api, need, followed, suggested):
    asia = RegionalOffice.objects.exclude(code=RegionalOffice.Code.AFRICA).first()
    api.force_login(OfficerFactory(regional_office=asia))
    assert ids(api.get(f"/api/v1/needs/{need.pk}/matches/")) == []


def test_the_matches_of_a_need_one_may_not_see_are_a_404(api, officer):
    asia = RegionalOffice.objects.exclude(code=RegionalOffice.Code.AFRICA).first()
    draft = NeedFactory(status=Need.Status.DRAFT, regional_office=asia)
    MatchFactory(need=draft, status=Match.Status.CONTACTED)
    api.force_login(officer)
    assert api.get(f"/api/v1/needs/{draft.pk}/matches/").status_code == 404


def test_a_match_shows_its_explanation_in_the_requests_language(api, officer, need, entry):
    MatchFactory(
        need=need,
        entry=entry,
        score=0.42,
        breakdown={
            "score": 0.42,
            "factors": [
                {
                    "name": "context",
                    "value": 1.0,
                    "weight": 0.1,
                    "contribution": 0.1,
                    "reasons": [{"code": "same-language", "params": {}}],
                },
                {
                    "name": "taxonomy",
                    "value": 0.8,
                    "weight": 0.4,
                    "contribution": 0.32,
                    "reasons": [{"code": "shared-targets", "params": {"codes": ["6.4"]}}],
                },
            ],
            "matched_words": ["rainwater"],
            "flags": ["triangular"],
        },
    )
    api.force_login(officer)

    [english] = api.get(f"/api/v1/needs/{need.pk}/matches/").json()
    [french] = api.get(f"/api/v1/needs/{need.pk}/matches/", HTTP_ACCEPT_LANGUAGE="fr").json()

    assert english["status"] == "suggested"
    assert english["score"] == 0.42
    assert english["version"] == 1
    assert english["entry"]["title"] == "Rainwater harvesting ponds"
    assert english["entry"]["providers"] == [
        {
            "organization": entry.provider_links.get().organization_id,
            "name": "Centre for Water Solutions",
            "role": "lead",
        }
    ]
    assert english["breakdown"] == {
        "factors": [
            {
                "name": "taxonomy",
                "label": "SDG targets and themes",
                "value": 0.8,
                "weight": 0.4,
                "contribution": 0.32,
                "reasons": ["Shared SDG targets: 6.4"],
            },
            {
                "name": "context",
                "label": "Region, language and country group",
                "value": 1.0,
                "weight": 0.1,
                "contribution": 0.1,
                "reasons": ["Same language"],
            },
        ],
        "matched_words": ["rainwater"],
        "flags": ["triangular"],
    }
    assert french["breakdown"]["factors"][1]["reasons"] == ["Même langue"]


def test_the_query_count_of_a_needs_matches_does_not_grow_with_their_number(
    api, staff, need, organization
):
    api.force_login(staff)

    def queries() -> int:
        url = f"/api/v1/needs/{need.pk}/matches/"
        api.get(url)  # warms the reference data the reasons are worded with
        with CaptureQueriesContext(connection) as captured:
            response = api.get(url)
        assert response.status_code == 200
        return len(captured)

    def add(count: int) -> None:
        for position in range(count):
            MatchFactory(
                need=need,
                entry=EntryFactory(providers=[OrganizationFactory(), organization]),
                status=Match.Status.CONTACTED if position % 2 else Match.Status.SUGGESTED,
            )

    add(2)
    few = queries()
    add(10)
    assert len(api.get(f"/api/v1/needs/{need.pk}/matches/").json()) == 12
    assert queries() == few


# GET /api/v1/entries/{id}/needs/ --------------------------------------------------------------


@pytest.fixture
def servable(search_index_dir: Path, settings: Any, organization: Any) -> tuple[Entry, Need]:
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    water = EntryFactory(title="Rainwater harvesting ponds", providers=[organization])
    water.sdg_targets.set([SdgTarget.objects.get(code="6.4")])
    wanted = NeedFactory(title="Rainwater harvesting for dry villages")
    wanted.sdg_targets.set([SdgTarget.objects.get(code="6.4")])
    NeedFactory(title="Rainwater harvesting plan", status=Need.Status.DRAFT)
    indexer.index_rebuild()
    return water, wanted


def test_anyone_reads_the_open_needs_a_published_entry_could_serve(api, servable):
    water, wanted = servable
    response = api.get(f"/api/v1/entries/{water.pk}/needs/")
    assert response.status_code == 200, response.content
    [row] = response.json()
    assert row["need"]["id"] == wanted.pk
    assert row["need"]["title"] == "Rainwater harvesting for dry villages"
    assert row["need"]["countries"] == ["KEN"]
    assert 0 < row["score"] <= 1
    reasons = [r for factor in row["breakdown"]["factors"] for r in factor["reasons"]]
    assert "Shared SDG targets: 6.4" in reasons
    assert "rainwater" in row["breakdown"]["matched_words"]


def test_a_key_of_another_organization_reads_them_too(api, other_key, servable):
    water, wanted = servable
    response = api.get(f"/api/v1/entries/{water.pk}/needs/", **bearer(other_key))
    assert [row["need"]["id"] for row in response.json()] == [wanted.pk]


def test_a_draft_entry_is_a_404_to_others_and_serves_no_need_for_its_own(
    api, make_key, other_key, organization
):
    draft = EntryFactory(providers=[organization], status=Entry.Status.DRAFT)
    assert api.get(f"/api/v1/entries/{draft.pk}/needs/").status_code == 404
    assert api.get(f"/api/v1/entries/{draft.pk}/needs/", **bearer(other_key)).status_code == 404
    _key, secret = make_key("read")
    response = api.get(f"/api/v1/entries/{draft.pk}/needs/", **bearer(secret))
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("limit", ["0", "21", "x", "1.5"])
def test_a_bad_limit_is_refused(api, entry, limit):
    response = api.get(f"/api/v1/entries/{entry.pk}/needs/", {"limit": limit})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "limit", "code": "invalid_limit", "detail": response.json()["detail"]}
    ]


# GET /api/v1/matches/{id}/ -------------------------------------------------------------------


def test_anonymous_clients_cannot_read_a_match(api, followed):
    assert api.get(f"/api/v1/matches/{followed.pk}/").status_code == 401


def test_a_key_reads_its_organizations_followed_match_not_suggestions_nor_others(
    api, make_key, followed, suggested, others
):
    _key, secret = make_key("read")
    response = api.get(f"/api/v1/matches/{followed.pk}/", **bearer(secret))
    assert response.status_code == 200
    assert response.json()["status"] == "shortlisted"
    assert response.json()["need"] == followed.need_id
    assert "ETag" in response
    for hidden in (suggested, others):
        assert api.get(f"/api/v1/matches/{hidden.pk}/", **bearer(secret)).status_code == 404


def test_a_key_of_another_organization_cannot_read_the_match(api, other_key, followed):
    assert api.get(f"/api/v1/matches/{followed.pk}/", **bearer(other_key)).status_code == 404


@pytest.mark.parametrize("who", ["officer", "staff"])
def test_the_need_side_reads_any_match_of_its_needs(api, request, who, suggested):
    api.force_login(request.getfixturevalue(who))
    response = api.get(f"/api/v1/matches/{suggested.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == suggested.pk


def test_a_match_read_again_unchanged_is_a_304(api, officer, followed):
    api.force_login(officer)
    first = api.get(f"/api/v1/matches/{followed.pk}/")
    again = api.get(f"/api/v1/matches/{followed.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


# POST /api/v1/matches/{id}/<step>/ -----------------------------------------------------------


def post(api: Any, match: Match, step: str, body: dict[str, Any], **headers: Any) -> Any:
    return api.post(f"/api/v1/matches/{match.pk}/{step}/", body, format="json", **headers)


def test_anonymous_clients_cannot_take_a_step(api, followed):
    before = state(followed)
    assert post(api, followed, "contact", {"version": 1}).status_code == 401
    assert state(followed) == before


def test_a_key_without_the_manage_matches_scope_cannot_take_a_step(api, make_key, followed):
    _key, secret = make_key("read", "write-entries", "write-needs")
    before = state(followed)
    response = post(api, followed, "contact", {"version": 1}, **bearer(secret))
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"
    assert state(followed) == before


def test_a_key_of_another_organization_finds_no_such_match(api, other_key, followed, others):
    before = state(followed)
    response = post(api, followed, "contact", {"version": 1}, **bearer(other_key))
    assert response.status_code == 404
    assert state(followed) == before


def test_a_key_records_the_entrys_side_of_the_life_cycle(api, make_key, admin, need, followed):
    _key, secret = make_key("read", "manage-matches")

    contacted = post(api, followed, "contact", {"version": 1}, **bearer(secret))
    agreed = post(api, followed, "agree", {"version": 2}, **bearer(secret))
    started = post(api, followed, "start", {"version": 3}, **bearer(secret))
    completed = post(
        api,
        followed,
        "complete",
        {
            "version": 4,
            "results": "Forty ponds dug.",
            "beneficiaries": "Twelve villages.",
            "lessons_learned": "Involve the women's groups early.",
        },
        **bearer(secret),
    )

    assert [r.status_code for r in (contacted, agreed, started, completed)] == [200] * 4
    assert completed.json()["status"] == "completed"
    assert completed.json()["version"] == 5
    assert completed.json()["results"] == "Forty ponds dug."
    followed.refresh_from_db()
    need.refresh_from_db()
    assert followed.status == Match.Status.COMPLETED
    # Recorded as done by the key's creator.
    assert followed.contacted_by == admin
    assert followed.completed_by == admin
    assert need.status == Need.Status.MATCHED


@pytest.mark.parametrize("step", ["shortlist", "decline"])
def test_a_key_cannot_take_the_need_sides_steps(api, make_key, need, entry, step):
    contacted: Match = MatchFactory(need=need, entry=entry, status=Match.Status.CONTACTED)
    _key, secret = make_key("read", "manage-matches")
    before = state(contacted)
    response = post(
        api, contacted, step, {"version": 1, "reason": "not-relevant"}, **bearer(secret)
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert state(contacted) == before


def test_a_key_cannot_see_a_suggestion_to_step_on(api, make_key, suggested):
    _key, secret = make_key("read", "manage-matches")
    before = state(suggested)
    assert post(api, suggested, "contact", {"version": 1}, **bearer(secret)).status_code == 404
    assert state(suggested) == before


def test_an_officer_shortlists_then_declines(api, officer, suggested):
    api.force_login(officer)
    shortlisted = post(api, suggested, "shortlist", {"version": 1})
    assert shortlisted.status_code == 200, shortlisted.content
    assert shortlisted.json()["status"] == "shortlisted"
    declined = post(
        api, suggested, "decline", {"version": 2, "reason": "other", "comment": "Too costly."}
    )
    assert declined.status_code == 200, declined.content
    suggested.refresh_from_db()
    assert suggested.status == Match.Status.DECLINED
    assert suggested.decline_comment == "Too costly."
    assert suggested.declined_by == officer


def test_an_officer_of_another_office_finds_no_such_match(api, suggested):
    asia = RegionalOffice.objects.exclude(code=RegionalOffice.Code.AFRICA).first()
    api.force_login(OfficerFactory(regional_office=asia))
    before = state(suggested)
    assert post(api, suggested, "shortlist", {"version": 1}).status_code == 404
    assert state(suggested) == before


def test_a_member_of_another_organization_finds_no_such_match(api, followed):
    api.force_login(MembershipFactory(user=UserFactory()).user)
    before = state(followed)
    assert post(api, followed, "contact", {"version": 1}).status_code == 404
    assert state(followed) == before


def test_staff_complete_only_with_the_outcome(api, staff, need, entry):
    started: Match = MatchFactory(
        need=need, entry=entry, status=Match.Status.IN_IMPLEMENTATION, version=4
    )
    api.force_login(staff)
    before = state(started)

    missing = post(api, started, "complete", {"version": 4, "results": "  "})

    assert missing.status_code == 400
    assert missing["Content-Type"] == "application/problem+json"
    assert {(e["field"], e["code"]) for e in missing.json()["errors"]} == {
        ("results", "blank"),
        ("beneficiaries", "required"),
        ("lessons_learned", "required"),
    }
    assert state(started) == before

    done = post(
        api,
        started,
        "complete",
        {"version": 4, "results": "R.", "beneficiaries": "B.", "lessons_learned": "L."},
    )
    assert done.status_code == 200
    assert done.json()["status"] == "completed"


def test_a_decline_as_other_needs_a_comment(api, officer, suggested):
    api.force_login(officer)
    before = state(suggested)
    response = post(api, suggested, "decline", {"version": 1, "reason": "other"})
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("comment", "invalid")]
    assert state(suggested) == before


def test_a_stale_version_is_a_409_with_the_current_one(api, officer, followed):
    followed.version = 3
    followed.save()
    api.force_login(officer)
    before = state(followed)

    response = post(api, followed, "contact", {"version": 2})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version"
    assert body["version"] == 3
    assert body["status"] == 409
    assert state(followed) == before


def test_an_illegal_step_is_a_409_saying_what_can_be_done(api, officer, followed):
    api.force_login(officer)
    before = state(followed)

    response = post(api, followed, "start", {"version": 1})

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert response.json()["detail"] == (
        "This match is shortlisted: it cannot be moved to implementation. "
        "It can be marked as contacted, declined or withdrawn."
    )
    assert state(followed) == before


def test_a_step_forward_on_a_closed_need_is_refused(api, officer, followed, need):
    need.status = Need.Status.CLOSED
    need.closed_at = timezone.now()
    need.closed_reason = "Met elsewhere."
    need.save()
    api.force_login(officer)
    before = state(followed)

    response = post(api, followed, "contact", {"version": 1})

    assert response.status_code == 409
    assert response.json()["code"] == "step_refused"
    assert state(followed) == before


@pytest.mark.parametrize(
    "body",
    [{}, {"version": "two"}, {"version": 0}, {"version": 1, "note": "x"}, [1]],
)
def test_a_malformed_body_is_a_400(api, officer, followed, body):
    api.force_login(officer)
    before = state(followed)
    response = post(api, followed, "contact", body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert state(followed) == before


def test_a_match_that_does_not_exist_is_a_404(api, officer):
    api.force_login(officer)
    assert post(api, Match(pk=999_999), "contact", {"version": 1}).status_code == 404
    assert api.get("/api/v1/matches/99999999999999999999/").status_code == 404


def test_a_withdrawal_says_why_and_reopens_the_need(api, admin, need, entry):
    agreed: Match = MatchFactory(need=need, entry=entry, status=Match.Status.AGREED, version=3)
    need.status = Need.Status.MATCHED
    need.save()
    api.force_login(admin)

    assert post(api, agreed, "withdraw", {"version": 3}).status_code == 400
    response = post(api, agreed, "withdraw", {"version": 3, "comment": "Funding fell through."})

    assert response.status_code == 200
    need.refresh_from_db()
    assert need.status == Need.Status.OPEN

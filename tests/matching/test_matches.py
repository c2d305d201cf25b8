"""Matches as records with a life cycle: every legal step, the illegal ones refused with a clear
message and nothing changed, who may take which step (through the pages, including someone
else's match by its number), and two people acting on the same match at once."""

import itertools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse

from accounts.models import User
from catalog.models import Country, Entry, Organization, RegionalOffice
from exchange.errors import ApplicationError
from matching import services
from matching.models import Match, Need, RankingWeights
from matching.ranking.weights import DEFAULT_WEIGHTS
from notifications.models import Notification
from tests.factories import (
    EntryFactory,
    MatchFactory,
    MembershipFactory,
    NeedFactory,
)
from tests.matching.need_roles import Roles, make_roles

S = Match.Status
ALL_STATUSES = list(S)
LEGAL = [(src, dst) for src in ALL_STATUSES for dst in sorted(services.TRANSITIONS[src])]
ILLEGAL = [
    (src, dst)
    for src, dst in itertools.product(ALL_STATUSES, ALL_STATUSES)
    if dst != S.SUGGESTED and dst not in services.TRANSITIONS[src]
]
# Fields a match must have to be in each status (the database's check constraints).
STATUS_FIELDS: dict[str, dict[str, Any]] = {
    S.DECLINED: {"decline_reason": Match.DeclineReason.NOT_AVAILABLE},
    S.COMPLETED: {"results": "Two pilots", "beneficiaries": "40 farmers", "lessons_learned": "-"},
    S.WITHDRAWN: {"withdraw_comment": "Funding ended."},
}


def take(match: Match, to: str, by: User, *, version: int | None = None) -> Match:
    """Take the step to `to` through its service, with complete answers."""
    common: dict[str, Any] = {
        "match": match,
        "by": by,
        "version": match.version if version is None else version,
    }
    if to == S.DECLINED:
        return services.match_decline(**common, reason="not-relevant", comment="Other sector.")
    if to == S.COMPLETED:
        return services.match_complete(
            **common,
            results="Ten technicians trained.",
            beneficiaries="3 districts, 12,000 people",
            lessons_learned="Start with the district engineers.",
        )
    if to == S.WITHDRAWN:
        return services.match_withdraw(**common, comment="The provider's funding ended.")
    steps: dict[str, Callable[..., Match]] = {
        S.SHORTLISTED: services.match_shortlist,
        S.CONTACTED: services.match_mark_contacted,
        S.AGREED: services.match_agree,
        S.IN_IMPLEMENTATION: services.match_start_implementation,
    }
    return steps[to](**common)


def form_data(to: str, version: int) -> dict[str, Any]:
    data: dict[str, Any] = {"version": version}
    if to == S.DECLINED:
        data |= {"reason": "not-relevant", "comment": ""}
    if to == S.COMPLETED:
        data |= {"results": "Trained.", "beneficiaries": "12 staff", "lessons_learned": "None."}
    if to == S.WITHDRAWN:
        data |= {"comment": "No longer needed."}
    return data


def match_at(status: str, **kwargs: Any) -> Match:
    match: Match = MatchFactory(status=status, **STATUS_FIELDS.get(status, {}), **kwargs)
    return match


def state(match: Match) -> dict[str, Any]:
    """What a refused step must leave as it was."""
    return {
        "match": Match.objects.filter(pk=match.pk).values().get(),
        "need": Need.objects.filter(pk=match.need_id).values().get(),
        "history": Match.history.count(),
        "notifications": Notification.objects.count(),
    }


def step_url(match: Match, slug: str, need: Need | None = None) -> str:
    return reverse(
        "matching:match_step",
        kwargs={"pk": (need or match.need).pk, "match_pk": match.pk, "step": slug},
    )


@pytest.fixture
def roles(settings: Any, db: None) -> Roles:
    return make_roles(settings)


@pytest.fixture
def provider(roles: Roles) -> User:
    """A member of the organization leading the entries of the matches below."""
    user: User = MembershipFactory(user__email="provider@example.org").user
    return user


def entry_of(user: User) -> Entry:
    organization = Organization.objects.get(memberships__user=user)
    entry: Entry = EntryFactory(providers=[organization])
    return entry


# The life cycle ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_match_goes_from_suggested_to_completed_recording_who_and_when_at_each_step(
    roles: Roles,
) -> None:
    match: Match = MatchFactory()
    steps = [
        (S.SHORTLISTED, "shortlisted"),
        (S.CONTACTED, "contacted"),
        (S.AGREED, "agreed"),
        (S.IN_IMPLEMENTATION, "implementation_started"),
        (S.COMPLETED, "completed"),
    ]
    for number, (to, prefix) in enumerate(steps, start=2):
        match = take(match, to, roles.officer)
        match.refresh_from_db()
        assert match.status == to
        assert match.version == number
        assert getattr(match, f"{prefix}_by") == roles.officer
        assert getattr(match, f"{prefix}_at") is not None
    assert (match.results, match.beneficiaries) == (
        "Ten technicians trained.",
        "3 districts, 12,000 people",
    )
    assert match.lessons_learned == "Start with the district engineers."
    # (The factory saved the suggestion directly; the refresh writes them in bulk, unrecorded.)
    history = match.history.filter(history_type="~").order_by("history_date")
    assert list(history.values_list("status", "history_user")) == [
        (to, roles.officer.pk) for to, _prefix in steps
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), LEGAL, ids=[f"{s}-to-{d}" for s, d in LEGAL])
def test_every_legal_step_is_taken(roles: Roles, src: str, dst: str) -> None:
    match = match_at(src)
    take(match, dst, roles.staff)
    match.refresh_from_db()
    assert match.status == dst
    assert match.version == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), ILLEGAL, ids=[f"{s}-to-{d}" for s, d in ILLEGAL])
def test_every_illegal_step_is_refused_and_changes_nothing(
    roles: Roles, src: str, dst: str
) -> None:
    match = match_at(src)
    before = state(match)
    with pytest.raises(ApplicationError) as refused:
        take(match, dst, roles.staff)
    assert refused.value.message.startswith("This match is ")
    assert state(match) == before


@pytest.mark.django_db
def test_completing_a_declined_match_says_the_decline_ended_it(roles: Roles) -> None:
    match = match_at(S.DECLINED)
    with pytest.raises(ApplicationError) as refused:
        take(match, S.COMPLETED, roles.staff)
    assert refused.value.message == (
        "This match is declined, which ends it: it cannot be completed."
    )


@pytest.mark.django_db
def test_agreeing_twice_says_it_is_already_agreed_and_changes_nothing(roles: Roles) -> None:
    match = match_at(S.CONTACTED)
    match = take(match, S.AGREED, roles.officer)
    before = state(match)
    with pytest.raises(ApplicationError) as refused:
        take(match, S.AGREED, roles.staff)
    assert refused.value.message == "This match is already agreed."
    assert state(match) == before


@pytest.mark.django_db
def test_a_step_not_allowed_yet_names_the_steps_that_are(roles: Roles) -> None:
    match: Match = MatchFactory()
    with pytest.raises(ApplicationError) as refused:
        take(match, S.AGREED, roles.officer)
    assert refused.value.message == (
        "This match is suggested: it cannot be agreed. "
        "It can be shortlisted, marked as contacted or declined."
    )


@pytest.mark.django_db
def test_agreeing_makes_an_open_need_matched(roles: Roles) -> None:
    match = match_at(S.CONTACTED)
    take(match, S.AGREED, roles.officer)
    need = Need.objects.get(pk=match.need_id)
    assert need.status == Need.Status.MATCHED
    assert need.matched_at is not None


@pytest.mark.django_db
def test_withdrawing_the_only_agreed_match_opens_the_need_again(roles: Roles) -> None:
    match = take(match_at(S.CONTACTED), S.AGREED, roles.officer)
    take(match, S.WITHDRAWN, roles.officer)
    need = Need.objects.get(pk=match.need_id)
    assert need.status == Need.Status.OPEN
    assert need.matched_at is not None  # when it was last matched
    match.refresh_from_db()
    assert match.withdraw_comment == "The provider's funding ended."


@pytest.mark.django_db
def test_withdrawing_one_of_two_agreed_matches_keeps_the_need_matched(roles: Roles) -> None:
    first = take(match_at(S.CONTACTED), S.AGREED, roles.officer)
    second = take(match_at(S.CONTACTED, need=first.need), S.AGREED, roles.officer)
    take(second, S.IN_IMPLEMENTATION, roles.officer)
    take(first, S.WITHDRAWN, roles.officer)
    assert Need.objects.get(pk=first.need_id).status == Need.Status.MATCHED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        ({"results": "", "beneficiaries": "", "lessons_learned": "x"}, "results, beneficiaries"),
        ({"results": "x", "beneficiaries": "x", "lessons_learned": "  "}, "lessons learned"),
    ],
)
def test_completing_without_the_outcome_is_refused(
    roles: Roles, outcome: dict[str, str], message: str
) -> None:
    match = match_at(S.IN_IMPLEMENTATION)
    before = state(match)
    with pytest.raises(ApplicationError) as refused:
        services.match_complete(match=match, by=roles.officer, version=1, **outcome)
    assert refused.value.message == (
        f"Record the outcome before completing the match: {message} missing."
    )
    assert state(match) == before


@pytest.mark.django_db
def test_declining_needs_a_reason_and_other_needs_a_comment(roles: Roles) -> None:
    match: Match = MatchFactory()
    before = state(match)
    with pytest.raises(ApplicationError, match="Choose why"):
        services.match_decline(match=match, by=roles.officer, version=1, reason="", comment="")
    with pytest.raises(ApplicationError, match="Say in a comment why"):
        services.match_decline(
            match=match, by=roles.officer, version=1, reason="other", comment=" "
        )
    assert state(match) == before
    services.match_decline(
        match=match, by=roles.officer, version=1, reason="other", comment="Duplicate entry."
    )
    match.refresh_from_db()
    assert (match.status, match.decline_reason, match.decline_comment) == (
        S.DECLINED,
        "other",
        "Duplicate entry.",
    )


@pytest.mark.django_db
def test_withdrawing_needs_a_reason(roles: Roles) -> None:
    match = match_at(S.SHORTLISTED)
    before = state(match)
    with pytest.raises(ApplicationError, match="Say why this match is withdrawn"):
        services.match_withdraw(match=match, by=roles.officer, version=1, comment="")
    assert state(match) == before


@pytest.mark.django_db
def test_a_closed_need_or_an_archived_entry_takes_no_step_forward(roles: Roles) -> None:
    closed: Match = MatchFactory(
        need__status=Need.Status.CLOSED, need__closed_reason="Met elsewhere."
    )
    with pytest.raises(ApplicationError, match="This need is closed: its matches cannot be"):
        take(closed, S.SHORTLISTED, roles.staff)
    archived: Match = MatchFactory(entry__status=Entry.Status.ARCHIVED)
    with pytest.raises(ApplicationError, match="This solution is no longer published"):
        take(archived, S.SHORTLISTED, roles.staff)
    # Declining is still possible: it takes nothing forward.
    take(archived, S.DECLINED, roles.staff)


@pytest.mark.django_db
def test_ranking_weights_default_to_the_rankers_defaults_in_one_row() -> None:
    weights = RankingWeights.load()
    assert weights.pk == 1
    assert weights.as_dict() == DEFAULT_WEIGHTS
    assert RankingWeights.load().pk == 1
    assert RankingWeights.objects.count() == 1


# Permissions, through the pages -----------------------------------------------------------------


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", "login"),
        ("partner", 404),
        ("provider", 404),  # suggestions are the need side's
        ("other_officer", 404),
        ("officer", 302),
        ("colleague", 302),
        ("staff", 302),
    ],
)
def test_who_may_shortlist_a_suggestion(
    roles: Roles, provider: User, role: str, expected: int | str
) -> None:
    match: Match = MatchFactory(entry=entry_of(provider))
    user = provider if role == "provider" else roles.get(role)
    before = state(match)
    response = client_for(user).post(step_url(match, "shortlist"), {"version": 1})
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert state(match) == before
    elif expected == 302:
        assert response["Location"] == (
            reverse("matching:need_detail", kwargs={"pk": match.need_id}) + f"#match-{match.pk}"
        )
        match.refresh_from_db()
        assert (match.status, match.shortlisted_by) == (S.SHORTLISTED, user)
    else:
        assert response.status_code == expected
        assert state(match) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "to", "expected"),
    [
        ("contact", S.CONTACTED, 302),
        ("withdraw", S.WITHDRAWN, 302),
        ("decline", S.DECLINED, 403),
    ],
)
def test_the_providers_members_record_their_side_but_do_not_decline(
    roles: Roles, provider: User, slug: str, to: str, expected: int
) -> None:
    match = match_at(S.SHORTLISTED, entry=entry_of(provider))
    before = state(match)
    response = client_for(provider).post(step_url(match, slug), form_data(to, 1))
    assert response.status_code == expected
    match.refresh_from_db()
    if expected == 302:
        assert match.status == to
    else:
        assert state(match) == before


@pytest.mark.django_db
def test_a_provider_takes_the_match_to_completion(roles: Roles, provider: User) -> None:
    match = match_at(S.CONTACTED, entry=entry_of(provider))
    client = client_for(provider)
    for slug, to in (("agree", S.AGREED), ("start", S.IN_IMPLEMENTATION)):
        match.refresh_from_db()
        assert client.post(step_url(match, slug), form_data(to, match.version)).status_code == 302
    match.refresh_from_db()
    response = client.post(step_url(match, "complete"), form_data(S.COMPLETED, match.version))
    assert response.status_code == 302
    match.refresh_from_db()
    assert (match.status, match.completed_by) == (S.COMPLETED, provider)


@pytest.mark.django_db
def test_someone_elses_match_by_number_is_not_found_and_unchanged(roles: Roles) -> None:
    asia = RegionalOffice.objects.get(code=RegionalOffice.Code.ASIA_PACIFIC)
    theirs: Match = MatchFactory(
        need__regional_office=asia, need__countries=[Country.objects.get(iso3="THA")]
    )
    mine: Match = MatchFactory()
    before = state(theirs)
    client = client_for(roles.officer)
    # Under their own need, and under the officer's need (a number that does not belong there).
    assert client.post(step_url(theirs, "shortlist"), {"version": 1}).status_code == 404
    assert client.post(step_url(theirs, "shortlist", mine.need), {"version": 1}).status_code == 404
    assert (
        client.post(step_url(theirs, "decline", mine.need), form_data(S.DECLINED, 1)).status_code
        == 404
    )
    assert state(theirs) == before
    # Staff may: the same request changes it.
    response = client_for(roles.staff).post(step_url(theirs, "shortlist"), {"version": 1})
    assert response.status_code == 302


@pytest.mark.django_db
def test_an_unknown_step_is_not_found(roles: Roles) -> None:
    match: Match = MatchFactory()
    response = client_for(roles.staff).post(step_url(match, "promote"), {"version": 1})
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_step_by_get_is_not_allowed(roles: Roles) -> None:
    match: Match = MatchFactory()
    response = client_for(roles.staff).get(step_url(match, "shortlist"))
    assert response.status_code == 405


@pytest.mark.django_db
def test_the_need_page_shows_matches_with_reasons_to_its_officers_only(
    roles: Roles, provider: User
) -> None:
    need: Need = NeedFactory()
    suggested: Match = MatchFactory(need=need, score=0.72, entry__title="Zai pits for dry soils")
    followed = match_at(S.SHORTLISTED, need=need, entry=entry_of(provider), score=0.41)
    url = reverse("matching:need_detail", kwargs={"pk": need.pk})

    page = client_for(roles.officer).get(url).content.decode()
    assert "Zai pits for dry soils" in page
    assert "Shared SDG target 6.4" in page
    assert "rainwater, harvesting" in page
    assert "Score 0.72" in page
    assert 'name="version" value="1"' in page
    assert "Refresh suggestions" in page
    assert followed.entry.title in page

    # The provider sees only the followed match of its entry; no suggestions, no refresh.
    page = client_for(provider).get(url).content.decode()
    assert followed.entry.title in page
    assert "Zai pits for dry soils" not in page
    assert "Refresh suggestions" not in page

    # Anyone else sees the public need, without its matches.
    for user in (None, roles.partner, roles.other_officer):
        page = client_for(user).get(url).content.decode()
        assert need.title in page
        assert "Zai pits for dry soils" not in page
        assert followed.entry.title not in page
        assert "Matching solutions" not in page
    assert suggested.status == S.SUGGESTED


@pytest.mark.django_db
def test_declining_through_the_page_records_the_reason_and_comment(roles: Roles) -> None:
    match: Match = MatchFactory()
    client = client_for(roles.officer)
    response = client.post(
        step_url(match, "decline"),
        {"version": 1, "reason": "not-affordable", "comment": "Beyond the budget."},
    )
    assert response.status_code == 302
    match.refresh_from_db()
    assert (match.status, match.decline_reason, match.decline_comment, match.declined_by) == (
        S.DECLINED,
        "not-affordable",
        "Beyond the budget.",
        roles.officer,
    )
    page = client.get(response["Location"]).content.decode()
    assert "Match declined." in page
    assert "Not affordable" in page


@pytest.mark.django_db
def test_a_form_with_missing_answers_is_shown_again_and_changes_nothing(roles: Roles) -> None:
    match: Match = MatchFactory()
    before = state(match)
    client = client_for(roles.officer)
    response = client.post(step_url(match, "decline"), {"version": 1, "reason": "other"})
    assert response.status_code == 400
    assert "Say in a comment why this match is declined." in response.content.decode()
    response = client.post(step_url(match, "decline"), {"version": 1})
    assert response.status_code == 400
    assert state(match) == before


# Two people at once -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_step_on_a_version_changed_meanwhile_is_refused_and_both_changes_are_kept(
    roles: Roles,
) -> None:
    match: Match = MatchFactory()
    seen_by_both = match.version
    # The officer shortlists; the colleague, on the page loaded before, declines.
    take(Match.objects.get(pk=match.pk), S.SHORTLISTED, roles.officer, version=seen_by_both)
    before = state(match)
    with pytest.raises(ApplicationError) as refused:
        take(Match.objects.get(pk=match.pk), S.DECLINED, roles.colleague, version=seen_by_both)
    assert refused.value.message == services.STALE_MATCH
    assert state(match) == before
    # After a reload the colleague sees the shortlisting and declines knowingly.
    take(
        Match.objects.get(pk=match.pk),
        S.DECLINED,
        roles.colleague,
        version=before["match"]["version"],
    )
    steps = list(
        match.history.filter(history_type="~")
        .order_by("history_date")
        .values_list("status", "history_user")
    )
    assert steps == [(S.SHORTLISTED, roles.officer.pk), (S.DECLINED, roles.colleague.pk)]


@pytest.mark.django_db
def test_a_stale_step_through_the_page_says_reload_and_changes_nothing(roles: Roles) -> None:
    match: Match = MatchFactory()
    client_for(roles.officer).post(step_url(match, "shortlist"), {"version": 1})
    match.refresh_from_db()
    before = state(match)
    response = client_for(roles.colleague).post(
        step_url(match, "decline"), form_data(S.DECLINED, 1), follow=True
    )
    assert (
        "This match was changed by someone else meanwhile; reload the page and try again."
        in response.content.decode()
    )
    assert state(match) == before


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """A transactional test starts from an empty database when another emptied it."""
    if not Country.objects.exists():
        call_command("load_reference", verbosity=0)


def test_two_steps_at_the_same_moment_on_the_same_version_let_exactly_one_through(
    reference_data: None, settings: Any
) -> None:
    """Two requests on separate database connections, released together: the row lock makes
    the second wait for the first and then find its version, so one step is refused."""
    roles = make_roles(settings)
    match: Match = MatchFactory()
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def act(name: str, to: str, user: User) -> None:
        try:
            barrier.wait()
            take(Match.objects.get(pk=match.pk), to, user, version=1)
            outcomes[name] = "done"
        except ApplicationError as exc:
            outcomes[name] = exc.message
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=("shortlist", S.SHORTLISTED, roles.officer)),
        threading.Thread(target=act, args=("decline", S.DECLINED, roles.colleague)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == sorted(["done", services.STALE_MATCH]), outcomes
    match.refresh_from_db()
    winner = next(name for name, outcome in outcomes.items() if outcome == "done")
    assert match.status == {"shortlist": S.SHORTLISTED, "decline": S.DECLINED}[winner]
    assert match.version == 2
    assert match.history.filter(history_type="~").count() == 1


# The ranking weights, tuned by staff in the admin ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"text": "-0.1"}, "Ensure this value is greater than or equal to 0."),
        ({name: "0" for name in RankingWeights.FACTORS}, "At least one weight must be above zero."),
    ],
)
def test_staff_cannot_save_negative_or_all_zero_weights(
    admin_client: Client, changes: dict[str, str], error: str
) -> None:
    weights = RankingWeights.load()
    url = reverse("admin:matching_rankingweights_change", args=[weights.pk])
    data = {name: str(value) for name, value in weights.as_dict().items()} | changes
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert RankingWeights.load().as_dict() == DEFAULT_WEIGHTS


@pytest.mark.django_db
def test_staff_tune_the_weights_and_the_change_is_signed(
    admin_client: Client, admin_user: User
) -> None:
    weights = RankingWeights.load()
    url = reverse("admin:matching_rankingweights_change", args=[weights.pk])
    data = {name: str(value) for name, value in weights.as_dict().items()} | {"text": "0.5"}
    assert admin_client.post(url, data).status_code == 302
    weights = RankingWeights.load()
    assert (weights.text, weights.updated_by) == (0.5, admin_user)
    # One row: no second one can be added, and it cannot be deleted.
    assert admin_client.get(reverse("admin:matching_rankingweights_add")).status_code == 403
    delete = reverse("admin:matching_rankingweights_delete", args=[weights.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert RankingWeights.objects.count() == 1

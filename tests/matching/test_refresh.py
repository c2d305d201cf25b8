"""Keeping suggestions fresh: the refresh stores the ranker's top entries as `suggested` matches
and is safe to run twice; matches people followed are never touched; needs and entries changing
queue the refresh after their commit; strong matches reach the need's officers in one
notification a day."""

import datetime
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from accounts.models import User
from catalog import services as catalog_services
from catalog.models import Entry, RegionalOffice, SdgTarget
from matching import services, tasks
from matching.models import Match, Need, RankingWeights
from matching.ranking import rank_entries_for_need
from matching.ranking.profiles import forget_reference
from matching.ranking.weights import FACTOR_NAMES
from notifications.models import Notification
from tests.factories import (
    EntryFactory,
    MatchFactory,
    MembershipFactory,
    NeedFactory,
    OfficerFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

S = Match.Status


@pytest.fixture(autouse=True)
def fast_reader(settings: Any) -> None:
    # The ranker reads the search index; a test sees its own commits at once.
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The ranker keeps the reference tables by id for minutes; a transactional test that ran
    # before may have loaded them again under new ids.
    forget_reference()


def index() -> None:
    """Bring this test's copy of the search index up to date with the database."""
    call_command("search_catch_up", verbosity=0)


@pytest.fixture
def target_6_4() -> SdgTarget:
    return SdgTarget.objects.get(code="6.4")


@pytest.fixture
def catalogue(target_6_4: SdgTarget) -> list[Entry]:
    """Four published solutions about water harvesting, one unrelated, one draft."""
    entries: list[Entry] = [
        EntryFactory(
            title=f"Rainwater harvesting for smallholder farms {n}",
            summary="Collect and store rainwater for dry-season irrigation.",
            sdg_targets=[target_6_4],
        )
        for n in range(4)
    ]
    EntryFactory(title="Mangrove nursery manual", summary="Growing mangrove seedlings.")
    EntryFactory(
        title="Rainwater harvesting draft",
        summary="Rainwater harvesting.",
        status=Entry.Status.DRAFT,
        published_at=None,
    )
    index()
    return entries


@pytest.fixture
def need(target_6_4: SdgTarget) -> Need:
    need: Need = NeedFactory(
        title="Rainwater harvesting for drought-hit farms",
        description="Train farmers to harvest and store rainwater for irrigation.",
    )
    need.sdg_targets.set([target_6_4])
    return need


def rows(need: Need) -> list[Any]:
    return list(
        Match.objects.filter(need=need)
        .order_by("entry_id")
        .values("pk", "entry_id", "status", "score", "breakdown", "ranked_at", "version")
    )


def test_refresh_stores_the_rankers_best_entries_as_suggestions(
    catalogue: list[Entry], need: Need
) -> None:
    result = services.need_suggestions_refresh(need=need)

    ranking = rank_entries_for_need(need, limit=20)
    assert ranking.items, "the ranker found the water-harvesting entries"
    stored = {m.entry_id: m for m in Match.objects.filter(need=need)}
    assert set(stored) == {item.entry_id for item in ranking.items}
    assert {e.pk for e in catalogue} <= set(stored)
    for item in ranking.items:
        match = stored[item.entry_id]
        assert match.status == S.SUGGESTED
        assert match.score == pytest.approx(item.score)
        assert match.breakdown["factors"] == item.as_json()["factors"]
    assert result.created == len(ranking.items)
    need.refresh_from_db()
    assert need.suggestions_refreshed_at is not None


def test_refreshing_twice_gives_the_same_rows(catalogue: list[Entry], need: Need) -> None:
    services.need_suggestions_refresh(need=need)
    first = rows(need)
    second_run = services.need_suggestions_refresh(need=need)
    assert rows(need) == first
    assert (second_run.created, second_run.updated, second_run.deleted) == (0, 0, 0)
    # The task, run twice as a redelivered message would, changes nothing either.
    assert tasks.refresh_need_suggestions.delay(need.pk).get() == 0
    assert tasks.refresh_need_suggestions.delay(need.pk).get() == 0
    assert rows(need) == first


def test_matches_past_suggested_are_never_touched_nor_suggested_again(
    catalogue: list[Entry], need: Need, settings: Any
) -> None:
    staff: User = StaffUserFactory()
    shortlisted: Match = MatchFactory(
        need=need, entry=catalogue[0], status=S.SHORTLISTED, score=0.01, breakdown={"x": 1}
    )
    declined: Match = MatchFactory(
        need=need,
        entry=catalogue[1],
        status=S.DECLINED,
        decline_reason="not-relevant",
        declined_by=staff,
        score=0.02,
    )
    followed_before = list(
        Match.objects.filter(pk__in=[shortlisted.pk, declined.pk]).order_by("pk").values()
    )
    settings.MATCH_SUGGESTIONS_PER_NEED = 2

    services.need_suggestions_refresh(need=need)
    services.need_suggestions_refresh(need=need)

    assert (
        list(Match.objects.filter(pk__in=[shortlisted.pk, declined.pk]).order_by("pk").values())
        == followed_before
    )
    suggested = Match.objects.filter(need=need, status=S.SUGGESTED)
    # Two suggestions besides the followed ones: the other two water-harvesting entries.
    assert set(suggested.values_list("entry_id", flat=True)) == {
        catalogue[2].pk,
        catalogue[3].pk,
    }


def test_suggestions_that_leave_the_top_are_deleted_and_the_new_ones_added(
    catalogue: list[Entry], need: Need, settings: Any
) -> None:
    settings.MATCH_SUGGESTIONS_PER_NEED = 3
    services.need_suggestions_refresh(need=need)
    before = set(Match.objects.filter(need=need).values_list("entry_id", flat=True))
    assert len(before) == 3
    gone = Entry.objects.get(pk=min(before))
    Entry.objects.filter(pk=gone.pk).update(status=Entry.Status.ARCHIVED)

    result = services.need_suggestions_refresh(need=need)

    after = set(Match.objects.filter(need=need).values_list("entry_id", flat=True))
    assert gone.pk not in after
    assert len(after) == 3
    assert result.deleted == 1
    assert result.created == 1
    # Suggestions coming and going are the ranker's output, not people's steps.
    assert not Match.history.filter(need_id=need.pk).exists()


def test_a_closed_need_loses_its_suggestions_and_keeps_its_followed_matches(
    catalogue: list[Entry], need: Need
) -> None:
    services.need_suggestions_refresh(need=need)
    kept: Match = Match.objects.filter(need=need).first()  # type: ignore[assignment]
    Match.objects.filter(pk=kept.pk).update(status=S.SHORTLISTED)
    staff: User = StaffUserFactory()

    services.need_close(need=need, by=staff, reason="Met by a national programme.")
    services.need_suggestions_refresh(need=need)

    assert list(Match.objects.filter(need=need).values_list("pk", "status")) == [
        (kept.pk, S.SHORTLISTED)
    ]


# Triggers --------------------------------------------------------------------------------------


def test_opening_a_need_refreshes_its_suggestions_after_the_commit(
    catalogue: list[Entry], need: Need, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    Need.objects.filter(pk=need.pk).update(status=Need.Status.VALIDATED)
    need.refresh_from_db()
    staff: User = StaffUserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.need_open(need=need, by=staff)
        # Nothing is ranked inside the transaction that opens the need.
        assert not Match.objects.filter(need=need).exists()
    # One refresh queued (other callbacks are other apps', e.g. webhooks).
    refreshes = [c for c in callbacks if "enqueue_need_refresh" in getattr(c, "__qualname__", "")]
    assert len(refreshes) == 1
    assert set(Match.objects.filter(need=need).values_list("entry_id", flat=True)) >= {
        e.pk for e in catalogue
    }


def test_publishing_an_entry_adds_it_to_the_open_needs_it_serves(
    catalogue: list[Entry],
    need: Need,
    target_6_4: SdgTarget,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # As in `make run`: the index catches up on commit, before the refresh that follows.
    settings.SEARCH_CATCH_UP_ON_COMMIT = True
    services.need_suggestions_refresh(need=need)
    staff: User = StaffUserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        new: Entry = EntryFactory(
            title="Rooftop rainwater harvesting tanks",
            summary="Harvest rainwater from roofs to irrigate farms.",
            sdg_targets=[target_6_4],
            status=Entry.Status.SUBMITTED,
            published_at=None,
        )
        catalog_services.entry_publish(entry=new, by=staff)
        assert not Match.objects.filter(entry=new).exists()
    assert Match.objects.filter(need=need, entry=new, status=S.SUGGESTED).exists()


def test_changing_a_published_entry_refreshes_the_needs_it_serves(
    catalogue: list[Entry],
    need: Need,
    target_6_4: SdgTarget,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.SEARCH_CATCH_UP_ON_COMMIT = True
    services.need_suggestions_refresh(need=need)
    mangroves = Entry.objects.get(title="Mangrove nursery manual")
    # Few entries: the unrelated one is suggested too, last.
    before = Match.objects.get(need=need, entry=mangroves).score
    staff: User = StaffUserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.entry_update(
            entry=mangroves,
            by=staff,
            data={
                "summary": "Harvest rainwater in mangrove villages for farm irrigation.",
                "sdg_targets": [target_6_4],
            },
        )
    assert Match.objects.get(need=need, entry=mangroves).score > before


def test_archiving_an_entry_removes_it_from_the_suggestions(
    catalogue: list[Entry], need: Need, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    services.need_suggestions_refresh(need=need)
    staff: User = StaffUserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.entry_archive(entry=catalogue[0], by=staff)
    assert not Match.objects.filter(entry=catalogue[0]).exists()
    assert Match.objects.filter(need=need, entry=catalogue[1]).exists()


def test_a_draft_entry_changed_by_its_organization_queues_nothing(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    member: User = MembershipFactory().user
    draft: Entry = EntryFactory(
        status=Entry.Status.DRAFT,
        published_at=None,
        providers=[member.memberships.get().organization],
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        catalog_services.entry_update(entry=draft, by=member, data={"title": "Drip irrigation"})
    assert not any("refresh" in repr(callback) for callback in callbacks)


def test_the_refresh_button_ranks_again_for_the_needs_officers(
    catalogue: list[Entry], need: Need, client: Any
) -> None:
    officer: User = OfficerFactory()
    client.force_login(officer)
    response = client.post(f"/needs/{need.pk}/matches/refresh/", follow=True)
    assert response.status_code == 200
    assert "Suggestions refreshed: " in response.content.decode()
    assert Match.objects.filter(need=need).count() >= len(catalogue)

    client.force_login(MembershipFactory().user)
    before = Match.objects.count()
    Match.objects.filter(need=need).delete()
    assert client.post(f"/needs/{need.pk}/matches/refresh/").status_code == 403
    assert Match.objects.count() == 0 != before


# Strong matches --------------------------------------------------------------------------------


@pytest.fixture
def officers() -> tuple[User, User]:
    return OfficerFactory(email="amina@unep.example"), OfficerFactory(email="kofi@unep.example")


def strong_notifications() -> list[Notification]:
    return list(Notification.objects.filter(kind=Notification.Kind.STRONG_MATCH).order_by("pk"))


def test_new_strong_matches_reach_each_officer_once_in_one_notification(
    officers: tuple[User, User], settings: Any
) -> None:
    settings.MATCH_STRONG_THRESHOLD = 0.6
    creator: User = StaffUserFactory(email="creator@unep.example")
    first_need: Need = NeedFactory(title="Drought early warning", created_by=creator)
    second_need: Need = NeedFactory(title="Solar irrigation")
    strong = [
        MatchFactory(need=first_need, score=0.81, entry__title="Drought bulletins"),
        MatchFactory(need=second_need, score=0.6, entry__title="Solar pumps"),
    ]
    weak: Match = MatchFactory(need=second_need, score=0.59)
    shortlisted: Match = MatchFactory(need=second_need, score=0.9, status=S.SHORTLISTED)
    asia_officer: User = OfficerFactory(
        regional_office=RegionalOffice.objects.get(code=RegionalOffice.Code.ASIA_PACIFIC)
    )

    assert services.matches_notify_strong() == 3

    sent = strong_notifications()
    assert sorted(n.recipient.email for n in sent) == [
        "amina@unep.example",
        "creator@unep.example",
        "kofi@unep.example",
    ]
    by_email = {n.recipient.email: n for n in sent}
    assert by_email["amina@unep.example"].subject == "2 new strong matches for your needs"
    assert by_email["amina@unep.example"].body == (
        "• Drought early warning: Drought bulletins (81%)\n• Solar irrigation: Solar pumps (60%)"
    )
    assert by_email["amina@unep.example"].url == "/needs/mine/"
    assert by_email["creator@unep.example"].subject == "1 new strong match for your needs"
    assert by_email["creator@unep.example"].url == f"/needs/{first_need.pk}/"
    assert asia_officer.pk not in {n.recipient_id for n in sent}
    for match in strong:
        match.refresh_from_db()
        assert match.strong_notified_at is not None
    for match in (weak, shortlisted):
        match.refresh_from_db()
        assert match.strong_notified_at is None

    # Run again: nothing new, nothing sent.
    assert tasks.notify_strong_matches.delay().get() == 0
    assert len(strong_notifications()) == 3


def test_at_most_one_strong_match_digest_a_day(officers: tuple[User, User], settings: Any) -> None:
    settings.MATCH_STRONG_THRESHOLD = 0.6
    need: Need = NeedFactory()
    morning = datetime.datetime(2026, 3, 2, 6, 10, tzinfo=datetime.UTC)
    with time_machine.travel(morning, tick=False):
        MatchFactory(need=need, score=0.7)
        assert services.matches_notify_strong() == 2
        later: Match = MatchFactory(need=need, score=0.8, entry__title="Weather stations")
    with time_machine.travel(morning + datetime.timedelta(hours=8), tick=False):
        # A second run the same day (a redelivered message, a manual run) sends nothing...
        assert services.matches_notify_strong() == 0
        later.refresh_from_db()
        assert later.strong_notified_at is None
    with time_machine.travel(morning + datetime.timedelta(days=1), tick=False):
        # ...and the new strong match goes in the next day's.
        assert services.matches_notify_strong() == 2
    sent = strong_notifications()
    assert len(sent) == 4
    assert "Weather stations (80%)" in sent[-1].body
    later.refresh_from_db()
    assert later.strong_notified_at == morning + datetime.timedelta(days=1)


def test_strong_matches_of_closed_needs_are_not_announced(
    officers: tuple[User, User], settings: Any
) -> None:
    settings.MATCH_STRONG_THRESHOLD = 0.6
    MatchFactory(need__status=Need.Status.CLOSED, need__closed_reason="Duplicate.", score=0.9)
    assert services.matches_notify_strong() == 0
    assert timezone.now() and not strong_notifications()


def test_an_entrys_page_shows_the_open_needs_it_could_serve(
    catalogue: list[Entry], need: Need, target_6_4: SdgTarget, client: Any
) -> None:
    closed: Need = NeedFactory(
        title="Rainwater for closed villages",
        status=Need.Status.CLOSED,
        closed_reason="Met elsewhere.",
    )
    closed.sdg_targets.set([target_6_4])
    page = client.get(f"/technologies/{catalogue[0].pk}/").content.decode()
    assert "Needs this could serve" in page
    assert f'href="/needs/{need.pk}/"' in page
    assert "Shared SDG targets: 6.4" in page
    assert "Rainwater for closed villages" not in page


def test_the_refresh_command_ranks_every_open_need_again(
    catalogue: list[Entry], need: Need
) -> None:
    closed: Need = NeedFactory(
        title="Rainwater tanks", status=Need.Status.CLOSED, closed_reason="Met elsewhere."
    )
    closed.sdg_targets.set([SdgTarget.objects.get(code="6.4")])
    assert not Match.objects.exists()

    output = StringIO()
    call_command("matching_refresh", stdout=output)

    assert "Suggestions of 1 open needs ranked again" in output.getvalue()
    suggested = set(Match.objects.filter(need=need).values_list("entry_id", flat=True))
    assert {entry.pk for entry in catalogue} <= suggested
    assert not suggested & set(
        Entry.objects.exclude(status="published").values_list("pk", flat=True)
    )
    assert not Match.objects.filter(need=closed).exists()


def test_saving_the_ranking_weights_ranks_the_open_needs_again(
    admin_client: Any, catalogue: list[Entry], need: Need
) -> None:
    weights = RankingWeights.objects.create()
    form = {name: getattr(weights, name) for name in FACTOR_NAMES}
    assert not Match.objects.exists()

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin_client.post(
            f"/admin/matching/rankingweights/{weights.pk}/change/", {**form, "text": 0.9}
        )

    assert response.status_code == 302
    weights.refresh_from_db()
    assert weights.text == 0.9
    suggested = set(Match.objects.filter(need=need).values_list("entry_id", flat=True))
    assert {entry.pk for entry in catalogue} <= suggested

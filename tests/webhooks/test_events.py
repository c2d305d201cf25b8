"""Changes reach the webhooks that follow them, end to end: a real change through the services,
after its commit, delivered to a real receiver on 127.0.0.1, with only what the receiving
organization may see."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import User
from catalog import services as catalog_services
from catalog.models import Country, Entry, Organization, SdgTarget, Theme
from matching import services as matching_services
from matching.models import Match, Need
from matching.ranking import rank_entries_for_need
from matching.ranking.profiles import forget_reference
from tests.factories import (
    DraftNeedFactory,
    EntryFactory,
    MatchFactory,
    NeedFactory,
    OfficerFactory,
    StaffUserFactory,
    country,
)
from tests.webhooks.conftest import Receiver
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ranker_settings(settings: Any) -> Iterator[None]:
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    forget_reference()
    yield


@pytest.fixture
def staff() -> User:
    return StaffUserFactory()


@pytest.fixture
def water() -> Theme:
    return Theme.objects.get(code="ecosystem-management")


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run the block, then what its commit queues (emission, deliveries)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def payloads(receiver: Receiver, event: str | None = None) -> list[dict[str, Any]]:
    return [
        call.json()
        for call in receiver.received
        if event is None or call.headers["X-Exchange-Event"] == event
    ]


def test_an_entrys_life_reaches_its_organization_and_the_filters_that_match(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    committed: Callable[..., Any],
    organization: Organization,
    other_organization: Organization,
    admin: User,
    staff: User,
    water: Theme,
) -> None:
    own, _secret = make_webhook(receiver.url + "?who=own", "entry.changed")
    # Another organization follows entries about water in Kenya...
    follower, _secret = make_webhook(
        receiver.url + "?who=follower",
        "entry.changed",
        org=other_organization,
        theme_codes=["ecosystem-management"],
        country_codes=["KEN"],
    )
    # ...and a third about water in Brazil only: it hears of nothing here.
    make_webhook(
        receiver.url + "?who=brazil",
        "entry.changed",
        org=other_organization,
        theme_codes=["ecosystem-management"],
        country_codes=["BRA"],
    )

    with committed():
        entry: Entry = EntryFactory(
            title="Rainwater tanks",
            status=Entry.Status.DRAFT,
            published_at=None,
            providers=[organization],
            themes=[water],
            countries_applied=[country("KEN")],
        )
    with committed():
        catalog_services.entry_publish(entry=entry, by=staff)
    with committed():
        catalog_services.entry_update(entry=entry, by=admin, data={"title": "Rainwater tanks 2"})
    with committed():
        catalog_services.entry_archive(entry=entry, by=staff)
    with committed():
        entry.delete()

    by_whom: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for call in receiver.received:
        assert call.headers["X-Exchange-Event"] == "entry.changed"
        body = call.json()
        by_whom.setdefault(call.path.split("who=")[1], []).append((body["action"], body["entry"]))
    own_calls = by_whom["own"]
    assert [action for action, _entry in own_calls] == [
        "created",
        "published",
        "updated",
        "archived",
        "deleted",
    ]
    assert own_calls[0][1]["status"] == "draft"  # its own draft: it sees it
    assert own_calls[2][1]["title"] == "Rainwater tanks 2"
    assert own_calls[3][1]["status"] == "archived"
    assert own_calls[4][1] == {"id": own_calls[0][1]["id"], "visible": False}
    summary = own_calls[1][1]
    assert set(summary) == {"id", "url", "module", "title", "status", "updated_at"}
    assert summary["url"].endswith(f"/api/v1/entries/{summary['id']}/")
    # The follower never saw the draft; it hears of the archived entry with its id only, and
    # of nothing once the entry is gone from the catalogue.
    follower_calls = by_whom["follower"]
    assert [action for action, _entry in follower_calls] == ["published", "updated", "archived"]
    assert follower_calls[0][1] == {**summary, "updated_at": follower_calls[0][1]["updated_at"]}
    assert follower_calls[2][1] == {"id": summary["id"], "visible": False}
    assert "brazil" not in by_whom
    assert Delivery.objects.filter(webhook=own, status="succeeded").count() == 5
    assert Delivery.objects.filter(webhook=follower).count() == 3


def test_a_need_change_reaches_the_organizations_matched_with_it_and_the_filters(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    committed: Callable[..., Any],
    organization: Organization,
    other_organization: Organization,
    staff: User,
    water: Theme,
) -> None:
    entry = EntryFactory(providers=[organization])
    need: Need = NeedFactory(title="Drought early warning for Kenya", countries=[country("KEN")])
    need.themes.set([water])
    unrelated = NeedFactory(title="Solar pumps for Peru", countries=[country("PER")])
    MatchFactory(need=need, entry=entry)
    make_webhook(receiver.url + "?who=matched", "need.changed")
    make_webhook(
        receiver.url + "?who=kenya-water",
        "need.changed",
        org=other_organization,
        theme_codes=["ecosystem-management"],
        country_codes=["KEN"],
    )
    make_webhook(receiver.url + "?who=entries-only", "entry.changed", org=other_organization)

    with committed():
        # An open need is changed by staff in the admin (the services change drafts only).
        need.title = "Drought early warning for Kenya's north"
        need.save(update_fields=["title", "updated_at"])
    with committed():
        unrelated.title = "Solar pumps for Peru's highlands"
        unrelated.save(update_fields=["title", "updated_at"])
    with committed():
        matching_services.need_close(need=need, by=staff, reason="Met by the government.")

    received = [(call.path.split("who=")[1], call.json()) for call in receiver.received]
    assert [(who, body["action"]) for who, body in received] == [
        ("matched", "updated"),
        ("kenya-water", "updated"),
        ("matched", "status-changed"),
        ("kenya-water", "status-changed"),
    ]
    updated = received[0][1]
    assert updated["event"] == "need.changed"
    assert updated["need"]["title"] == "Drought early warning for Kenya's north"
    assert updated["need"]["status"] == "open"
    assert set(updated["need"]) == {"id", "url", "title", "status", "updated_at"}
    # Closed, it is no longer public: its id only, not even its status.
    assert received[2][1]["need"] == {"id": need.pk, "visible": False}


def test_a_need_no_organization_may_see_is_never_sent(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    committed: Callable[..., Any],
    organization: Organization,
    admin: User,
    staff: User,
) -> None:
    # The webhook's creator is an officer of the Africa office, who sees its drafts in the
    # browser; the organization's webhook does not.
    admin.regional_office = OfficerFactory().regional_office
    admin.save()
    make_webhook(receiver.url, "need.changed", "match.strong", country_codes=["KEN"])
    entry = EntryFactory(providers=[organization])
    with committed():
        draft: Need = DraftNeedFactory(title="Confidential draft about Kenya")
        MatchFactory(need=draft, entry=entry, score=0.99)
    with committed():
        matching_services.need_submit(need=draft, by=staff)
    with committed():
        matching_services.need_validate(need=draft, by=staff)
    assert receiver.received == []
    assert not Delivery.objects.exists()

    with committed():
        matching_services.need_open(need=draft, by=staff)
    (call,) = [call for call in receiver.received if call.json()["event"] == "need.changed"]
    assert call.json()["need"]["title"] == "Confidential draft about Kenya"
    assert call.json()["need"]["status"] == "open"


@pytest.fixture
def catalogue(organization: Organization, other_organization: Organization) -> list[Entry]:
    target = SdgTarget.objects.get(code="6.4")
    entries: list[Entry] = [
        EntryFactory(
            title=f"Rainwater harvesting for smallholder farms {n}",
            summary="Collect and store rainwater for dry-season irrigation.",
            sdg_targets=[target],
            providers=[organization if n == 0 else other_organization],
        )
        for n in range(3)
    ]
    # A weaker one: the same target, none of the need's words.
    weaker: Entry = EntryFactory(
        title="Mangrove nursery manual",
        summary="Growing mangrove seedlings in coastal nurseries.",
        sdg_targets=[target],
        providers=[other_organization],
    )
    entries.append(weaker)
    call_command("search_catch_up", verbosity=0)
    return entries


def test_new_strong_matches_reach_the_entrys_organization_and_the_needs_followers(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    committed: Callable[..., Any],
    catalogue: list[Entry],
    organization: Organization,
    settings: Any,
) -> None:
    need: Need = NeedFactory(
        title="Rainwater harvesting for drought-hit farms",
        description="Train farmers to harvest and store rainwater for irrigation.",
    )
    need.sdg_targets.set([SdgTarget.objects.get(code="6.4")])
    ranked = rank_entries_for_need(need, limit=20).items
    scores = [float(item.score) for item in ranked]
    assert len(ranked) == 4, "the ranker found the water-harvesting entries"
    assert max(scores) > min(scores)
    # Strong: above the middle of the range.
    settings.MATCH_STRONG_THRESHOLD = (max(scores) + min(scores)) / 2
    own, _secret = make_webhook(receiver.url + "?who=own", "match.strong")
    outsider_org = Organization.objects.create(
        name="Kenya Water Network", type=organization.type, country=country("KEN")
    )
    kenya, _secret = make_webhook(
        receiver.url + "?who=kenya", "match.strong", org=outsider_org, country_codes=["KEN"]
    )
    peru, _secret = make_webhook(
        receiver.url + "?who=peru", "match.strong", org=outsider_org, country_codes=["PER"]
    )

    with committed():
        matching_services.need_suggestions_refresh(need=need)

    strong = list(
        Match.objects.filter(need=need, score__gte=settings.MATCH_STRONG_THRESHOLD).order_by(
            "-score", "pk"
        )
    )
    weak = Match.objects.filter(need=need, score__lt=settings.MATCH_STRONG_THRESHOLD)
    assert strong and weak.exists()
    for webhook in (own, kenya):
        told = Delivery.objects.filter(webhook=webhook, event_type="match.strong")
        assert {d.subject for d in told} == {f"match:{m.pk}" for m in strong}
        assert {d.status for d in told} == {"succeeded"}
    assert not Delivery.objects.filter(webhook=peru).exists()
    bodies = payloads(receiver, "match.strong")
    first = bodies[0]
    assert first["event"] == "match.strong"
    assert first["need"]["id"] == need.pk and first["need"]["status"] == "open"
    assert first["entry"]["status"] == "published"
    assert first["match"]["score"] >= settings.MATCH_STRONG_THRESHOLD - 1e-4
    assert "breakdown" not in first["match"]

    # Nothing new on the next refresh: nothing is announced twice.
    sent = len(receiver.received)
    with committed():
        matching_services.need_suggestions_refresh(need=need)
    assert len(receiver.received) == sent


def test_a_webhook_hears_only_of_the_events_it_chose(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    committed: Callable[..., Any],
    organization: Organization,
) -> None:
    webhook, _secret = make_webhook(receiver.url, "need.changed")
    with committed():
        EntryFactory(providers=[organization])
    assert receiver.received == []
    webhook.event_types = ["entry.changed"]
    webhook.save()
    with committed():
        EntryFactory(providers=[organization])
    assert [call.json()["action"] for call in receiver.received] == ["created"]


def test_a_disabled_webhook_hears_nothing_and_a_rollback_sends_nothing(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    committed: Callable[..., Any],
    organization: Organization,
) -> None:
    webhook, _secret = make_webhook(receiver.url, "entry.changed")
    with committed():
        try:
            from django.db import transaction

            with transaction.atomic():
                EntryFactory(providers=[organization])
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert not Delivery.objects.exists()
    Webhook.objects.filter(pk=webhook.pk).update(is_active=False)
    with committed():
        EntryFactory(providers=[organization])
    assert not Delivery.objects.exists()
    assert receiver.received == []
    assert Country.objects.filter(iso3="KEN").exists()

"""The public statistics page: aggregate, anonymous figures, checked against counts made here
with plain queries; cached for a few minutes; linked from every page's footer."""

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from catalog.models import Entry, SdgGoal
from matching.models import Match, Need
from tests.factories import EntryFactory, MatchFactory, NeedFactory, country

pytestmark = pytest.mark.django_db


def figure(page: str, name: str) -> int:
    found = re.search(rf'<dd id="stat-{name}">([\d,]+)</dd>', page)
    assert found, name
    return int(found.group(1).replace(",", ""))


def table(page: str, table_id: str) -> dict[str, list[int]]:
    body = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    assert body, table_id
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', body.group(1), re.S)
    return {
        label: [int(value.replace(",", "")) for value in re.findall(r">([\d,]+)</td>", cells)]
        for label, cells in rows
    }


@pytest.fixture
def portal_data() -> dict[str, Any]:
    water = SdgGoal.objects.get(number=6)
    climate = SdgGoal.objects.get(number=13)
    technology = [EntryFactory(module="technology") for _ in range(3)]
    EntryFactory(module="expertise")
    EntryFactory(module="technology", status=Entry.Status.DRAFT)  # not published: not counted
    for entry in technology[:2]:
        entry.sdg_goals.set([water])
    technology[2].sdg_goals.set([water, climate])
    open_need = NeedFactory(countries=[country("KEN")])
    open_need.sdg_goals.set([water])
    NeedFactory(status=Need.Status.DRAFT).sdg_goals.set([water])  # a draft is nobody's business
    agreed = NeedFactory(status=Need.Status.MATCHED)
    MatchFactory(need=agreed, entry=technology[0], status=Match.Status.AGREED)
    completed = NeedFactory(status=Need.Status.CLOSED, closed_reason="Met by the cooperation.")
    MatchFactory(
        need=completed, entry=technology[1], status=Match.Status.COMPLETED, results="Trained 40."
    )
    MatchFactory(need=open_need, entry=technology[2])  # only suggested
    return {"water": water, "climate": climate}


def test_the_figures_are_the_counts_of_the_data(
    client: Client, portal_data: dict[str, Any]
) -> None:
    response = client.get("/statistics/")
    assert response.status_code == 200
    page = response.content.decode()
    published = Entry.objects.filter(status=Entry.Status.PUBLISHED)
    assert figure(page, "entries") == published.count() == 4 + 0  # factory entries: published
    registered = Need.objects.exclude(status__in=["draft", "submitted"])
    assert figure(page, "needs-registered") == registered.count() == 3
    assert figure(page, "needs-open") == Need.objects.filter(status="open").count() == 1
    engaged = Match.objects.filter(status__in=["agreed", "in-implementation", "completed"])
    assert figure(page, "needs-matched") == len({m.need_id for m in engaged}) == 2
    assert figure(page, "cooperation") == engaged.count() == 2
    assert figure(page, "completed") == 1

    modules = table(page, "stat-modules")
    assert modules["Technologies"] == [published.filter(module="technology").count()] == [3]
    assert modules["Expertise"] == [1]
    sdgs = table(page, "stat-sdgs")
    water = next(values for label, values in sdgs.items() if label.startswith("6 · "))
    public_needs_with_water = [
        need
        for need in Need.objects.filter(status__in=["open", "matched"])
        if portal_data["water"] in need.sdg_goals.all()
    ]
    assert water == [3, len(public_needs_with_water)] == [3, 1]
    climate = next(values for label, values in sdgs.items() if label.startswith("13 · "))
    assert climate == [1, 0]
    # Anonymous: no title of any need or entry is shown.
    assert all(need.title not in page for need in Need.objects.all())
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="report-chart"') == 2


def test_the_figures_are_cached_for_a_few_minutes(
    client: Client, portal_data: dict[str, Any]
) -> None:
    before = figure(client.get("/statistics/").content.decode(), "entries")
    EntryFactory()
    assert figure(client.get("/statistics/").content.decode(), "entries") == before
    cache.clear()  # what the expiry does after STATISTICS_CACHE_SECONDS
    assert figure(client.get("/statistics/").content.decode(), "entries") == before + 1


def test_every_page_links_to_the_statistics(client: Client) -> None:
    assert 'href="/statistics/"' in client.get("/").content.decode()


def test_an_empty_portal_has_zero_everywhere(client: Client) -> None:
    page = client.get("/statistics/").content.decode()
    assert figure(page, "entries") == figure(page, "needs-matched") == 0
    assert all(values == [0, 0] for values in table(page, "stat-sdgs").values())

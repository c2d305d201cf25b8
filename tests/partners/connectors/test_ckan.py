"""The CKAN connector against a replay of the Humanitarian Data Exchange's real datasets
(tests/fixtures/partners/ckan/, MIT), paged from each request as CKAN pages."""

import copy
import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest

from partners.connectors.base import Deletion, EntryRecord, OrganizationRecord
from partners.connectors.ckan import CkanConnector
from partners.connectors.http import Fetcher
from partners.models import PartnerSource
from tests.partners.connectors.conftest import harvest
from tests.partners.servers import CkanReplay, LocalServer, Reply, Request, hdx_packages

pytestmark = pytest.mark.django_db


@pytest.fixture
def packages() -> list[dict[str, Any]]:
    return hdx_packages()


@pytest.fixture
def connector(make_source: Callable[..., PartnerSource], fetcher: Fetcher):
    def make(url: str, **mapping: Any) -> CkanConnector:
        return CkanConnector(make_source("ckan", url, ckan_rows=4, **mapping), fetcher)

    return make


def test_all_datasets_are_read_oldest_change_first_in_pages(packages, connector) -> None:
    with LocalServer(CkanReplay(packages)) as server:
        result = harvest(connector(server.url + "/api/3/action"))
    assert result.failure is None and result.errors == []
    # Each query starts at the last time read, so its first result is the dataset read last,
    # which is not given again: 4 new, then 3 of 4, 3 of 4, 1 of 2.
    assert [len(p.raw_records) for p in result.pages] == [4, 3, 3, 1]
    stamps = [r["metadata_modified"] for p in result.pages for r in p.raw_records]
    assert stamps == sorted(stamps) and len(set(r.external_id for r in result.records)) == 11
    assert result.checkpoint == {
        "since": "2022-12-19T12:51:37.469116",
        "seen": ["f5d0ab3b-5549-486e-a619-1fc5702237f7"],
    }
    first_query = server.requests[0].query
    assert first_query == {
        "q": "*:*",
        "fq": "metadata_modified:[* TO *]",
        "sort": "metadata_modified asc, id asc",
        "rows": "4",
        "start": "0",
        "include_deleted": "True",
    }
    # The cursor is the last time read, not an offset.
    assert server.requests[1].query["fq"] == "metadata_modified:[2016-03-29T17:33:13.369Z TO *]"
    assert server.requests[1].query["start"] == "0"


def test_a_real_hdx_dataset_is_mapped(packages, connector) -> None:
    with LocalServer(CkanReplay(packages)) as server:
        result = harvest(connector(server.url))
    libya = next(
        r for r in result.entries if r.external_id == "6a5aebc1-f5a9-4842-8183-b8118228e71e"
    )
    assert libya == EntryRecord(
        external_id="6a5aebc1-f5a9-4842-8183-b8118228e71e",
        module="experience",
        kind="case-study",
        titles={"en": "ACLED Conflict Data for Libya"},
        summaries={"en": "Notes"},
        language="en",
        countries_iso3=("LBY",),
        providers=(
            OrganizationRecord(
                name="ACLED Conflict Data Project",
                external_id="b67e6c74-c185-4f43-b561-0e114a736f19",
                description="ACLED",
                role="lead",
            ),
        ),
        source_modified=datetime.datetime(2016, 3, 29, 17, 33, 22, 912275, tzinfo=datetime.UTC),
        source_url=f"{server.url}/dataset/acled-conflict-data-for-libya",
    )
    unesco = next(r for r in result.entries if r.titles["en"].startswith("Zimbabwe"))
    assert unesco.countries_iso3 == ("ZWE",)
    assert unesco.summaries["en"].startswith("Education indicators for Zimbabwe.")
    resources = list(dict.fromkeys(r["url"] for r in packages[-1]["resources"]))
    assert unesco.links == tuple((url, "") for url in resources[:10])


def test_the_next_run_reads_only_what_changed(packages, connector) -> None:
    with LocalServer(CkanReplay(packages)) as server:
        done = harvest(connector(server.url)).checkpoint
        packages[2]["metadata_modified"] = "2026-11-20T08:00:00.000001"
        again = harvest(connector(server.url), done)
    assert [r.external_id for r in again.records] == [packages[2]["id"]]
    assert again.checkpoint == {"since": "2026-11-20T08:00:00.000001", "seen": [packages[2]["id"]]}


def test_a_dataset_changed_during_the_walk_is_not_lost_nor_others_skipped(
    packages, connector
) -> None:
    replay = CkanReplay(packages)
    served = 0

    def changing(request: Request) -> Reply:
        nonlocal served
        served += 1
        if served == 2:
            # While the second page is asked for, a dataset of the first page changes. With
            # start/rows paging, every later dataset would move up one and one be skipped.
            oldest = min(packages, key=lambda p: p["metadata_modified"])
            oldest["metadata_modified"] = "2026-11-20T08:00:00.000000"
        return replay(request)

    with LocalServer(changing) as server:
        result = harvest(connector(server.url))
    ids = [r.external_id for r in result.records]
    assert set(ids) == {p["id"] for p in packages}
    assert len(ids) == 12  # the changed one twice: before and after its change


def test_many_datasets_changed_at_one_instant_are_all_read(packages, connector) -> None:
    for package in packages:
        package["metadata_modified"] = "2026-01-01T00:00:00.000000"
    with LocalServer(CkanReplay(packages)) as server:
        result = harvest(connector(server.url))
    assert sorted(r.external_id for r in result.records) == sorted(p["id"] for p in packages)


def test_deleted_and_private_datasets_are_deletions(packages, connector) -> None:
    packages[0]["state"] = "deleted"
    packages[1]["private"] = True
    with LocalServer(CkanReplay(packages)) as server:
        result = harvest(connector(server.url))
    assert set(result.deletions) == {Deletion(packages[0]["id"]), Deletion(packages[1]["id"])}
    assert len(result.entries) == 9


def test_a_dataset_without_id_or_title_is_skipped(packages, connector) -> None:
    packages[0]["id"] = ""
    packages[1]["title"] = packages[1]["name"] = ""
    with LocalServer(CkanReplay(packages)) as server:
        result = harvest(connector(server.url))
    assert {str(e) for e in result.errors} == {
        "A CKAN dataset has no id: skipped.",
        f"CKAN dataset {packages[1]['id']} has no title.",
    }
    assert len(result.entries) == 9


def test_an_api_error_fails_the_run(connector) -> None:
    body = {"success": False, "error": {"__type": "Search Query Error", "message": "bad fq"}}
    refusal = Reply(409, json.dumps(body).encode(), "application/json")
    with LocalServer(lambda request: refusal) as server:
        result = harvest(connector(server.url))
    assert str(result.failure) == (
        f"HTTP 409 Conflict from {server.url}/api/3/action/package_search?q=%2A%3A%2A&fq="
        "metadata_modified%3A%5B%2A+TO+%2A%5D&sort=metadata_modified+asc%2C+id+asc&rows=4&start=0."
    )


def test_an_unsuccessful_answer_fails_the_run(connector) -> None:
    body = {"success": False, "error": {"message": "Access denied"}}
    with LocalServer(lambda r: Reply(200, json.dumps(body).encode(), "application/json")) as s:
        result = harvest(connector(s.url))
    assert str(result.failure) == "CKAN refused package_search: Access denied"


def test_a_server_that_is_not_ckan_fails_the_run(connector) -> None:
    with LocalServer(lambda r: Reply(200, b"[1, 2]", "application/json")) as server:
        result = harvest(connector(server.url))
    assert str(result.failure) == (
        f"{server.url}/api/3/action/package_search did not answer as a CKAN action API."
    )


def test_the_mapping_narrows_the_search_and_sets_module_and_kind(packages, connector) -> None:
    with LocalServer(CkanReplay(copy.deepcopy(packages))) as server:
        result = harvest(
            connector(server.url, ckan_fq="organization:acled", kind="lessons-learned")
        )
    assert server.requests[0].query["fq"] == "metadata_modified:[* TO *] AND (organization:acled)"
    assert {r.kind for r in result.entries} == {"lessons-learned"}

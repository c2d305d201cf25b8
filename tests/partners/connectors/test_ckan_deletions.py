"""Datasets deleted at a CKAN portal leave the catalogue on the next incremental run: the real
HDX datasets replayed by a portal that hides deleted datasets unless asked with
`include_deleted` (CKAN 2.9 and later), or that refuses the parameter (older CKAN)."""

import json
from typing import Any

import pytest

from catalog.models import Entry
from partners.connectors.ckan import CkanConnector
from partners.connectors.http import Fetcher
from partners.models import PartnerSource, SyncRecordError
from tests.factories import PartnerSourceFactory
from tests.partners.connectors.conftest import harvest
from tests.partners.runs import run_source
from tests.partners.servers import CkanReplay, LocalServer, Reply, Request, hdx_packages

pytestmark = pytest.mark.django_db

DELETED_LATER = "6a5aebc1-f5a9-4842-8183-b8118228e71e"  # "ACLED Conflict Data for Libya"


class CkanPortal(CkanReplay):
    """package_search as CKAN answers it about deleted datasets: left out unless the search
    asks for them with include_deleted=True; a portal older than 2.9 (`knows_include_deleted`
    False) refuses the parameter with a validation error (HTTP 409)."""

    def __init__(self, packages: list[dict[str, Any]], *, knows_include_deleted: bool) -> None:
        super().__init__(packages)
        self.knows_include_deleted = knows_include_deleted

    def __call__(self, request: Request) -> Reply:
        asked = request.query.get("include_deleted")
        if asked is not None and not self.knows_include_deleted:
            body = {
                "success": False,
                "error": {
                    "__type": "Validation Error",
                    "query": ["Search Query is invalid: Invalid search parameters: "
                              "['include_deleted']"],
                },
            }  # fmt: skip
            return Reply(409, json.dumps(body).encode(), "application/json")
        everything = self.packages
        if asked != "True":
            self.packages = [p for p in everything if p.get("state") != "deleted"]
        try:
            return super().__call__(request)
        finally:
            self.packages = everything


def _delete_at_the_source(packages: list[dict[str, Any]], dataset_id: str) -> None:
    """What CKAN does to a dataset deleted through its API: the state changes and so does the
    modification time."""
    package = next(p for p in packages if p["id"] == dataset_id)
    package["state"] = "deleted"
    package["metadata_modified"] = "2026-11-20T08:00:00.000001"


def _statuses(source: PartnerSource) -> dict[str, str]:
    return dict(Entry.objects.filter(source=source).values_list("external_id", "status"))


def test_a_dataset_deleted_at_the_source_is_archived_by_the_next_incremental_run(
    fetcher: Fetcher,
) -> None:
    packages = hdx_packages()
    with LocalServer(CkanPortal(packages, knows_include_deleted=True)) as server:
        source: PartnerSource = PartnerSourceFactory(
            connector="ckan", endpoint=server.url, publish_directly=True
        )
        first = run_source(source, fetcher)
        before = _statuses(source)
        checkpoint = PartnerSource.objects.get(pk=source.pk).checkpoint
        _delete_at_the_source(packages, DELETED_LATER)
        second = run_source(source, fetcher)
        second_requests = server.requests[-1:]

    assert first.created == 11
    assert set(before.values()) == {Entry.Status.PUBLISHED}
    # Incremental: from where the first run stopped, only the deleted dataset is read again.
    assert second_requests[0].query["fq"].startswith("metadata_modified:[2022-12-19T12:51:37")
    assert second_requests[0].query["include_deleted"] == "True"
    assert checkpoint["since"] == "2022-12-19T12:51:37.469116"
    assert (second.fetched, second.archived, second.created, second.updated) == (1, 1, 0, 0)
    after = _statuses(source)
    assert after == before | {DELETED_LATER: Entry.Status.ARCHIVED}  # kept, archived
    assert not SyncRecordError.objects.filter(run=second, external_id="").exists()


# Committed: the engine fetches in a read-ahead thread (`partners.sync.read_ahead`), whose
# own connection writes the note and must see the run.
@pytest.mark.django_db(transaction=True)
def test_an_older_ckan_that_refuses_include_deleted_is_read_without_it_and_the_run_says_so(
    fetcher: Fetcher,
) -> None:
    packages = hdx_packages()
    with LocalServer(CkanPortal(packages, knows_include_deleted=False)) as server:
        source: PartnerSource = PartnerSourceFactory(
            connector="ckan", endpoint=server.url, field_mapping={"ckan_rows": 4}
        )
        run = run_source(source, fetcher)
        requests = list(server.requests)
        _delete_at_the_source(packages, DELETED_LATER)
        again = run_source(source, fetcher)

    assert (run.created, run.failed) == (11, 0)
    # Asked once with the parameter, refused, then the same search and every later one without.
    assert requests[0].query["include_deleted"] == "True"
    assert requests[1].query == {
        k: v for k, v in requests[0].query.items() if k != "include_deleted"
    }
    assert ["include_deleted" in r.query for r in requests] == [True] + [False] * 4
    # A note on the run, beside the records' warnings (providers of no known country).
    note = SyncRecordError.objects.get(run=run, external_id="")
    assert note.is_warning
    assert note.message.startswith("The CKAN portal refused include_deleted (HTTP 409 Conflict")
    assert "Datasets deleted there since the last run are not seen" in note.message
    # As the note says: that portal does not list the deleted dataset, so it stays.
    assert (again.fetched, again.archived) == (0, 0)
    assert Entry.objects.get(source=source, external_id=DELETED_LATER).status != "archived"
    assert SyncRecordError.objects.filter(run=again, external_id="", is_warning=True).count() == 1


def test_a_search_refused_without_include_deleted_too_fails_with_its_own_error(
    make_source, fetcher: Fetcher
) -> None:
    body = {"success": False, "error": {"__type": "Search Query Error", "message": "bad fq"}}
    refusal = Reply(409, json.dumps(body).encode(), "application/json")
    with LocalServer(lambda request: refusal) as server:
        result = harvest(CkanConnector(make_source("ckan", server.url), fetcher))
    assert len(server.requests) == 2
    assert str(result.failure).startswith("HTTP 409 Conflict")
    assert "include_deleted" not in str(result.failure)
    assert result.pages == []


def test_a_later_page_refused_after_include_deleted_was_accepted_fails_the_run(
    make_source, fetcher: Fetcher
) -> None:
    replay = CkanPortal(hdx_packages(), knows_include_deleted=True)

    def second_page_refused(request: Request) -> Reply:
        if len(server.requests) >= 2:
            return Reply(409, b'{"success": false, "error": {}}', "application/json")
        return replay(request)

    with LocalServer(second_page_refused) as server:
        result = harvest(CkanConnector(make_source("ckan", server.url, ckan_rows=4), fetcher))
    # Not mistaken for a refusal of the parameter: no second try without it.
    assert len(server.requests) == 2
    assert "include_deleted=True" in str(result.failure)
    assert len(result.pages) == 1

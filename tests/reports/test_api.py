"""Reports over the REST API: the types one may request, requesting (201, or 200 with a reused
run), polling, downloading; problem details for every error; API keys with the "read" scope
request their organization's contribution report and see only its runs."""

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.models import ApiKey
from reports.models import ReportRun
from reports.types import REPORT_TYPES
from tests.api.conftest import bearer
from tests.factories import MembershipFactory, OfficerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def post_run(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    def post(api: APIClient, body: Any, **headers: str) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return api.post("/api/v1/report-runs/", body, format="json", **headers)

    return post


def session(user: Any) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def test_report_types_are_listed_with_their_parameters_for_each_role() -> None:
    staff = session(StaffUserFactory()).get("/api/v1/reports/")
    assert staff.status_code == 200
    assert [item["slug"] for item in staff.json()] == list(REPORT_TYPES)
    overview = next(item for item in staff.json() if item["slug"] == "needs-overview")
    assert [parameter["name"] for parameter in overview["parameters"]] == list(
        REPORT_TYPES["needs-overview"].parameters
    )
    officer = session(OfficerFactory()).get("/api/v1/reports/").json()
    assert "sync-health" not in [item["slug"] for item in officer]
    assert session(OfficerFactory()).get("/api/v1/reports/sync-health/").status_code == 404
    assert APIClient().get("/api/v1/reports/").status_code == 401


def test_a_run_is_requested_reused_polled_and_downloaded(post_run: Callable[..., Any]) -> None:
    api = session(StaffUserFactory())
    body = {"type": "needs-overview", "parameters": {"region": "africa", "sdg_goal": 6}}
    created = post_run(api, body)
    assert created.status_code == 201, created.json()
    run = created.json()
    assert created["Location"] == f"/api/v1/report-runs/{run['id']}/"
    assert run["parameters"] == {"region": "africa", "sdg_goal": 6}
    again = post_run(api, body)
    assert again.status_code == 200 and again.json()["id"] == run["id"]
    assert ReportRun.objects.count() == 1

    polled = api.get(f"/api/v1/report-runs/{run['id']}/").json()
    assert (polled["status"], polled["progress"]) == ("succeeded", 100)
    assert set(polled["downloads"]) == {"csv", "xlsx", "pdf", "json"}
    xlsx = api.get(polled["downloads"]["xlsx"])
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).sheetnames[0] == "About"
    pdf = api.get(f"/api/v1/report-runs/{run['id']}/download/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    as_json = api.get(f"/api/v1/report-runs/{run['id']}/download/?format=json").json()
    assert as_json["report"]["type"] == "needs-overview"
    assert as_json["report"]["parameters"] == {"region": "africa", "sdg_goal": 6}
    listing = api.get("/api/v1/report-runs/").json()
    assert [item["id"] for item in listing["results"]] == [run["id"]]

    bad_format = api.get(f"/api/v1/report-runs/{run['id']}/download/?format=exe")
    assert bad_format.status_code == 400
    assert bad_format["Content-Type"] == "application/problem+json"
    assert bad_format.json()["code"] == "invalid_format"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"type": "nothing-like-it"}, "unknown_report_type", "type"),
        ({"parameters": {}}, "invalid", "type"),
        (
            {"type": "needs-overview", "parameters": {"region": "atlantis"}},
            None,
            "parameters.region",
        ),
        (
            {"type": "needs-overview", "parameters": {"module": "technology"}},
            None,
            "parameters.module",
        ),
        ({"type": "needs-overview", "parameters": {"colour": "red"}}, None, "parameters.colour"),
        (
            {
                "type": "needs-overview",
                "parameters": {"period_start": "2026-05-01", "period_end": "2026-01-01"},
            },
            None,
            "parameters.period_end",
        ),
        ({"type": "needs-overview", "parameters": ["region"]}, "invalid", "parameters"),
        ({"type": "needs-overview", "extra": 1}, "invalid", "extra"),
    ],
)
def test_bad_requests_are_problem_details_that_name_the_field(
    body: dict[str, Any], code: str | None, field: str, post_run: Callable[..., Any]
) -> None:
    response = post_run(session(StaffUserFactory()), body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    if code:
        assert problem["code"] == code
    assert field in [error["field"] for error in problem["errors"]], problem
    assert ReportRun.objects.count() == 0


def test_a_run_that_is_not_ready_cannot_be_downloaded_yet() -> None:
    staff: Any = StaffUserFactory()
    run = ReportRun.objects.create(type_slug="needs-overview", scope="staff", requested_by=staff)
    response = session(staff).get(f"/api/v1/report-runs/{run.pk}/download/?format=xlsx")
    assert response.status_code == 409 and response.json()["code"] == "not_ready"
    run.status, run.error = ReportRun.Status.FAILED, "Building the report took too long."
    run.save()
    failed = session(staff).get(f"/api/v1/report-runs/{run.pk}/download/?format=xlsx")
    assert failed.status_code == 409
    assert failed.json()["detail"] == "Building the report took too long."


def test_a_key_requests_its_own_organizations_contribution_report_only(
    post_run: Callable[..., Any],
) -> None:
    from accounts import api_keys

    membership: Any = MembershipFactory(role="administrator")
    key, secret = api_keys.api_key_create(
        organization=membership.organization, by=membership.user, name="reports", scopes=["read"]
    )
    created = post_run(
        APIClient(),
        {"type": "partner-contribution", "parameters": {"period_start": "2026-01-01"}},
        **bearer(secret),
    )
    assert created.status_code == 201, created.json()
    run = ReportRun.objects.get()
    assert run.scope == f"organization:{membership.organization_id}" and run.api_key == key
    assert run.parameters["organization_id"] == membership.organization_id

    # Naming another organization is refused, not silently changed.
    other = post_run(
        APIClient(),
        {"type": "partner-contribution", "parameters": {"organization_id": 99999}},
        **bearer(secret),
    )
    assert other.status_code == 400 and other.json()["code"] == "invalid_parameters"
    overview = post_run(APIClient(), {"type": "needs-overview"}, **bearer(secret))
    assert overview.status_code == 400 and overview.json()["code"] == "unknown_report_type"
    assert APIClient().get(f"/api/v1/report-runs/{run.pk}/", **bearer(secret)).status_code == 200

    # Another organization's key sees neither the run nor its files.
    stranger: Any = MembershipFactory(role="administrator")
    _key, other_secret = api_keys.api_key_create(
        organization=stranger.organization, by=stranger.user, name="x", scopes=["read"]
    )
    assert (
        APIClient().get(f"/api/v1/report-runs/{run.pk}/", **bearer(other_secret)).status_code == 404
    )
    assert (
        APIClient()
        .get(f"/api/v1/report-runs/{run.pk}/download/?format=pdf", **bearer(other_secret))
        .status_code
        == 404
    )
    # A key without "read" may not request at all.
    _key, write_only = api_keys.api_key_create(
        organization=membership.organization,
        by=membership.user,
        name="writer",
        scopes=[ApiKey.Scope.WRITE_ENTRIES],
    )
    refused = post_run(APIClient(), {"type": "partner-contribution"}, **bearer(write_only))
    assert refused.status_code == 403 and refused.json()["code"] == "scope_missing"
    assert ReportRun.objects.count() == 1


def test_an_officers_run_is_hidden_from_other_offices_and_partners(
    post_run: Callable[..., Any],
) -> None:
    officer = session(OfficerFactory())
    other_region = post_run(
        officer, {"type": "needs-overview", "parameters": {"region": "west-asia"}}
    )
    assert other_region.status_code == 400
    assert other_region.json()["errors"] == [
        {
            "field": "parameters.region",
            "code": "invalid",
            "detail": "Reports you request are always of your own office's region: leave it out.",
        }
    ]
    created = post_run(officer, {"type": "needs-overview", "parameters": {"theme": ""}})
    assert created.status_code == 201
    assert created.json()["parameters"] == {"region": "africa"}  # their own region, always
    run_id = created.json()["id"]
    assert session(OfficerFactory()).get(f"/api/v1/report-runs/{run_id}/").status_code == 200
    partner = session(MembershipFactory().user)
    assert partner.get(f"/api/v1/report-runs/{run_id}/").status_code == 404
    assert partner.get("/api/v1/report-runs/").json()["results"] == []

"""Partner sources in the admin: staff add one (credentials only by the name of an environment
variable, never shown as a value), run it now and land on the run's progress page; runs are
read-only, with their record errors inline."""

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from accounts.models import User
from partners.models import PartnerSource, SyncRecordError, SyncRun
from tests.factories import PartnerSourceFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/partners/partnersource/add/"


def _form(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "HDX datasets",
        "organization": "",
        "connector": PartnerSource.Connector.CKAN,
        "endpoint": "https://data.humdata.org/api/3/action/",
        "credentials_env": "HDX_API_TOKEN",
        "enabled": "on",
        "schedule": PartnerSource.Schedule.DAILY,
        "schedule_offset_minutes": "150",
        "field_mapping": '{"module": "experience"}',
        "contact_email": "data@example.org",
        "_save": "Save",
    }
    data.update(changes)
    return data


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def superuser_client(client: Client) -> Client:
    superuser: User = StaffUserFactory(is_superuser=True)
    client.force_login(superuser)
    return client


def test_staff_add_a_source_whose_credentials_stay_in_the_environment(
    superuser_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HDX_API_TOKEN", "s3cr3t-token-value")

    response = superuser_client.post(ADD, _form())

    assert response.status_code == 302, response.content.decode()[:3000]
    source = PartnerSource.objects.get()
    assert (source.name, source.connector, source.credentials_env, source.schedule) == (
        "HDX datasets",
        "ckan",
        "HDX_API_TOKEN",
        "daily",
    )
    page = superuser_client.get(f"/admin/partners/partnersource/{source.pk}/change/")
    content = page.content.decode()
    assert "HDX_API_TOKEN" in content
    assert "s3cr3t-token-value" not in content
    assert "Run now" in content


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"credentials_env": "user:pa55word"}, "credentials_env"),
        ({"credentials_env": "ghp_abcdefSECRET"}, "credentials_env"),
        ({"field_mapping": '{"module": "nonsense"}'}, "field_mapping"),
        ({"field_mapping": "[1, 2"}, "field_mapping"),
        ({"endpoint": "not a url"}, "endpoint"),
        ({"connector": "ftp"}, "connector"),
    ],
)
def test_a_bad_source_form_is_refused_with_its_field_and_stores_nothing(
    superuser_client: Client, changes: dict[str, str], field: str
) -> None:
    response = superuser_client.post(ADD, _form(**changes))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not PartnerSource.objects.exists()


def test_run_now_queues_a_manual_run_and_opens_its_progress_page(
    superuser_client: Client,
) -> None:
    source: PartnerSource = PartnerSourceFactory(
        name="Demo", connector=PartnerSource.Connector.EXCHANGE
    )
    staff = superuser_client.get("/admin/").wsgi_request.user

    response = superuser_client.post(
        f"/admin/partners/partnersource/{source.pk}/change/",
        {"CHANGE_FORM-action": "run_now", "_selected_action": str(source.pk), "index": "0"},
    )

    run = SyncRun.objects.get(source=source)
    assert response.status_code == 302
    assert response["Location"] == f"/partners/runs/{run.pk}/"
    assert (run.trigger, run.requested_by) == (SyncRun.Trigger.MANUAL, staff)


def test_run_now_on_a_source_with_a_run_going_says_so(superuser_client: Client) -> None:
    source: PartnerSource = PartnerSourceFactory(name="Busy")
    SyncRun.objects.create(source=source, status=SyncRun.Status.RUNNING)

    response = superuser_client.post(
        f"/admin/partners/partnersource/{source.pk}/change/",
        {"CHANGE_FORM-action": "run_now", "_selected_action": str(source.pk), "index": "0"},
        follow=True,
    )

    assert any("already has a run" in text for text in _messages(response))
    assert SyncRun.objects.filter(source=source).count() == 1


def test_run_now_from_the_list_queues_each_selected_source(superuser_client: Client) -> None:
    sources = [PartnerSourceFactory(), PartnerSourceFactory()]
    PartnerSourceFactory(enabled=False)

    response = superuser_client.post(
        "/admin/partners/partnersource/",
        {"action": "run_now", "_selected_action": [str(s.pk) for s in sources], "index": "0"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/partners/sources/"
    assert SyncRun.objects.filter(source__in=sources).count() == 2


def test_source_list_shows_the_last_run_status(superuser_client: Client) -> None:
    source: PartnerSource = PartnerSourceFactory(name="IATI")
    SyncRun.objects.create(source=source, status=SyncRun.Status.SUCCEEDED)
    last = SyncRun.objects.create(source=source, status=SyncRun.Status.FAILED)

    content = superuser_client.get("/admin/partners/partnersource/").content.decode()

    assert f'<a href="/partners/runs/{last.pk}/">Failed</a>' in content


def test_runs_are_read_only_with_their_record_errors_inline(superuser_client: Client) -> None:
    run = SyncRun.objects.create(
        source=PartnerSourceFactory(), status=SyncRun.Status.SUCCEEDED, fetched=5, failed=1
    )
    SyncRecordError.objects.create(run=run, external_id="act-1", message="Not valid against 2.03")
    other = SyncRun.objects.create(source=PartnerSourceFactory())
    SyncRecordError.objects.create(run=other, external_id="other-run", message="x")

    page = superuser_client.get(f"/admin/partners/syncrun/{run.pk}/change/")

    content = page.content.decode()
    assert page.status_code == 200
    assert "act-1" in content and "Not valid against 2.03" in content
    assert "other-run" not in content
    assert 'name="_save"' not in content
    assert superuser_client.get("/admin/partners/syncrun/add/").status_code == 403
    response = superuser_client.post(
        f"/admin/partners/syncrun/{run.pk}/change/", {"status": "failed"}
    )
    assert response.status_code == 403
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED


def test_inline_record_errors_stop_at_two_hundred(superuser_client: Client) -> None:
    run = SyncRun.objects.create(source=PartnerSourceFactory(), failed=250)
    SyncRecordError.objects.bulk_create(
        SyncRecordError(run=run, external_id=f"rec-{n:03d}", message="bad") for n in range(250)
    )

    content = superuser_client.get(f"/admin/partners/syncrun/{run.pk}/change/").content.decode()

    assert "rec-199" in content and "rec-200" not in content

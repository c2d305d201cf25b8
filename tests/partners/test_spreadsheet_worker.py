"""A spreadsheet confirmed in the web is stored by a real Celery worker on the real Redis broker:
the worker reads the uploaded file from the MEDIA_ROOT it shares with the web."""

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from catalog.models import Entry, Organization
from partners.models import PartnerSource, SyncRun
from tests.factories import OrganizationFactory, StaffUserFactory
from tests.partners.test_jobs_worker import finished, wait_for
from tests.partners.test_spreadsheet_uploads import post_upload, row, token_of, xlsx
from tests.search.indexing import ensure_reference_data
from tests.workers import celery_worker


@pytest.mark.usefixtures("transactional_db", "jobs_on_broker")
def test_a_real_worker_stores_a_confirmed_upload(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    ensure_reference_data()
    settings.MEDIA_ROOT = tmp_path / "media"
    staff: User = StaffUserFactory()
    organization: Organization = OrganizationFactory(name="Sahel Energy Centre")
    client.force_login(staff)
    rows = [row(f"w{n}", f"Solar pump cooperative {n}") for n in range(30)]
    rows.append(row("w-bad", "Unknown country", countries_applied="XYZ"))

    with celery_worker("spreadsheet", {"MEDIA_ROOT": str(settings.MEDIA_ROOT)}, tmp_path):
        token = token_of(post_upload(client, "w.xlsx", xlsx(rows), organization=organization))
        response = client.post(reverse("partners:spreadsheet_confirm", args=[token]))
        run = SyncRun.objects.get()
        assert response["Location"] == reverse("partners:run_detail", args=[run.pk])
        wait_for(lambda: finished(run))

    assert (run.status, run.created, run.failed) == (SyncRun.Status.SUCCEEDED, 30, 1), run.error
    source = PartnerSource.objects.get()
    assert Entry.objects.filter(source=source).count() == 30
    assert run.record_errors.get().message.startswith("Row 32: countries_applied: Unknown code")

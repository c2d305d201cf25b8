"""A partner source's run as the worker does it, in the test's own process."""

from typing import Any

from partners.connectors import connector_for
from partners.connectors.http import Fetcher
from partners.models import PartnerSource, SyncRun
from partners.services import sync_run_claim, sync_run_succeed
from partners.sync import sync_run_execute


def run_with(source: PartnerSource, connector: Any) -> SyncRun:
    """Queues a run of `source`, claims it, stores what `connector` reads and succeeds it."""
    queued = SyncRun.objects.create(source=source)
    run = sync_run_claim(run_id=queued.pk)
    assert run is not None
    assert sync_run_succeed(run=run, counts=sync_run_execute(run=run, connector=connector))
    run.refresh_from_db()
    return run


def run_source(source: PartnerSource, fetcher: Fetcher) -> SyncRun:
    """`run_with` the source's own connector, reading through `fetcher`."""
    return run_with(source, connector_for(source, fetcher=fetcher))

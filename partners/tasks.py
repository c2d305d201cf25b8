"""Celery tasks of partner sync: one task per run, the per-minute dispatcher that beat sends, and
the sweep of runs left by dead workers.

A run claims itself (queued -> running, a conditional UPDATE), so a message delivered twice runs
it once; it resumes at the source's checkpoint and commits page by page (partners/sync/), so a
run killed half-way loses nothing and duplicates nothing. Feed errors marked retryable (network,
time-outs, HTTP 5xx/429) put the run back in the queue with exponential backoff; any other error,
the soft time limit included, fails the run with its message and keeps what was stored.
"""

import logging
import os
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from partners import services
from partners.connectors.base import Connector, FeedError
from partners.models import PartnerSource
from partners.sync import RunLost, sync_run_execute

logger = logging.getLogger(__name__)


def connector_for_source(source: PartnerSource) -> Connector:
    """The source's connector, from PARTNER_SYNC_CONNECTOR_FACTORY (by default
    `partners.connectors.connector_for`), with the credentials read from the workers'
    environment variable the source names."""
    credentials = ""
    if source.credentials_env:
        if source.credentials_env not in os.environ:
            raise FeedError(
                _(
                    "The environment variable %(name)s that should hold the credentials is not "
                    "set on the workers."
                )
                % {"name": source.credentials_env}
            )
        credentials = os.environ[source.credentials_env]
    try:
        factory = import_string(settings.PARTNER_SYNC_CONNECTOR_FACTORY)
    except ImportError as exc:
        raise FeedError(
            _("No connector is installed for this source (%(error)s).") % {"error": exc}
        ) from exc
    connector: Connector = factory(source, credentials=credentials)
    return connector


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=None,  # bounded by PARTNER_SYNC_MAX_RETRIES, counted on the run
    soft_time_limit=settings.PARTNER_SYNC_TIME_LIMIT_SECONDS,
    time_limit=settings.PARTNER_SYNC_TIME_LIMIT_SECONDS + 300,
)
def sync_source_run(self: Any, run_id: int) -> str:
    """Run `run_id`; returns what became of it (for logs and tests)."""
    run = services.sync_run_claim(run_id=run_id)
    if run is None:
        return "not claimed"
    try:
        counts = sync_run_execute(run=run, connector=connector_for_source(run.source))
    except FeedError as exc:
        if exc.retryable and run.retries < settings.PARTNER_SYNC_MAX_RETRIES:
            countdown = services.retry_countdown(run.retries)
            message = _("Attempt %(n)d failed, retrying in %(s)d s: %(error)s") % {
                "n": run.retries + 1,
                "s": countdown,
                "error": exc,
            }
            if not services.sync_run_requeue(run=run, message=message, countdown=countdown):
                return "lost"
            if self.request.is_eager:
                # In-process (no broker, `make run`): nothing would run a delayed retry, so it
                # runs now, as Celery's own eager retries do.
                result: str = sync_source_run.apply(
                    args=(run_id,), retries=self.request.retries + 1
                ).get()
                return result
            raise self.retry(countdown=countdown, exc=exc) from exc
        prefix = _("Gave up after %(n)d retries: ") % {"n": run.retries} if exc.retryable else ""
        services.sync_run_fail(run_id=run_id, message=f"{prefix}{exc}")
        return "failed"
    except SoftTimeLimitExceeded:
        services.sync_run_fail(
            run_id=run_id,
            message=_(
                "The run was stopped after its time limit of %(seconds)d s. What it stored is "
                "kept; the next run resumes from the last stored page."
            )
            % {"seconds": settings.PARTNER_SYNC_TIME_LIMIT_SECONDS},
        )
        return "failed"
    except RunLost:
        return "lost"
    except Exception as exc:
        logger.exception("Sync run %s failed unexpectedly", run_id)
        services.sync_run_fail(
            run_id=run_id,
            message=_("Unexpected error (%(type)s): %(error)s")
            % {"type": type(exc).__name__, "error": exc},
        )
        return "failed"
    return "succeeded" if services.sync_run_succeed(run=run, counts=counts) else "lost"


@shared_task(acks_late=True, ignore_result=True)
def dispatch_due_sources() -> list[int]:
    """Beat, every minute: queue the runs whose schedule is due; returns their ids."""
    return [run.pk for run in services.sources_dispatch_due()]


@shared_task(acks_late=True, ignore_result=True)
def sweep_stale_runs() -> list[int]:
    """Beat, every 5 minutes: fail the runs left by dead workers; returns their ids."""
    return services.sync_runs_sweep_stale()

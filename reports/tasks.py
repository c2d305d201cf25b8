"""Background jobs of the reports app (see reports/services.py for what each does)."""

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from reports import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def build_report_run(run_id: int) -> None:
    # A second delivery of the message finds the run claimed and does nothing.
    services.report_run_build(run_id=run_id)


@shared_task(bind=True, acks_late=True, max_retries=6)
def saved_report_deliver_task(self, saved_id: int, run_date: str | None = None) -> None:  # type: ignore[no-untyped-def]
    # `run_date` (ISO) is the day the delivery was due: a retry on a later day still reports
    # on the same rolling period.
    outcome = services.saved_report_deliver(
        saved_id=saved_id,
        run_date=datetime.date.fromisoformat(run_date) if run_date else None,
    )
    if outcome == "waiting":
        # Another worker is building the same run: come back when it should be done.
        raise self.retry(countdown=60 * 2**self.request.retries)


@shared_task
def saved_reports_dispatch_task() -> None:
    """Hourly (CELERY_BEAT_SCHEDULE): deliver the saved reports that are due, fail the runs a
    dead worker left running and enqueue again the queued runs whose message was lost."""
    run_date = timezone.localdate().isoformat()
    for saved_id in services.saved_reports_claim_due():
        saved_report_deliver_task.delay(saved_id, run_date)
    stalled, lost = services.report_runs_sweep()
    if stalled:
        logger.warning("%s report runs were left running by a dead worker", stalled)
    for run_id in lost:
        build_report_run.delay(run_id)

"""Background jobs of the reports app (see reports/services.py for what each does)."""

import logging

from celery import shared_task

from reports import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def build_report_run(run_id: int) -> None:
    # A second delivery of the message finds the run claimed and does nothing.
    services.report_run_build(run_id=run_id)


@shared_task(bind=True, acks_late=True, max_retries=6)
def saved_report_deliver_task(self, saved_id: int) -> None:  # type: ignore[no-untyped-def]
    outcome = services.saved_report_deliver(saved_id=saved_id)
    if outcome == "waiting":
        # Another worker is building the same run: come back when it should be done.
        raise self.retry(countdown=60 * 2**self.request.retries)


@shared_task
def saved_reports_dispatch_task() -> None:
    """Hourly (CELERY_BEAT_SCHEDULE): deliver the saved reports that are due, fail the runs a
    dead worker left running and enqueue again the queued runs whose message was lost."""
    for saved_id in services.saved_reports_claim_due():
        saved_report_deliver_task.delay(saved_id)
    stalled, lost = services.report_runs_sweep()
    if stalled:
        logger.warning("%s report runs were left running by a dead worker", stalled)
    for run_id in lost:
        build_report_run.delay(run_id)

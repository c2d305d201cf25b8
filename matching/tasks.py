"""Celery tasks of needs registration.

The import of a confirmed spreadsheet runs here rather than in the web request: 2,000 rows take
about 20 seconds. The task is safe to run twice (a redelivered message, a stalled import queued
again): `upload_import` imports only a queued upload, and needs it already created are found by
their creation tokens, so a second run imports nothing.
"""

from celery import shared_task

from matching.imports import upload_import


@shared_task(acks_late=True, ignore_result=True)
def needs_import_task(token: str) -> str | None:
    """Import the confirmed upload `token`; returns its status afterwards (None: it expired)."""
    upload = upload_import(token=token)
    return upload.status if upload else None

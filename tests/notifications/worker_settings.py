"""Settings of the Celery worker that tests/notifications/test_worker.py starts: the project's,
with e-mails written as files to the directory the test reads."""

import os

from exchange.settings import *  # noqa: F403

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": os.environ["NOTIFICATIONS_TEST_MAIL_DIR"]},
    }
}

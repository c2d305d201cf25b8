"""A real Celery worker process for the tests that check jobs end to end through Redis."""

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from exchange.celery import app
from tests.search.indexing import subprocess_env


@contextmanager
def celery_worker(prefix: str, env: Mapping[str, str], log_dir: Path) -> Iterator[None]:
    """Start a solo worker on this run's broker and test database (with `env` added to its
    environment), wait until it answers a ping, and stop it afterwards. Its output goes to
    `log_dir/worker.log` and is shown when it fails to start."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}@localhost"
    log = log_dir / "worker.log"
    with open(log, "w") as output:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "exchange",
                "worker",
                "--pool",
                "solo",
                "--purge",  # messages left by earlier runs
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
                "-n",
                name,
            ],
            cwd=Path(settings.BASE_DIR),
            env={**subprocess_env(), **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[name], timeout=0.5):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
        yield
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections

from search.indexer import index_catch_up
from search.store import IndexerBusy

logger = logging.getLogger("search.indexer")


class Command(BaseCommand):
    help = (
        "Keep this machine's copy of the search index current: catch up from the change log "
        "every --interval seconds until stopped (SIGTERM or Ctrl-C finish the current batch). "
        "Run one on each machine that serves searches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=2.0, help="Seconds between catch-ups (default 2)."
        )
        parser.add_argument("--copy-dir", help="The copy (default: SEARCH_INDEX_DIR).")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"]
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds.")
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        copy_dir = options["copy_dir"]
        self.stdout.write(f"Search indexer: catching up every {interval:g} s.")
        busy_logged = False
        while not stop.is_set():
            started = time.monotonic()
            close_old_connections()
            try:
                result = index_catch_up(copy_dir=copy_dir)
                busy_logged = False
                if result.changes or result.rebuilt:
                    self.stdout.write(str(result))
            except IndexerBusy as exc:
                if not busy_logged:
                    self.stdout.write(str(exc))
                    busy_logged = True
            except Exception:
                # A database restart or a full disk: log it and try again next time.
                logger.exception("Search index catch-up failed")
                connections.close_all()
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
        self.stdout.write("Search indexer stopped.")

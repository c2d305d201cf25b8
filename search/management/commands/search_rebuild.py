import sys
import time
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from search.indexer import index_rebuild
from search.store import IndexerBusy


class ProgressBar:
    """`[#########...........]  45%  450,000/1,000,000  12 s, 38 s left` on one terminal line;
    a line every 10% when the output is not a terminal (logs)."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.shown_at = 0.0
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        share = done / total if total else 1.0
        if self.tty:
            if done < total and now - self.shown_at < 0.1:
                return
            self.shown_at = now
            elapsed = now - self.started
            left = f", {elapsed / share - elapsed:.0f} s left" if 0 < share < 1 else ""
            filled = int(self.WIDTH * share)
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%}  "
                f"{done:,}/{total:,}  {elapsed:.0f} s{left}   "
            )
            if done >= total:
                self.stream.write("\n")
            self.stream.flush()
        elif int(share * 10) > self.last_tenth:
            self.last_tenth = int(share * 10)
            self.stream.write(f"{done:,}/{total:,} entries indexed\n")


class Command(BaseCommand):
    help = (
        "Rebuild this machine's copy of the search index from the database (a new generation, "
        "swapped in when complete), then apply what changed meanwhile."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--copy-dir", help="The copy to rebuild (default: SEARCH_INDEX_DIR).")

    def handle(self, *args: Any, **options: Any) -> None:
        progress = ProgressBar(sys.stderr) if options["verbosity"] >= 1 else None
        try:
            result = index_rebuild(copy_dir=options["copy_dir"], progress=progress)
        except IndexerBusy as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(str(result)))

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from search.indexer import index_catch_up
from search.store import IndexerBusy


class Command(BaseCommand):
    help = (
        "Apply the change log to this machine's copy of the search index once; builds the "
        "index first when there is none (or it is damaged, or behind the pruned log)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--copy-dir", help="The copy (default: SEARCH_INDEX_DIR).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = index_catch_up(copy_dir=options["copy_dir"])
        except IndexerBusy as exc:
            # Not a failure: the indexer that holds the copy applies the changes.
            self.stdout.write(str(exc))
            return
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(str(result)))

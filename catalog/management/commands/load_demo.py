from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.demo import DEMO_FILE, DemoContentError, demo_content_load


class Command(BaseCommand):
    help = (
        "Load the demo content (the report's activities, partners and illustrative needs) from "
        "data/demo/catalogue.yaml. Safe to run again: it only updates what changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=DEMO_FILE, help="Demo content file.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = demo_content_load(path=options["file"])
        except DemoContentError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(f"Demo content from {options['file']} (source {result.source}):")
            self.stdout.write(f"  organizations: {result.organizations}")
            self.stdout.write(f"  entries: {result.entries}")
            self.stdout.write(f"  needs: {result.needs}")

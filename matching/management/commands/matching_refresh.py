"""Rank the suggestions of every open need again (used by `make run`; also after bulk imports)."""

from typing import Any

from django.core.management.base import BaseCommand

from matching.tasks import refresh_open_needs


class Command(BaseCommand):
    help = "Refresh the suggested matches of every open or matched need."

    def handle(self, *args: Any, **options: Any) -> None:
        # With a broker the refreshes are queued for the workers; without one they run here.
        count = refresh_open_needs()
        self.stdout.write(
            f"Suggestions of {count} open needs ranked again (or queued for workers)."
        )

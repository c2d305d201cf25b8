from typing import Any

from django.core.management.base import BaseCommand

from catalog.reference import load_reference


class Command(BaseCommand):
    help = "Load countries, regional offices, SDGs, themes and support kinds from data/reference/."

    def handle(self, *args: Any, **options: Any) -> None:
        stats = load_reference()
        for table in stats.created:
            created, updated = stats.created[table], stats.updated[table]
            if options["verbosity"] >= 1:
                self.stdout.write(f"{table}: {created} created, {updated} updated")

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.generator import GeneratorError, catalogue_generate


class Command(BaseCommand):
    help = (
        "Generate synthetic organizations, catalogue entries and needs for load tests "
        "(COPY on PostgreSQL, bulk_create elsewhere). Needs `load_reference` first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--entries", type=int, default=10_000, help="Entries to generate.")
        parser.add_argument("--needs", type=int, default=1_000, help="Needs to generate.")
        parser.add_argument(
            "--seed", type=int, default=1, help="Same seed, same data; a seed loads only once."
        )
        parser.add_argument(
            "--batch-size", type=int, default=20_000, help="Rows generated and written per batch."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("entries", "needs", "batch_size"):
            if options[name] < (1 if name == "batch_size" else 0):
                raise CommandError(f"--{name.replace('_', '-')} is too small.")
        verbose = options["verbosity"] >= 1
        try:
            report = catalogue_generate(
                entries=options["entries"],
                needs=options["needs"],
                seed=options["seed"],
                batch_size=options["batch_size"],
                progress=self.stdout.write if verbose else None,
            )
        except GeneratorError as exc:
            raise CommandError(str(exc)) from exc
        if verbose:
            for table, rows in report.rows.items():
                self.stdout.write(f"  {table}: {rows:,} rows")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {report.total_rows:,} rows for seed {report.seed} with "
                f"{report.method} in {report.seconds:.1f} s "
                f"({report.total_rows / report.seconds:,.0f} rows/s)."
            )
        )

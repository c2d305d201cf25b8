"""Synthetic catalogue data at scale, for load tests and search benchmarks.

Two halves. The pure half (`reference_load` aside, no database) turns a seed into rows:
`generate_organizations`, `iter_entries` and `iter_needs` return plain dataclasses whose fields
are the model columns, with reference data as database ids and organizations as indexes into the
generated list. The writer, `catalogue_generate`, stores them: with COPY on PostgreSQL, with
`bulk_create` elsewhere.

The same seed gives the same rows, whatever --batch-size: every block of `BLOCK_SIZE` rows draws
from its own random stream named by the seed, the kind of row and the block number. Dates are
laid out relative to `today`, so rows also depend on the day they are generated.

Generated rows are told apart by their source, the `PartnerSource` named
"Synthetic data (seed S)", and by their external ids: "gen-S-n" (entries), "gen-S-org-n"
(organizations) and "gen-S-need-n" (needs).

The modules, each using only the ones above it:

- `vocabulary`: word lists and sentence patterns in the six UN languages;
- `shares`: how the catalogue is made up (modules, languages, statuses, goals, theme clusters);
- `draws`: the seeded random streams and weighted choices;
- `reference`: the reference rows drawn from and how often each country is drawn;
- `text`: titles and texts composed from the vocabulary;
- `organizations`, `entries`, `needs`: the rows;
- `writers`: `catalogue_generate` and its COPY and `bulk_create` writers.
"""

from catalog.generator.entries import GeneratedEntry, iter_entries
from catalog.generator.errors import GeneratorError
from catalog.generator.needs import GeneratedNeed, iter_needs
from catalog.generator.organizations import (
    GeneratedOrganization,
    generate_organizations,
    organization_count,
)
from catalog.generator.reference import CountryRef, Reference, reference_load
from catalog.generator.shares import LANGUAGE_SHARES, MODULE_SHARES
from catalog.generator.writers import GenerationReport, catalogue_generate, source_name

__all__ = [
    "LANGUAGE_SHARES",
    "MODULE_SHARES",
    "CountryRef",
    "GeneratedEntry",
    "GeneratedNeed",
    "GeneratedOrganization",
    "GenerationReport",
    "GeneratorError",
    "Reference",
    "catalogue_generate",
    "generate_organizations",
    "iter_entries",
    "iter_needs",
    "organization_count",
    "reference_load",
    "source_name",
]

"""Generated organizations: the providers and members of entries."""

import datetime
import re
from dataclasses import dataclass

from django.utils import translation

from catalog.generator.draws import BLOCK_SIZE, block_rng, days, moment_on, share_choice
from catalog.generator.reference import Reference, country_choice, provider_weight
from catalog.generator.shares import ORGANIZATION_TYPE_SHARES
from catalog.generator.vocabulary import ORGANIZATION_FIELDS, ORGANIZATION_NAMES
from catalog.models import Organization


@dataclass(slots=True)
class GeneratedOrganization:
    name: str
    acronym: str
    type: str
    country_id: int
    is_southern: bool
    website: str
    description: str
    contact_email: str
    external_id: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


ORGANIZATION_COLUMNS = (
    "name",
    "acronym",
    "type",
    "country_id",
    "website",
    "description",
    "contact_email",
    "external_id",
    "created_at",
    "updated_at",
)


def organization_count(entries: int) -> int:
    """One organization for every 20 entries, and enough for a small catalogue to mix."""
    return max(20, entries // 20)


def generate_organizations(
    reference: Reference, *, seed: int, count: int, today: datetime.date
) -> list[GeneratedOrganization]:
    """Organizations in real countries, four in five Southern."""
    southern = [c for c in reference.countries if c.is_southern]
    northern = [c for c in reference.countries if not c.is_southern]
    south_choice = country_choice(southern, provider_weight)
    north_choice = country_choice(northern, provider_weight)
    types = share_choice(ORGANIZATION_TYPE_SHARES)
    with translation.override("en"):
        # English whatever the active language, so that a seed always gives the same rows.
        type_names = {str.__str__(t): str(t.label) for t in Organization.Type}
    latest = today - datetime.timedelta(days=1)
    organizations = []
    rng = block_rng(seed, "organizations", 0)
    for n in range(count):
        if n % BLOCK_SIZE == 0:
            rng = block_rng(seed, "organizations", n // BLOCK_SIZE)
        # Every 5th is Northern so that even a tiny run has both kinds.
        country = north_choice.one(rng) if n % 5 == 4 else south_choice.one(rng)
        org_type = types.one(rng)
        org_field = ORGANIZATION_FIELDS[int(rng.random() * len(ORGANIZATION_FIELDS))]
        patterns = ORGANIZATION_NAMES[org_type]
        name = patterns[int(rng.random() * len(patterns))].format(
            field=org_field, country=country.names["en"]
        )
        acronym = "".join(w[0] for w in name.replace(",", "").split() if w[0].isupper())[:12]
        domain = f"{re.sub('[^a-z]', '', acronym.lower()) or 'org'}-{n}.example.org"
        created = moment_on(latest - days(3650 * rng.random() ** 1.5), rng)
        organizations.append(
            GeneratedOrganization(
                name=name,
                acronym=acronym if len(acronym) > 1 else "",
                type=org_type,
                country_id=country.id,
                is_southern=country.is_southern,
                website=f"https://www.{domain}/" if rng.random() < 0.7 else "",
                description=(
                    f"{type_names[org_type]} in {country.names['en']} working on "
                    f"{org_field.lower()} and South-South cooperation."
                ),
                contact_email=f"info@{domain}" if rng.random() < 0.6 else "",
                external_id=f"gen-{seed}-org-{n}",
                created_at=created,
                updated_at=created,
            )
        )
    return organizations

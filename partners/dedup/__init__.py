"""Cross-source de-duplication of organizations: the keys two descriptions of one organization
share, the automatic rule the sync engine applies to each organization it reads
(`find_organization`), the candidate groups shown to staff (`duplicate_candidates`) and the merge
they decide (`organization_merge`).

Keys (`organization_keys`):

- **name**: case-folded, accents removed (Unicode NFKD), dots inside abbreviations joined
  ("S.A." -> "sa"), other punctuation a space, "&" read as "and", a leading "the" dropped, and
  trailing *legal forms* dropped (Ltd, Limited, Inc, LLC, PLC, GmbH, S.A., SARL, Pvt, Corp...).
  Words that say what an organization is (Foundation, Institute, Trust, Association, Centre) are
  kept: "Ford Foundation" and "Ford" are not one organization.
- **acronym**: the acronym given, case-folded, punctuation removed; a name that is one word in
  capitals ("ICIMOD") also counts as an acronym.
- **country** and **website host** (lower case, without "www."); hosts that many unrelated
  organizations share (social networks, blog and site builders) are ignored.

Automatic rule (`find_organization`), the first step that gives an answer wins:

1. the organization with the record's (source, external id), or the one an organization with
   that (source, external id) was merged into (the merge keeps an alias);
2. for a record read from an IATI source, an organization from any IATI source with the same
   organisation identifier (IATI identifiers are global);
3. the organization that has the record's name key, one of its acronyms or its website host as
   an **alias** (`OrganizationAlias`: the names of organizations merged into it, or added by
   staff), unless the record gives a country that is neither the alias's nor the
   organization's;
4. the same name key and the same country (without a country in the record: the same name key,
   when only one organization has it);
5. the same website host and also the same country, acronym or name key.

A step that finds more than one organization answers "none": a duplicate that staff merge later
costs less than two organizations wrongly made one. Organizations of the record's own source
with another external id are never candidates: the source says they are different.
"""

from partners.dedup.candidates import DuplicateGroup, duplicate_candidates
from partners.dedup.keys import (
    LEGAL_FORMS,
    SHARED_HOSTS,
    OrganizationKeys,
    acronym_key,
    alias_key,
    name_key,
    organization_keys,
    website_host,
)
from partners.dedup.lookup import (
    find_organization,
    find_organization_ids,
    match_organization,
    organization_for_alias,
)
from partners.dedup.merge import MergeResult, organization_merge

__all__ = [
    "DuplicateGroup",
    "LEGAL_FORMS",
    "MergeResult",
    "OrganizationKeys",
    "SHARED_HOSTS",
    "acronym_key",
    "alias_key",
    "duplicate_candidates",
    "find_organization",
    "find_organization_ids",
    "match_organization",
    "name_key",
    "organization_for_alias",
    "organization_keys",
    "organization_merge",
    "website_host",
]

"""How the synthetic catalogue is made up.

The shares of modules, languages, statuses and types, the weight of each goal, the support each
kind of entry offers, and the topic clusters that themes and terms fall into.
"""

from catalog.models import Entry, Organization
from catalog.models.entries import Kind, Module
from matching.models import Need

# Shares of a catalogue like the one the programme publishes: many technologies and experiences,
# few networks.
MODULE_SHARES: dict[str, float] = {
    Module.TECHNOLOGY: 0.30,
    Module.EXPERTISE: 0.12,
    Module.EXPERIENCE: 0.25,
    Module.OPPORTUNITY: 0.13,
    Module.NETWORK: 0.05,
    Module.EVENT: 0.15,
}
LANGUAGE_SHARES: dict[str, float] = {
    "en": 0.60,
    "fr": 0.13,
    "es": 0.13,
    "zh": 0.05,
    "ar": 0.05,
    "ru": 0.04,
}
ENTRY_STATUS_SHARES: dict[str, float] = {
    Entry.Status.PUBLISHED: 0.86,
    Entry.Status.SUBMITTED: 0.04,
    Entry.Status.DRAFT: 0.05,
    Entry.Status.ARCHIVED: 0.05,
}
NEED_STATUS_SHARES: dict[str, float] = {
    Need.Status.DRAFT: 0.08,
    Need.Status.SUBMITTED: 0.10,
    Need.Status.VALIDATED: 0.10,
    Need.Status.OPEN: 0.45,
    Need.Status.MATCHED: 0.17,
    Need.Status.CLOSED: 0.10,
}
NEED_ORIGIN_SHARES: dict[str, float] = {
    Need.Origin.TNA: 0.25,
    Need.Origin.NDC: 0.20,
    Need.Origin.NAP: 0.15,
    Need.Origin.NATIONAL_COMMUNICATION: 0.05,
    Need.Origin.NBSAP: 0.10,
    Need.Origin.REGIONAL_CONSULTATION: 0.10,
    Need.Origin.GOVERNMENT_REQUEST: 0.10,
    Need.Origin.OTHER: 0.05,
}
ORGANIZATION_TYPE_SHARES: dict[str, float] = {
    Organization.Type.GOVERNMENT: 0.20,
    Organization.Type.UN_ENTITY: 0.03,
    Organization.Type.INTERGOVERNMENTAL: 0.05,
    Organization.Type.CENTRE_OF_EXCELLENCE: 0.15,
    Organization.Type.UNIVERSITY_RESEARCH: 0.20,
    Organization.Type.NGO: 0.20,
    Organization.Type.PRIVATE_SECTOR: 0.12,
    Organization.Type.NETWORK_SECRETARIAT: 0.05,
}
# Environment-related goals dominate a UNEP catalogue.
SDG_GOAL_WEIGHTS = {
    1: 2, 2: 4, 3: 2, 4: 2, 5: 2, 6: 6, 7: 6, 8: 2, 9: 3,
    10: 1, 11: 4, 12: 5, 13: 10, 14: 4, 15: 6, 16: 1, 17: 4,
}  # fmt: skip
SUPPORT_BY_KIND = {
    Kind.TECHNOLOGY: "technology-transfer",
    Kind.TOOL: "technology-transfer",
    Kind.GUIDELINE: "expertise-advisory",
    Kind.INSTITUTIONAL_EXPERTISE: "expertise-advisory",
    Kind.EXPERT_ROSTER: "expertise-advisory",
    Kind.BEST_PRACTICE: "experience-exchange",
    Kind.CASE_STUDY: "experience-exchange",
    Kind.LESSONS_LEARNED: "experience-exchange",
    Kind.TRAINING: "training",
    Kind.FELLOWSHIP: "training",
    Kind.STAFF_EXCHANGE: "experience-exchange",
    Kind.ADVISORY_SERVICE: "expertise-advisory",
    Kind.FUNDING_CALL: "funding",
    Kind.NETWORK: "networking",
    Kind.WORKSHOP: "training",
    Kind.CONFERENCE: "networking",
    Kind.WEBINAR: "training",
}
# Theme codes are the reference loader's; a theme whose code names none of these reads as
# governance and capacity.
THEME_CLUSTERS = (("climate", "C"), ("nature", "N"), ("chemical", "P"), ("pollution", "P"))
CLUSTER_WEIGHTS = {"C": 0.40, "N": 0.30, "P": 0.15, "G": 0.15}
# Share of an entry's terms drawn from its theme's cluster rather than the whole vocabulary.
TOPICAL_SHARE = 0.35

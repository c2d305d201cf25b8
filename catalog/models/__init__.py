from catalog.models.entries import (
    Entry,
    EntryLink,
    EntryProvider,
    EntrySighting,
    EntryTranslation,
    Event,
    Experience,
    Expertise,
    Network,
    Opportunity,
    Technology,
)
from catalog.models.organizations import Organization
from catalog.models.reference import (
    Country,
    ReferenceSource,
    RegionalOffice,
    SdgGoal,
    SdgTarget,
    SupportKind,
    Theme,
)
from catalog.models.reviews import EntryReview
from catalog.models.tombstones import Tombstone

__all__ = [
    "Country",
    "Entry",
    "EntryLink",
    "EntryProvider",
    "EntryReview",
    "EntrySighting",
    "EntryTranslation",
    "Event",
    "Experience",
    "Expertise",
    "Network",
    "Opportunity",
    "Organization",
    "ReferenceSource",
    "RegionalOffice",
    "SdgGoal",
    "SdgTarget",
    "SupportKind",
    "Technology",
    "Theme",
    "Tombstone",
]

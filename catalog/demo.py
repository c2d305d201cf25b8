"""Load the demo content in data/demo/catalogue.yaml: the report's real activities and partners as
catalogue entries and organizations, plus illustrative needs of the regional offices.

The whole file is checked against the reference tables first; any unknown code or invalid record
stops the load with one error that names every problem, before anything is written. Writing then
happens in one transaction and is idempotent:

* organizations and entries are upserted by (PartnerSource "Demo content", external id);
* needs by (demo source, the file's id) as well;
* a row is saved only when a value differs, and its many-to-many relations, providers and links
  are set to exactly the file's values, so a second run changes nothing;
* only rows of the demo source are touched; nothing is deleted
  except the provider links and web links of demo entries that the file no longer lists.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from catalog.models import (
    Country,
    Entry,
    EntryLink,
    EntryProvider,
    Organization,
    RegionalOffice,
    SdgTarget,
    SupportKind,
    Theme,
)
from exchange.errors import ApplicationError
from matching.models import Need
from partners.models import PartnerSource

DEMO_FILE = Path(settings.BASE_DIR) / "data" / "demo" / "catalogue.yaml"
DEMO_SOURCE_NAME = "Demo content"
REPORT_ACTIVITIES = range(1, 12)  # the report's eleven examples

ORGANIZATION_KEYS = {"id", "name", "acronym", "type", "country", "website", "description"}
ENTRY_KEYS = {
    "id",
    "activity",
    "module",
    "kind",
    "language",
    "title",
    "summary",
    "body",
    "status",
    "countries_of_origin",
    "countries_applied",
    "themes",
    "sdg_targets",
    "support_kinds",
    "providers",
    "members",
    "links",
    "starts_on",
    "ends_on",
    "deadline",
    "venue",
    "venue_country",
    "is_online",
    "contact_name",
    "contact_email",
    "last_confirmed_on",
}
NEED_KEYS = {
    "id",
    "language",
    "title",
    "description",
    "countries",
    "regional_office",
    "origin",
    "themes",
    "sdg_targets",
    "support_kinds",
    "priority",
    "time_frame",
    "needed_by",
    "status",
}
# Entry fields copied from the file as they are, with their value when the file leaves them out.
ENTRY_PLAIN_FIELDS: dict[str, Any] = {
    "module": "",
    "kind": "",
    "language": "",
    "title": "",
    "summary": "",
    "body": "",
    "status": Entry.Status.PUBLISHED,
    "starts_on": None,
    "ends_on": None,
    "deadline": None,
    "venue": "",
    "is_online": False,
    "contact_name": "",
    "contact_email": "",
}
NEED_PLAIN_FIELDS: dict[str, Any] = {
    "language": "",
    "title": "",
    "description": "",
    "origin": "",
    "priority": Need.Priority.MEDIUM,
    "time_frame": Need.TimeFrame.MEDIUM,
    "needed_by": None,
    "status": Need.Status.OPEN,
}


class DemoContentError(ApplicationError):
    pass


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, *, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class DemoLoadResult:
    source: PartnerSource
    organizations: Tally = field(default_factory=Tally)
    entries: Tally = field(default_factory=Tally)
    needs: Tally = field(default_factory=Tally)


# Reading and checking --------------------------------------------------------------------------


@dataclass
class _Vocabulary:
    """The reference rows the file may name, read once."""

    countries: dict[str, Country]
    themes: dict[str, Theme]
    sdg_targets: dict[str, SdgTarget]
    support_kinds: dict[str, SupportKind]
    offices: dict[str, RegionalOffice]

    @classmethod
    def load(cls) -> "_Vocabulary":
        return cls(
            countries={c.iso3: c for c in Country.objects.select_related("regional_office")},
            themes={t.code: t for t in Theme.objects.all()},
            sdg_targets={t.code: t for t in SdgTarget.objects.select_related("goal")},
            support_kinds={s.code: s for s in SupportKind.objects.all()},
            offices={o.code: o for o in RegionalOffice.objects.all()},
        )


@dataclass
class _OrganizationRecord:
    external_id: str
    values: dict[str, Any]


@dataclass
class _EntryRecord:
    external_id: str
    values: dict[str, Any]
    countries_of_origin: list[Country]
    countries_applied: list[Country]
    themes: list[Theme]
    sdg_targets: list[SdgTarget]
    support_kinds: list[SupportKind]
    providers: list[tuple[str, str]]  # (organization id, role)
    members: list[str]  # organization ids
    links: list[tuple[str, str]]  # (url, label)


@dataclass
class _NeedRecord:
    external_id: str
    values: dict[str, Any]
    countries: list[Country]
    themes: list[Theme]
    sdg_targets: list[SdgTarget]
    support_kinds: list[SupportKind]


@dataclass
class _Content:
    organizations: list[_OrganizationRecord]
    entries: list[_EntryRecord]
    needs: list[_NeedRecord]


class _Checker:
    """Turns the parsed file into records, collecting every problem instead of stopping early."""

    def __init__(self, vocabulary: _Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.problems: list[str] = []

    def problem(self, record: str, message: str) -> None:
        self.problems.append(f"{record}: {message}")

    def lookup[T](
        self, record: str, key: str, codes: Any, table: dict[str, T], what: str
    ) -> list[T]:
        if codes is None:
            return []
        if not isinstance(codes, list):
            self.problem(record, f"{key} must be a list")
            return []
        found = []
        for code in dict.fromkeys(str(c) for c in codes):
            if code in table:
                found.append(table[code])
            else:
                self.problem(record, f"unknown {what} code {code!r} in {key}")
        return found

    def countries(self, record: str, key: str, codes: Any) -> list[Country]:
        return self.lookup(record, key, codes, self.vocabulary.countries, "country")

    def themes(self, record: str, codes: Any) -> list[Theme]:
        return self.lookup(record, "themes", codes, self.vocabulary.themes, "theme")

    def sdg_targets(self, record: str, codes: Any) -> list[SdgTarget]:
        return self.lookup(record, "sdg_targets", codes, self.vocabulary.sdg_targets, "SDG target")

    def support_kinds(self, record: str, codes: Any) -> list[SupportKind]:
        return self.lookup(
            record, "support_kinds", codes, self.vocabulary.support_kinds, "support kind"
        )

    def keys(self, record: str, raw: dict[str, Any], allowed: set[str]) -> None:
        for key in sorted(set(raw) - allowed):
            self.problem(record, f"unknown field {key!r}")

    def validate(
        self,
        record: str,
        instance: models.Model,
        values: dict[str, Any],
        exclude: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Check an unsaved row's field rules and `clean()`; return `values` as cleaned.

        Uniqueness is the upsert's business. Cleaned values (a date written as "2026-1-5" becomes
        a date) are what the upsert compares with the database, so a second run sees no change.
        """
        try:
            instance.full_clean(
                exclude=list(exclude), validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    self.problem(record, f"{name}: {message}")
        return {
            name: value
            if isinstance(instance._meta.get_field(name), models.ForeignKey)
            else getattr(instance, name)
            for name, value in values.items()
        }

    def organization(self, raw: dict[str, Any]) -> _OrganizationRecord:
        external_id = str(raw.get("id", ""))
        record = f"organization {external_id or '(no id)'}"
        self.keys(record, raw, ORGANIZATION_KEYS)
        values = {
            "name": raw.get("name", ""),
            "acronym": raw.get("acronym", ""),
            "type": raw.get("type", ""),
            "website": raw.get("website", ""),
            "description": raw.get("description", ""),
        }
        country = []
        if raw.get("country"):
            country = self.countries(record, "country", [raw["country"]])
        else:
            self.problem(record, "country is required (the ISO3 code of its headquarters)")
        values["country"] = country[0] if country else None
        values = self.validate(
            record,
            Organization(external_id=external_id, **values),
            values,
            exclude=[] if country else ["country"],
        )
        return _OrganizationRecord(external_id=external_id, values=values)

    def entry(
        self, raw: dict[str, Any], organization_ids: set[str], confirmed_on: Any
    ) -> _EntryRecord:
        external_id = str(raw.get("id", ""))
        record = f"entry {external_id or '(no id)'}"
        self.keys(record, raw, ENTRY_KEYS)
        activity = raw.get("activity")
        if activity is not None and activity not in REPORT_ACTIVITIES:
            self.problem(
                record, f"activity must be one of the report's examples 1-11: {activity!r}"
            )
        values = {name: raw.get(name, default) for name, default in ENTRY_PLAIN_FIELDS.items()}
        values["last_confirmed_on"] = raw.get("last_confirmed_on", confirmed_on)
        venue_country = None
        if raw.get("venue_country"):
            found = self.countries(record, "venue_country", [raw["venue_country"]])
            venue_country = found[0] if found else None
        values["venue_country"] = venue_country

        providers: list[tuple[str, str]] = []
        for provider in raw.get("providers") or []:
            if not isinstance(provider, dict):
                self.problem(
                    record, f"a provider must name an organization and a role: {provider!r}"
                )
                continue
            organization = str(provider.get("organization", ""))
            role = provider.get("role", EntryProvider.Role.LEAD)
            if organization not in organization_ids:
                self.problem(record, f"unknown organization {organization!r} in providers")
            elif organization in dict(providers):
                self.problem(record, f"organization {organization!r} is a provider twice")
            if role not in EntryProvider.Role.values:
                self.problem(record, f"unknown provider role {role!r} for {organization!r}")
            providers.append((organization, role))
        members = [str(m) for m in dict.fromkeys(raw.get("members") or [])]
        for member in members:
            if member not in organization_ids:
                self.problem(record, f"unknown organization {member!r} in members")
        links = [
            (str(link.get("url", "")), str(link.get("label", "")))
            for link in raw.get("links") or []
        ]
        for url, label in links:
            self.validate(record, EntryLink(url=url, label=label), {}, exclude=["entry"])

        values = self.validate(record, Entry(external_id=external_id, **values), values)
        return _EntryRecord(
            external_id=external_id,
            values=values,
            countries_of_origin=self.countries(
                record, "countries_of_origin", raw.get("countries_of_origin")
            ),
            countries_applied=self.countries(
                record, "countries_applied", raw.get("countries_applied")
            ),
            themes=self.themes(record, raw.get("themes")),
            sdg_targets=self.sdg_targets(record, raw.get("sdg_targets")),
            support_kinds=self.support_kinds(record, raw.get("support_kinds")),
            providers=providers,
            members=members,
            links=links,
        )

    def need(self, raw: dict[str, Any]) -> _NeedRecord:
        need_id = str(raw.get("id", ""))
        record = f"need {need_id or '(no id)'}"
        self.keys(record, raw, NEED_KEYS)
        values = {name: raw.get(name, default) for name, default in NEED_PLAIN_FIELDS.items()}
        countries = self.countries(record, "countries", raw.get("countries"))
        if not raw.get("countries"):
            self.problem(record, "a need names at least one country")
        support_kinds = self.support_kinds(record, raw.get("support_kinds"))
        if not raw.get("support_kinds"):
            self.problem(record, "a need names at least one kind of support sought")

        office_code = raw.get("regional_office", "")
        office = self.vocabulary.offices.get(office_code)
        if office is None:
            self.problem(record, f"unknown regional office code {office_code!r}")
        else:
            for country in countries:
                if country.regional_office_id != office.pk:
                    serving = country.regional_office.code if country.regional_office else "none"
                    self.problem(
                        record,
                        f"country {country.iso3} is served by regional office {serving!r}, "
                        f"not {office_code!r}",
                    )
        values["regional_office"] = office
        values = self.validate(
            record, Need(**values), values, exclude=[] if office else ["regional_office"]
        )
        return _NeedRecord(
            external_id=need_id,
            values=values,
            countries=countries,
            themes=self.themes(record, raw.get("themes")),
            sdg_targets=self.sdg_targets(record, raw.get("sdg_targets")),
            support_kinds=support_kinds,
        )


def _records(raw: Any, section: str, checker: _Checker) -> list[dict[str, Any]]:
    items = raw.get(section) or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        checker.problem(section, "must be a list of records")
        return []
    seen: set[str] = set()
    for item in items:
        item_id = str(item.get("id", ""))
        if not item_id:
            checker.problem(
                section, f"a record has no id: {item.get('title') or item.get('name')!r}"
            )
        elif item_id in seen:
            checker.problem(section, f"id {item_id!r} is used twice")
        seen.add(item_id)
    return items


def demo_content_read(*, path: Path = DEMO_FILE) -> _Content:
    """Parse and check the demo file; raise `DemoContentError` listing every problem found."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DemoContentError(f"Cannot read the demo content file {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise DemoContentError(f"The demo content file {path} must hold a mapping at the top.")

    checker = _Checker(_Vocabulary.load())
    if not checker.vocabulary.countries:
        raise DemoContentError(
            "The reference data is missing: run `manage.py load_reference` before loading demos."
        )
    confirmed_on = raw.get("confirmed_on")
    organizations = [checker.organization(item) for item in _records(raw, "organizations", checker)]
    organization_ids = {record.external_id for record in organizations}
    entries = [
        checker.entry(item, organization_ids, confirmed_on)
        for item in _records(raw, "entries", checker)
    ]
    needs = [checker.need(item) for item in _records(raw, "needs", checker)]
    if checker.problems:
        listing = "\n".join(f"- {problem}" for problem in checker.problems)
        raise DemoContentError(
            f"The demo content file {path} has {len(checker.problems)} problem(s); "
            f"nothing was loaded.\n{listing}",
            extra={"problems": checker.problems},
        )
    return _Content(organizations=organizations, entries=entries, needs=needs)


# Writing ---------------------------------------------------------------------------------------


def _assign(instance: models.Model, values: dict[str, Any]) -> list[str]:
    """Set the values that differ on `instance`; return the names of the fields changed."""
    changed = []
    for name, value in values.items():
        field = instance._meta.get_field(name)
        if isinstance(field, models.ForeignKey):  # an unsaved row has no related object to read
            differs = getattr(instance, field.attname) != (value.pk if value else None)
        else:
            differs = getattr(instance, name) != value
        if differs:
            changed.append(name)
    for name in changed:
        setattr(instance, name, values[name])
    return changed


def _set_exactly(manager: Any, objects: Sequence[models.Model]) -> bool:
    """Set a many-to-many relation to exactly `objects`; True when it changed."""
    wanted = {obj.pk for obj in objects}
    if set(manager.values_list("pk", flat=True)) == wanted:
        return False
    manager.set(objects)
    return True


def _demo_source() -> PartnerSource:
    source, _created = PartnerSource.objects.get_or_create(
        name=DEMO_SOURCE_NAME, defaults={"connector": PartnerSource.Connector.DEMO}
    )
    if source.connector != PartnerSource.Connector.DEMO:
        raise DemoContentError(
            f"A partner source named {DEMO_SOURCE_NAME!r} already exists with the connector "
            f"{source.connector!r}; rename it before loading the demo content."
        )
    return source


def _upsert_organization(
    record: _OrganizationRecord, source: PartnerSource, tally: Tally
) -> Organization:
    organization = Organization.objects.filter(
        source=source, external_id=record.external_id
    ).first()
    if organization is None:
        organization = Organization(source=source, external_id=record.external_id)
        _assign(organization, record.values)
        organization.full_clean()
        organization.save()
        tally.count(created=True, changed=False)
        return organization
    changed = _assign(organization, record.values)
    if changed:
        organization.full_clean()
        organization.save(update_fields=[*changed, "updated_at"])
    tally.count(created=False, changed=bool(changed))
    return organization


def _sync_providers(entry: Entry, wanted: dict[int, str]) -> bool:
    """Make the entry's providers exactly `wanted` (organization pk -> role); True if changed."""
    changed = False
    existing = {link.organization_id: link for link in entry.provider_links.all()}
    for organization_id, link in existing.items():
        if organization_id not in wanted:
            link.delete()
            changed = True
        elif link.role != wanted[organization_id]:
            link.role = wanted[organization_id]
            link.save(update_fields=["role"])
            changed = True
    for organization_id, role in wanted.items():
        if organization_id not in existing:
            EntryProvider.objects.create(entry=entry, organization_id=organization_id, role=role)
            changed = True
    return changed


def _sync_links(entry: Entry, wanted: list[tuple[str, str]]) -> bool:
    """Make the entry's web links exactly `wanted` (url, label), keeping rows whose url stays."""
    changed = False
    labels = dict(wanted)
    kept: set[str] = set()
    for link in entry.links.all():
        if link.url not in labels or link.url in kept:
            link.delete()
            changed = True
            continue
        kept.add(link.url)
        if link.label != labels[link.url]:
            link.label = labels[link.url]
            link.save(update_fields=["label"])
            changed = True
    for url, label in labels.items():
        if url not in kept:
            EntryLink.objects.create(entry=entry, url=url, label=label)
            changed = True
    return changed


def _upsert_entry(
    record: _EntryRecord,
    source: PartnerSource,
    organizations: dict[str, Organization],
    tally: Tally,
) -> Entry:
    entry = Entry.objects.filter(source=source, external_id=record.external_id).first()
    created = entry is None
    if entry is None:
        entry = Entry(source=source, external_id=record.external_id)
    changed = _assign(entry, record.values)
    if entry.status == Entry.Status.PUBLISHED and entry.published_at is None:
        entry.published_at = timezone.now()
        changed.append("published_at")
    if created or changed:
        entry.full_clean()
        if created:
            entry.save()
        else:
            entry.save(update_fields=[*changed, "updated_at"])

    goals = list({target.goal_id: target.goal for target in record.sdg_targets}.values())
    related_changed = [
        _set_exactly(entry.countries_of_origin, record.countries_of_origin),
        _set_exactly(entry.countries_applied, record.countries_applied),
        _set_exactly(entry.themes, record.themes),
        _set_exactly(entry.sdg_goals, goals),
        _set_exactly(entry.sdg_targets, record.sdg_targets),
        _set_exactly(entry.support_kinds, record.support_kinds),
        _set_exactly(entry.member_organizations, [organizations[m] for m in record.members]),
        _sync_providers(entry, {organizations[o].pk: role for o, role in record.providers}),
        _sync_links(entry, record.links),
    ]
    if any(related_changed) and not created and not changed:
        # The page shows when an entry last changed; relations are part of it.
        entry.save(update_fields=["updated_at"])
    tally.count(created=created, changed=bool(changed) or any(related_changed))
    return entry


# Steps a need has gone through before reaching a status, with the timestamp each one sets.
_NEED_STEPS: dict[str, tuple[str, ...]] = {
    Need.Status.SUBMITTED: ("submitted_at",),
    Need.Status.VALIDATED: ("submitted_at", "validated_at"),
    Need.Status.OPEN: ("submitted_at", "validated_at", "opened_at"),
}


def _upsert_need(record: _NeedRecord, source: PartnerSource, tally: Tally) -> Need:
    need = Need.objects.filter(source=source, external_id=record.external_id).first()
    created = need is None
    if need is None:
        need = Need(source=source, external_id=record.external_id)
    changed = _assign(need, record.values)
    now = timezone.now()
    for timestamp in _NEED_STEPS.get(need.status, ()):
        if getattr(need, timestamp) is None:
            setattr(need, timestamp, now)
            changed.append(timestamp)
    if created or changed:
        need.full_clean()
        if created:
            need.save()
        else:
            need.save(update_fields=[*changed, "updated_at"])
    goals = list({target.goal_id: target.goal for target in record.sdg_targets}.values())
    related_changed = [
        _set_exactly(need.countries, record.countries),
        _set_exactly(need.themes, record.themes),
        _set_exactly(need.sdg_goals, goals),
        _set_exactly(need.sdg_targets, record.sdg_targets),
        _set_exactly(need.support_kinds, record.support_kinds),
    ]
    tally.count(created=created, changed=bool(changed) or any(related_changed))
    return need


@transaction.atomic
def demo_content_load(*, path: Path = DEMO_FILE) -> DemoLoadResult:
    """Check the whole file, then upsert its organizations, entries and needs (idempotent)."""
    content = demo_content_read(path=path)
    result = DemoLoadResult(source=_demo_source())
    organizations = {
        record.external_id: _upsert_organization(record, result.source, result.organizations)
        for record in content.organizations
    }
    for entry_record in content.entries:
        _upsert_entry(entry_record, result.source, organizations, result.entries)
    for need_record in content.needs:
        _upsert_need(need_record, result.source, result.needs)
    return result

"""Catalogue entries: one table for the six modules of the report, with a proxy model per module.

One table keeps search, facets and matching across modules simple and lets the generator bulk
insert; module-specific fields are optional columns whose rules `Entry.clean()` enforces.
"""

import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models.organizations import Organization
from catalog.models.reference import Country, SdgGoal, SdgTarget, SupportKind, Theme
from exchange.history import History


class Module(models.TextChoices):
    TECHNOLOGY = "technology", _("Technology")
    EXPERTISE = "expertise", _("Expertise")
    EXPERIENCE = "experience", _("Experience")
    OPPORTUNITY = "opportunity", _("Opportunity")
    NETWORK = "network", _("Network")
    EVENT = "event", _("Event")


class Kind(models.TextChoices):
    TECHNOLOGY = "technology", _("Technology")
    TOOL = "tool", _("Method, tool or toolkit")
    GUIDELINE = "guideline", _("Guideline")
    INSTITUTIONAL_EXPERTISE = "institutional-expertise", _("Institutional expertise")
    EXPERT_ROSTER = "expert-roster", _("Expert roster")
    BEST_PRACTICE = "best-practice", _("Best practice")
    CASE_STUDY = "case-study", _("Case study")
    LESSONS_LEARNED = "lessons-learned", _("Lessons learned")
    TRAINING = "training", _("Training")
    FELLOWSHIP = "fellowship", _("Fellowship")
    STAFF_EXCHANGE = "staff-exchange", _("Staff exchange")
    ADVISORY_SERVICE = "advisory-service", _("Advisory service")
    FUNDING_CALL = "funding-call", _("Funding call")
    NETWORK = "network", _("Network")
    WORKSHOP = "workshop", _("Workshop")
    CONFERENCE = "conference", _("Conference")
    WEBINAR = "webinar", _("Webinar")


KINDS_BY_MODULE: dict[str, tuple[str, ...]] = {
    Module.TECHNOLOGY: (Kind.TECHNOLOGY, Kind.TOOL, Kind.GUIDELINE),
    Module.EXPERTISE: (Kind.INSTITUTIONAL_EXPERTISE, Kind.EXPERT_ROSTER),
    Module.EXPERIENCE: (Kind.BEST_PRACTICE, Kind.CASE_STUDY, Kind.LESSONS_LEARNED),
    Module.OPPORTUNITY: (
        Kind.TRAINING,
        Kind.FELLOWSHIP,
        Kind.STAFF_EXCHANGE,
        Kind.ADVISORY_SERVICE,
        Kind.FUNDING_CALL,
    ),
    Module.NETWORK: (Kind.NETWORK,),
    Module.EVENT: (Kind.WORKSHOP, Kind.CONFERENCE, Kind.TRAINING, Kind.WEBINAR),
}

CONTENT_LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
    ("ru", _("Russian")),
    ("zh", _("Chinese")),
    ("pt", _("Portuguese")),
]


class EntryQuerySet(models.QuerySet["Entry"]):
    def published(self) -> "EntryQuerySet":
        return self.filter(status=Entry.Status.PUBLISHED)

    def of_module(self, module: str) -> "EntryQuerySet":
        return self.filter(module=module)

    def for_region(self, region_code: str) -> "EntryQuerySet":
        """Entries from or applied in a country of an M49 region."""
        return self.filter(
            Q(countries_of_origin__region_code=region_code)
            | Q(countries_applied__region_code=region_code)
        ).distinct()

    def southern(self) -> "EntryQuerySet":
        """Entries with at least one Southern provider (UN entities aside)."""
        return self.filter(_provider_exists(southern=True))

    def south_south(self) -> "EntryQuerySet":
        """Entries whose providers are all Southern (UN entities aside): `Entry.cooperation`."""
        return self.filter(_provider_exists(southern=True)).exclude(
            _provider_exists(southern=False)
        )

    def triangular(self) -> "EntryQuerySet":
        """Southern providers working with at least one Northern partner."""
        return self.filter(_provider_exists(southern=True), _provider_exists(southern=False))

    def stale(self, *, confirmed_before: datetime.date) -> "EntryQuerySet":
        return self.filter(
            Q(last_confirmed_on__lt=confirmed_before) | Q(last_confirmed_on__isnull=True)
        )

    def to_reconfirm(self, *, today: datetime.date | None = None) -> "EntryQuerySet":
        """Published entries not confirmed for ENTRY_RECONFIRM_AFTER_DAYS: their owners are asked
        to confirm them (`Entry.needs_reconfirmation`)."""
        return self.published().stale(confirmed_before=reconfirm_cutoff(today))

    def stale_now(self, *, today: datetime.date | None = None) -> "EntryQuerySet":
        """Published entries not confirmed for ENTRY_STALE_AFTER_DAYS (`Entry.is_stale`)."""
        return self.published().stale(confirmed_before=stale_cutoff(today))


def reconfirm_cutoff(today: datetime.date | None = None) -> datetime.date:
    """Entries last confirmed before this day are to be reconfirmed."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=settings.ENTRY_RECONFIRM_AFTER_DAYS)


def stale_cutoff(today: datetime.date | None = None) -> datetime.date:
    """Entries last confirmed before this day are stale: shown as possibly out of date."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=settings.ENTRY_STALE_AFTER_DAYS)


def _provider_exists(*, southern: bool) -> Exists:
    # UN entities facilitate rather than provide: their headquarters country (UNEP in Kenya,
    # UN DESA in the USA) says nothing about whether the cooperation is South-South.
    return Exists(
        EntryProvider.objects.filter(
            entry=OuterRef("pk"), organization__country__is_southern=southern
        ).exclude(organization__type=Organization.Type.UN_ENTITY)
    )


class Entry(models.Model):
    Module = Module
    Kind = Kind

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Cooperation(models.TextChoices):
        SOUTH_SOUTH = "south-south", _("South-South")
        TRIANGULAR = "triangular", _("Triangular")
        NORTHERN = "northern", _("Northern provider only")
        UNKNOWN = "unknown", _("Not classified")

    module = models.CharField(_("module"), max_length=20, choices=Module.choices)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), max_length=1000)
    body = models.TextField(_("description"), blank=True)
    language = models.CharField(_("language"), max_length=5, choices=CONTENT_LANGUAGES)

    countries_of_origin = models.ManyToManyField(
        Country, related_name="entries_from", blank=True, verbose_name=_("countries of origin")
    )
    countries_applied = models.ManyToManyField(
        Country, related_name="entries_applied", blank=True, verbose_name=_("applied in")
    )
    themes = models.ManyToManyField(Theme, related_name="entries", blank=True)
    sdg_goals = models.ManyToManyField(SdgGoal, related_name="entries", blank=True)
    sdg_targets = models.ManyToManyField(SdgTarget, related_name="entries", blank=True)
    support_kinds = models.ManyToManyField(
        SupportKind, related_name="entries", blank=True, verbose_name=_("support offered")
    )
    providers = models.ManyToManyField(
        Organization, through="EntryProvider", related_name="entries", blank=True
    )
    member_organizations = models.ManyToManyField(
        Organization, related_name="networks", blank=True, verbose_name=_("members (networks)")
    )

    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)

    # Opportunities and events.
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    deadline = models.DateField(_("application deadline"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    venue_country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="events_hosted"
    )
    is_online = models.BooleanField(_("online"), default=False)

    is_verified = models.BooleanField(_("verified by programme staff"), default=False)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    source = models.ForeignKey(
        "partners.PartnerSource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    external_id = models.CharField(max_length=255, blank=True)
    # Provenance of a synchronised entry (partners/sync/): where a person sees the record at
    # the source, the hash of the mapped record last stored (an unchanged record is skipped),
    # when its source last listed it, and the fields a person changed here, which the next
    # syncs leave alone (recording a partners.SyncConflict when the source's value differs).
    # Database defaults too: bulk writers that COPY named columns (catalog/generator) leave
    # these out.
    source_url = models.URLField(
        _("record at the source"), max_length=500, blank=True, default="", db_default=""
    )
    content_hash = models.CharField(
        max_length=64, blank=True, editable=False, default="", db_default=""
    )
    # When the source last listed the entry, as of the last write of this row (the record created
    # or changed). The sync records each sighting of an unchanged record in the narrow
    # `EntrySighting` instead (a new version of this wide row per record and run was most of an
    # unchanged run's time): `last_seen_at` is the later of the two.
    stored_last_seen_at = models.DateTimeField(
        _("last seen at the source"), null=True, blank=True, db_column="last_seen_at"
    )
    locally_edited_fields = models.JSONField(default=list, db_default=[], blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_confirmed_on = models.DateField(_("last confirmed on"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When the owners were last asked to reconfirm the entry; cleared when it is confirmed, so
    # the reminder task (catalog/tasks.py) asks once per period without confirmation.
    reconfirm_reminded_at = models.DateTimeField(null=True, blank=True)
    # The key of the contribution form that created the entry: a second POST of the same form
    # (a double click) finds this entry instead of creating another.
    creation_key = models.UUIDField(null=True, blank=True, editable=False)

    objects = EntryQuerySet.as_manager()
    # Who changed what and when, shown to staff on each entry (django-simple-history).
    history = History(
        m2m_fields=[countries_of_origin, countries_applied, themes, sdg_targets],
        excluded_fields=[
            "updated_at",
            "reconfirm_reminded_at",
            "creation_key",
            "content_hash",
            "stored_last_seen_at",
            "locally_edited_fields",
        ],
    )

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name_plural = "entries"
        indexes = [
            # Module list pages: published entries of one module, newest first.
            models.Index(
                fields=["module", "status", "-updated_at"], name="entry_module_status_upd"
            ),
            # Stale-entry reports and reconfirmation reminders.
            models.Index(fields=["last_confirmed_on"], name="entry_last_confirmed"),
            # The API's list, oldest change first (mirroring, `updated_since`), and its
            # Last-Modified (the newest change).
            models.Index(fields=["updated_at", "id"], name="entry_updated_id"),
            # The same for anonymous clients, who see published entries only: the newest
            # entries are often drafts, which the index above would step over one by one.
            models.Index(
                fields=["updated_at", "id"],
                name="entry_published_updated_id",
                condition=Q(status="published"),
            ),
        ]
        constraints = [
            # Upserts from partner sync look entries up by (source, external_id).
            # Contribution forms look the entry they created up by this key.
            models.UniqueConstraint(fields=["creation_key"], name="entry_unique_creation_key"),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="entry_unique_source_external_id",
                violation_error_message=_(
                    "Another entry from this source already has this external id."
                ),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="entry_ends_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.module and self.kind and self.kind not in KINDS_BY_MODULE[self.module]:
            allowed = ", ".join(str(Kind(k).label) for k in KINDS_BY_MODULE[self.module])
            errors.setdefault("kind", []).append(
                str(
                    _("For this module the kind must be one of: %(allowed)s.")
                    % {"allowed": allowed}
                )
            )
        if self.module == Module.EVENT and not self.starts_on:
            errors.setdefault("starts_on", []).append(str(_("An event needs a start date.")))
        if self.module == Module.EVENT and not self.is_online and not self.venue_country_id:
            errors.setdefault("venue_country", []).append(
                str(_("An event that is not online needs the country where it takes place."))
            )
        if self.module not in (Module.OPPORTUNITY, Module.EVENT):
            for field in ("deadline", "starts_on", "ends_on"):
                if getattr(self, field):
                    errors.setdefault(field, []).append(
                        str(_("Only opportunities and events have dates."))
                    )
        if self.deadline and self.published_at and self.deadline < self.published_at.date():
            errors.setdefault("deadline", []).append(
                str(_("The application deadline cannot be before the publication date."))
            )
        if self.deadline and self.starts_on and self.deadline > self.starts_on:
            errors.setdefault("deadline", []).append(
                str(_("The application deadline cannot be after the start date."))
            )
        if errors:
            raise ValidationError(errors)

    @property
    def last_seen_at(self) -> datetime.datetime | None:
        """When the source last listed the entry (None: not from a source, or never seen)."""
        try:
            sighted = self.sighting.seen_at
        except EntrySighting.DoesNotExist:
            return self.stored_last_seen_at
        stored = self.stored_last_seen_at
        return sighted if stored is None or sighted > stored else stored

    @last_seen_at.setter
    def last_seen_at(self, value: datetime.datetime | None) -> None:
        self.stored_last_seen_at = value

    @property
    def is_open(self) -> bool:
        """Opportunities with a deadline still ahead, and events not yet over."""
        today = timezone.localdate()
        if self.deadline:
            return self.deadline >= today
        if self.ends_on or self.starts_on:
            return (self.ends_on or self.starts_on or today) >= today
        return True

    @property
    def needs_reconfirmation(self) -> bool:
        """Published and not confirmed for ENTRY_RECONFIRM_AFTER_DAYS: "to reconfirm"."""
        return self.status == self.Status.PUBLISHED and (
            self.last_confirmed_on is None or self.last_confirmed_on < reconfirm_cutoff()
        )

    @property
    def is_stale(self) -> bool:
        """Published and not confirmed for ENTRY_STALE_AFTER_DAYS: possibly out of date."""
        return self.status == self.Status.PUBLISHED and (
            self.last_confirmed_on is None or self.last_confirmed_on < stale_cutoff()
        )

    @property
    def cooperation(self) -> "Entry.Cooperation":
        """South-South, triangular or Northern, from the countries of the providers other than UN
        entities (see `_provider_exists`); "not classified" when no such provider is stated."""
        flags = {
            p.is_southern for p in self.providers.all() if p.type != Organization.Type.UN_ENTITY
        }
        if not flags:
            return self.Cooperation.UNKNOWN
        if flags == {True}:
            return self.Cooperation.SOUTH_SOUTH
        if flags == {False}:
            return self.Cooperation.NORTHERN
        return self.Cooperation.TRIANGULAR


class EntryProvider(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("Lead provider")
        PARTNER = "partner", _("Partner")
        FUNDER = "funder", _("Funder")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="provider_links")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="provider_links"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.LEAD)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "organization"], name="entry_provider_unique_organization"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display()})"


class EntrySighting(models.Model):
    """When a partner source last listed an entry whose record had not changed: one narrow row
    per entry, rewritten at each run, so that an unchanged record costs no write of the entry's
    wide row (see `Entry.last_seen_at`)."""

    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="sighting"
    )
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.entry_id} seen {self.seen_at:%Y-%m-%d %H:%M}"


class EntryTranslation(models.Model):
    """The entry's texts in a language other than its own `language`, as a partner source gives
    them (IATI narratives in several languages)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=5, choices=CONTENT_LANGUAGES)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "language"], name="entry_translation_unique_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class EntryLink(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=500)
    label = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.label or self.url


class ModuleManager(models.Manager[Any]):
    """The manager of a module's proxy model: sees only that module and creates rows in it."""

    def __init__(self, module: str) -> None:
        super().__init__()
        self.module = module

    def get_queryset(self) -> EntryQuerySet:
        return EntryQuerySet(self.model, using=self._db).filter(module=self.module)

    def create(self, **kwargs: Any) -> Any:
        kwargs.setdefault("module", self.module)
        return super().create(**kwargs)


class Technology(Entry):
    MODULE: ClassVar[str] = Module.TECHNOLOGY
    objects = ModuleManager(Module.TECHNOLOGY)  # type: ignore[assignment,misc]

    class Meta:
        proxy = True
        verbose_name_plural = "technologies"


class Expertise(Entry):
    MODULE: ClassVar[str] = Module.EXPERTISE
    objects = ModuleManager(Module.EXPERTISE)  # type: ignore[assignment,misc]

    class Meta:
        proxy = True
        verbose_name_plural = "expertise"


class Experience(Entry):
    MODULE: ClassVar[str] = Module.EXPERIENCE
    objects = ModuleManager(Module.EXPERIENCE)  # type: ignore[assignment,misc]

    class Meta:
        proxy = True


class Opportunity(Entry):
    MODULE: ClassVar[str] = Module.OPPORTUNITY
    objects = ModuleManager(Module.OPPORTUNITY)  # type: ignore[assignment,misc]

    class Meta:
        proxy = True
        verbose_name_plural = "opportunities"


class Network(Entry):
    MODULE: ClassVar[str] = Module.NETWORK
    objects = ModuleManager(Module.NETWORK)  # type: ignore[assignment,misc]

    class Meta:
        proxy = True


class Event(Entry):
    MODULE: ClassVar[str] = Module.EVENT
    objects = ModuleManager(Module.EVENT)  # type: ignore[assignment,misc]

    class Meta:
        proxy = True

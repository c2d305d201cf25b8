"""Reference vocabularies loaded from published sources by `manage.py load_reference`.

Rows here are never typed by hand: see catalog/reference.py for the sources and the rules that
derive the Southern flag and each country's UNEP regional office.
"""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

UN_LANGUAGE_SUFFIXES = ("en", "fr", "es", "ar", "ru", "zh")


def language_suffix() -> str:
    """The column suffix for the active language: "zh-hans" is stored as "_zh"."""
    language = (get_language() or "en").split("-")[0]
    return language if language in UN_LANGUAGE_SUFFIXES else "en"


def localized(obj: models.Model, field: str) -> str:
    """`obj.<field>_<lang>` for the active language, falling back to English."""
    value = getattr(obj, f"{field}_{language_suffix()}", "")
    return value or getattr(obj, f"{field}_en")


class ReferenceSource(models.Model):
    """One published file that reference data was loaded from, and when."""

    key = models.CharField(max_length=100, unique=True)
    path = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    source_url = models.URLField(max_length=500)
    licence = models.CharField(max_length=100)
    loaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key


class RegionalOffice(models.Model):
    class Code(models.TextChoices):
        AFRICA = "africa", _("Africa")
        ASIA_PACIFIC = "asia-pacific", _("Asia and the Pacific")
        WEST_ASIA = "west-asia", _("West Asia")
        LATIN_AMERICA_CARIBBEAN = "latin-america-caribbean", _("Latin America and the Caribbean")
        EUROPE = "europe", _("Europe")
        NORTH_AMERICA = "north-america", _("North America")

    code = models.CharField(max_length=30, choices=Code.choices, unique=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return str(self.name)

    @property
    def name(self) -> str:
        return str(self.Code(self.code).label)


class Country(models.Model):
    iso3 = models.CharField(max_length=3, unique=True)
    iso2 = models.CharField(max_length=2, unique=True)
    m49 = models.CharField("M49 code", max_length=3, unique=True)
    name_en = models.CharField(max_length=120)
    name_fr = models.CharField(max_length=120, blank=True)
    name_es = models.CharField(max_length=120, blank=True)
    name_ar = models.CharField(max_length=120, blank=True)
    name_ru = models.CharField(max_length=120, blank=True)
    name_zh = models.CharField(max_length=120, blank=True)
    region_code = models.CharField(max_length=3, blank=True)
    region_name = models.CharField(max_length=60, blank=True)
    subregion_code = models.CharField(max_length=3, blank=True)
    subregion_name = models.CharField(max_length=60, blank=True)
    intermediate_region_code = models.CharField(max_length=3, blank=True)
    intermediate_region_name = models.CharField(max_length=60, blank=True)
    is_ldc = models.BooleanField("least developed country", default=False)
    is_lldc = models.BooleanField("landlocked developing country", default=False)
    is_sids = models.BooleanField("small island developing state", default=False)
    is_g77 = models.BooleanField("Group of 77 member", default=False)
    # Derived by the reference loader from the rule in catalog/reference.py, never edited.
    is_southern = models.BooleanField(default=False, editable=False)
    regional_office = models.ForeignKey(
        RegionalOffice, on_delete=models.PROTECT, null=True, blank=True, related_name="countries"
    )

    class Meta:
        ordering = ["name_en"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def groups(self) -> list[str]:
        return [
            label
            for flag, label in (
                (self.is_ldc, "LDC"),
                (self.is_lldc, "LLDC"),
                (self.is_sids, "SIDS"),
            )
            if flag
        ]


class Theme(models.Model):
    """A UNEP subprogramme, the portal's thematic index beside the SDGs."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class SdgGoal(models.Model):
    number = models.PositiveSmallIntegerField(unique=True)
    short_en = models.CharField(max_length=120)
    short_fr = models.CharField(max_length=120, blank=True)
    short_es = models.CharField(max_length=120, blank=True)
    short_ar = models.CharField(max_length=120, blank=True)
    short_ru = models.CharField(max_length=120, blank=True)
    short_zh = models.CharField(max_length=120, blank=True)
    title_en = models.TextField()
    title_fr = models.TextField(blank=True)
    title_es = models.TextField(blank=True)
    title_ar = models.TextField(blank=True)
    title_ru = models.TextField(blank=True)
    title_zh = models.TextField(blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = "SDG goal"

    def __str__(self) -> str:
        return f"{self.number}. {self.short}"

    @property
    def short(self) -> str:
        return localized(self, "short")

    @property
    def title(self) -> str:
        return localized(self, "title")


class SdgTarget(models.Model):
    code = models.CharField(max_length=6, unique=True)  # "13.2", "1.a"
    goal = models.ForeignKey(SdgGoal, on_delete=models.PROTECT, related_name="targets")
    position = models.PositiveSmallIntegerField(default=0)
    title_en = models.TextField()
    title_fr = models.TextField(blank=True)
    title_es = models.TextField(blank=True)
    title_ar = models.TextField(blank=True)
    title_ru = models.TextField(blank=True)
    title_zh = models.TextField(blank=True)

    class Meta:
        ordering = ["goal__number", "position"]
        verbose_name = "SDG target"

    def __str__(self) -> str:
        return f"{self.code} {self.title[:60]}"

    @property
    def title(self) -> str:
        return localized(self, "title")


class SupportKind(models.Model):
    """A kind of capacity-building support: sought by needs, offered by entries."""

    class Code(models.TextChoices):
        TRAINING = "training", _("Training")
        TECHNOLOGY_TRANSFER = "technology-transfer", _("Technology transfer")
        EXPERTISE_ADVISORY = "expertise-advisory", _("Expertise and advisory services")
        EXPERIENCE_EXCHANGE = "experience-exchange", _("Experience exchange")
        FUNDING = "funding", _("Funding")
        NETWORKING = "networking", _("Networking")

    code = models.CharField(max_length=30, choices=Code.choices, unique=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return str(self.name)

    @property
    def name(self) -> str:
        return str(self.Code(self.code).label)

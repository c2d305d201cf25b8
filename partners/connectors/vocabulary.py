"""The portal's vocabularies as connectors need them: countries by code or name, themes, SDG
targets, content languages and the DAC sector → theme table (data/dac-sector-themes.csv).

Reference tables are read once per connector (`Vocabulary` is made per run), never written.
"""

import csv
import datetime
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from lxml import etree

from catalog.models import Country, SdgTarget, Theme
from catalog.models.entries import CONTENT_LANGUAGES

DATA_DIR = Path(__file__).resolve().parent / "data"
CONTENT_LANGUAGE_CODES = tuple(code for code, _label in CONTENT_LANGUAGES)
TITLE_MAX = 300
SUMMARY_MAX = 1000

# ISO 639-2 (bibliographic and terminology) codes of the content languages, as repositories
# write them in dc:language and xml:lang ("eng"); two-letter codes and regional variants
# ("en-GB", "zh-Hans") are reduced to their first part.
_ISO_639_2 = {
    "eng": "en",
    "fra": "fr",
    "fre": "fr",
    "spa": "es",
    "ara": "ar",
    "rus": "ru",
    "zho": "zh",
    "chi": "zh",
    "por": "pt",
}


def content_language(code: str | None) -> str:
    """A content language code for `code`, or "" when the portal holds no such language."""
    if not code:
        return ""
    first = re.split(r"[-_]", code.strip().lower())[0]
    first = _ISO_639_2.get(first, first)
    return first if first in CONTENT_LANGUAGE_CODES else ""


def _normal(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@dataclass
class Vocabulary:
    """Lookups over the reference tables, loaded on first use."""

    _countries: dict[str, str] | None = field(default=None, init=False)
    _iso3: set[str] = field(default_factory=set, init=False)
    _themes: dict[str, str] | None = field(default=None, init=False)
    _targets: set[str] | None = field(default=None, init=False)

    def _load_countries(self) -> dict[str, str]:
        if self._countries is None:
            lookup: dict[str, str] = {}
            for country in Country.objects.all():
                self._iso3.add(country.iso3)
                lookup[country.iso2.upper()] = country.iso3
                lookup[country.iso3.upper()] = country.iso3
                for suffix in ("en", "fr", "es", "ar", "ru", "zh"):
                    name = getattr(country, f"name_{suffix}")
                    if name:
                        lookup.setdefault(_normal(name), country.iso3)
            self._countries = lookup
        return self._countries

    def country_by_code(self, code: str) -> str:
        """ISO3 for an ISO 3166 alpha-2 or alpha-3 code, "" when unknown."""
        code = code.strip().upper()
        if len(code) not in (2, 3):
            return ""
        return self._load_countries().get(code, "")

    def country(self, code_or_name: str) -> str:
        """ISO3 for a code or a UN name in any of the six languages, "" when unknown."""
        lookup = self._load_countries()
        by_code = self.country_by_code(code_or_name)
        return by_code or lookup.get(_normal(code_or_name), "")

    def theme(self, code_or_name: str) -> str:
        """The theme whose code or English name this is (case and accents ignored), or ""."""
        if self._themes is None:
            self._themes = {}
            for theme in Theme.objects.all():
                self._themes[_normal(theme.code)] = theme.code
                self._themes[_normal(theme.name)] = theme.code
        return self._themes.get(_normal(code_or_name), "")

    def sdg_target(self, code: str) -> str:
        if self._targets is None:
            self._targets = set(SdgTarget.objects.values_list("code", flat=True))
        code = code.strip().lower()
        return code if code in self._targets else ""


# DAC sectors → themes ---------------------------------------------------------------------


class MappingTableError(Exception):
    pass


def _codelist_codes(name: str) -> set[str]:
    tree = etree.parse(str(DATA_DIR / "iati-codelists" / f"{name}.xml"))
    return {str(code).strip() for code in tree.xpath("//codelist-item/code/text()")}  # type: ignore[union-attr]


@functools.cache
def dac_theme_table() -> dict[str, tuple[str, ...]]:
    """{DAC code: theme codes} from data/dac-sector-themes.csv, checked against the codelists
    and the portal's theme list (data/reference/unep-subprogrammes.csv)."""
    categories, sectors = _codelist_codes("SectorCategory"), _codelist_codes("Sector")
    themes_file = (
        Path(__file__).resolve().parents[2] / "data" / "reference" / "unep-subprogrammes.csv"
    )
    with themes_file.open(encoding="utf-8") as handle:
        themes = {row["code"] for row in csv.DictReader(handle)}
    table: dict[str, tuple[str, ...]] = {}
    with (DATA_DIR / "dac-sector-themes.csv").open(encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            code, slugs = row["code"].strip(), tuple(row["themes"].split())
            known = categories if len(code) == 3 else sectors if len(code) == 5 else set()
            if code not in known:
                raise MappingTableError(f"dac-sector-themes.csv line {line}: no DAC code {code}.")
            unknown = [slug for slug in slugs if slug not in themes]
            if unknown or not slugs:
                raise MappingTableError(
                    f"dac-sector-themes.csv line {line}: unknown themes {unknown or '(none)'}."
                )
            table[code] = slugs
    return table


def themes_for_dac(code: str) -> tuple[str, ...]:
    """Themes of a DAC 5-digit sector (its own row, else its category's) or 3-digit category."""
    table = dac_theme_table()
    code = code.strip()
    if len(code) == 5 and code in table:
        return table[code]
    return table.get(code[:3], ()) if len(code) in (3, 5) and code.isdigit() else ()


# Texts and dates ----------------------------------------------------------------------------


def clip(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:.") + "…"


def summary_and_body(text: str) -> tuple[str, str]:
    """A summary that fits, and the whole text as the body when the summary had to be cut."""
    summary = clip(text, SUMMARY_MAX)
    return summary, ("" if summary == " ".join(text.split()) else text.strip())


def parse_when(value: str | None) -> datetime.datetime | None:
    """An aware datetime from ISO 8601 (a date alone is midnight UTC); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value[:10])) is not None and len(value) == 10:
            moment = datetime.datetime.combine(day, datetime.time())
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def parse_day(value: str | None) -> datetime.date | None:
    if not value:
        return None
    try:
        return parse_date(value.strip()[:10]) if len(value.strip()) >= 10 else None
    except ValueError:
        return None

"""Load the reference vocabularies from the published files in data/reference/.

Rules derived here (documented in the README):

* **Southern**: a country is Southern when it is a member of the Group of 77, or is in one of the
  UN groupings of developing countries (LDC, LLDC, SIDS), or is an independent state in a region
  that M49 classes as developing (Africa, Latin America and the Caribbean, Asia except Japan,
  Oceania except Australia and New Zealand). `SOUTHERN_ALSO_ISO3` adds countries by code, e.g.
  economies in transition. Organizations are Southern when their country is.
* **UNEP regional office**: from the M49 region: Africa -> Africa; Latin America and the Caribbean
  -> Latin America and the Caribbean; Northern America -> North America; Europe -> Europe;
  Oceania, Eastern, South-eastern and Southern Asia -> Asia and the Pacific. Western Asia is split
  as UNEP does: the Arab states (Arabic the first official language in the source) -> West Asia,
  the others (Armenia, Azerbaijan, Cyprus, Georgia, Israel, Türkiye) and Central Asia -> Europe.

Loading is idempotent: rows are matched by natural key, written only when a value changed, and
nothing is ever deleted, so running it on a database with user data is safe.
"""

import csv
import hashlib
import re
from collections.abc import Iterable
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
    ReferenceSource,
    RegionalOffice,
    SdgGoal,
    SdgTarget,
    SupportKind,
    Theme,
)

DATA_DIR = Path(settings.BASE_DIR) / "data" / "reference"

# Corrections to the country-codes snapshot, each with its reason.
EXCLUDED_COUNTRIES = {"TWN": "not in the official UN M49 list, which counts it under China (156)"}
LDC_GRADUATED = {"STP": "graduated from the LDC category on 13 December 2024 (A/RES/76/253)"}

SDG_LANGUAGES = {"en": "en", "fr": "fr", "es": "es", "ar": "ar", "ru": "ru", "zh": "zh-Hans"}
COUNTRY_NAME_COLUMNS = {
    "en": ("UNTERM English Short", "official_name_en", "CLDR display name"),
    "fr": ("UNTERM French Short", "official_name_fr"),
    "es": ("UNTERM Spanish Short", "official_name_es"),
    "ar": ("UNTERM Arabic Short", "official_name_ar"),
    "ru": ("UNTERM Russian Short", "official_name_ru"),
    "zh": ("UNTERM Chinese Short", "official_name_cn"),
}
SOURCES = {
    "country-codes": (
        "country-codes.csv",
        "https://github.com/datasets/country-codes/blob/caa72d1/data/country-codes.csv",
        "ODC-PDDL",
    ),
    "g77": (
        "g77.csv",
        "https://github.com/openclimatedata/countrygroups/blob/4a913b2/data/g77.csv",
        "CC0",
    ),
    "sdg": (
        "sdg",
        "https://github.com/open-sdg/sdg-translations/tree/0cda585/translations",
        "MIT",
    ),
    "unep-subprogrammes": (
        "unep-subprogrammes.csv",
        "https://www.unep.org/",
        "public UN document",
    ),
}


@dataclass
class LoadStats:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, table: str, *, created: bool, changed: bool) -> None:
        self.created.setdefault(table, 0)
        self.updated.setdefault(table, 0)
        if created:
            self.created[table] += 1
        elif changed:
            self.updated[table] += 1


def _upsert(
    model: type[models.Model], stats: LoadStats, lookup: dict[str, Any], values: dict[str, Any]
) -> Any:
    """Create the row, or update only the fields that differ; never touch an unchanged row."""
    table = model._meta.verbose_name_plural
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model._default_manager.create(**lookup, **values)
        stats.count(str(table), created=True, changed=False)
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
    stats.count(str(table), created=False, changed=bool(changed))
    return obj


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _codes(path: Path) -> set[str]:
    return {row["Code"].strip() for row in _read_csv(path)}


def _sha256(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.read_bytes())
    return digest.hexdigest()


# UNTERM short names carry a trailing article and footnote mark: "Gambia (the)", "Afghanistan
# (l')", "State of Palestine (the) *". Display names drop them.
_UNTERM_DECORATION = re.compile(r"\s*\((the|le|la|les|l'|l’|el|los|las)\)|\s*\*\s*$")


def _m49_code(value: str) -> str:
    """M49 codes are three digits ("002" for Africa); the CSV drops the leading zeros."""
    return value.strip().zfill(3) if value.strip() else ""


def _first(row: dict[str, str], columns: Iterable[str]) -> str:
    for column in columns:
        value = _UNTERM_DECORATION.sub("", row.get(column, "")).strip()
        if value:
            return value
    return ""


def is_southern(row: dict[str, str], *, g77: set[str], also: set[str]) -> bool:
    """The Southern rule (module docstring) applied to one row of country-codes.csv."""
    iso3 = row["ISO3166-1-Alpha-3"]
    in_developing_group = any(
        row[column].strip()
        for column in (
            "Least Developed Countries (LDC)",
            "Land Locked Developing Countries (LLDC)",
            "Small Island Developing States (SIDS)",
        )
    )
    developing_region = (
        row["Region Name"] in {"Africa", "Americas", "Asia", "Oceania"}
        and row["Sub-region Name"] not in {"Northern America", "Australia and New Zealand"}
        and iso3 != "JPN"
    )
    independent = row["is_independent"].strip() == "Yes"
    return iso3 in g77 or in_developing_group or (developing_region and independent) or iso3 in also


def regional_office_code(row: dict[str, str]) -> str | None:
    """The UNEP regional office serving a country (rule in the module docstring)."""
    region, subregion = row["Region Name"], row["Sub-region Name"]
    if region == "Africa":
        return RegionalOffice.Code.AFRICA
    if subregion == "Latin America and the Caribbean":
        return RegionalOffice.Code.LATIN_AMERICA_CARIBBEAN
    if subregion == "Northern America":
        return RegionalOffice.Code.NORTH_AMERICA
    if region == "Europe" or subregion == "Central Asia":
        return RegionalOffice.Code.EUROPE
    if subregion == "Western Asia":
        first_language = row["Languages"].split(",")[0].strip()
        if first_language.split("-")[0] == "ar":
            return RegionalOffice.Code.WEST_ASIA
        return RegionalOffice.Code.EUROPE
    if region in {"Asia", "Oceania"}:
        return RegionalOffice.Code.ASIA_PACIFIC
    return None  # Antarctica


def _record_source(key: str, paths: list[Path], rows: int) -> None:
    relative, url, licence = SOURCES[key]
    sha256 = _sha256(paths)
    current = ReferenceSource.objects.filter(key=key).first()
    if current and current.sha256 == sha256 and current.rows == rows:
        return
    ReferenceSource.objects.update_or_create(
        key=key,
        defaults={
            "path": f"data/reference/{relative}",
            "sha256": sha256,
            "rows": rows,
            "source_url": url,
            "licence": licence,
            "loaded_at": timezone.now(),
        },
    )


def _load_offices(stats: LoadStats) -> dict[str, RegionalOffice]:
    return {
        code: _upsert(RegionalOffice, stats, {"code": code}, {})
        for code in RegionalOffice.Code.values
    }


def _load_countries(data_dir: Path, stats: LoadStats, offices: dict[str, RegionalOffice]) -> int:
    path = data_dir / "country-codes.csv"
    g77_path = data_dir / "g77.csv"
    g77 = _codes(g77_path)
    also = {code.upper() for code in settings.SOUTHERN_ALSO_ISO3}
    rows = [r for r in _read_csv(path) if r["ISO3166-1-Alpha-3"] not in EXCLUDED_COUNTRIES]
    for row in rows:
        iso3 = row["ISO3166-1-Alpha-3"].strip()
        office_code = regional_office_code(row)
        values: dict[str, Any] = {
            "iso2": row["ISO3166-1-Alpha-2"].strip(),
            "m49": _m49_code(row["M49"]),
            "region_code": _m49_code(row["Region Code"]),
            "region_name": row["Region Name"].strip(),
            "subregion_code": _m49_code(row["Sub-region Code"]),
            "subregion_name": row["Sub-region Name"].strip(),
            "intermediate_region_code": _m49_code(row["Intermediate Region Code"]),
            "intermediate_region_name": row["Intermediate Region Name"].strip(),
            "is_ldc": bool(row["Least Developed Countries (LDC)"].strip())
            and iso3 not in LDC_GRADUATED,
            "is_lldc": bool(row["Land Locked Developing Countries (LLDC)"].strip()),
            "is_sids": bool(row["Small Island Developing States (SIDS)"].strip()),
            "is_g77": iso3 in g77,
            "is_southern": is_southern(row, g77=g77, also=also),
            "regional_office": offices[office_code] if office_code else None,
        }
        for language, columns in COUNTRY_NAME_COLUMNS.items():
            values[f"name_{language}"] = _first(row, columns)
        _upsert(Country, stats, {"iso3": iso3}, values)
    _record_source("country-codes", [path], len(rows))
    _record_source("g77", [g77_path], len(g77))
    return len(rows)


def _load_sdgs(data_dir: Path, stats: LoadStats) -> None:
    sdg_dir = data_dir / "sdg"
    goals: dict[str, dict[str, str]] = {}
    targets: dict[str, dict[str, str]] = {}
    paths: list[Path] = []
    for suffix, folder in SDG_LANGUAGES.items():
        goals_path = sdg_dir / folder / "global_goals.yml"
        targets_path = sdg_dir / folder / "global_targets.yml"
        paths += [goals_path, targets_path]
        goals[suffix] = yaml.safe_load(goals_path.read_text(encoding="utf-8"))
        targets[suffix] = yaml.safe_load(targets_path.read_text(encoding="utf-8"))

    goal_rows = {}
    for number in range(1, 18):
        values: dict[str, Any] = {
            f"short_{s}": goals[s].get(f"{number}-short", "").strip() for s in goals
        }
        values |= {f"title_{s}": goals[s].get(f"{number}-title", "").strip() for s in goals}
        goal_rows[number] = _upsert(SdgGoal, stats, {"number": number}, values)

    # Keys look like "13-2-title" and "1-a-title", in the source's order within each goal.
    positions: dict[int, int] = {}
    for key in targets["en"]:
        goal_number, target_id, _suffix = key.split("-")
        goal = goal_rows[int(goal_number)]
        positions[goal.number] = positions.get(goal.number, 0) + 1
        values = {f"title_{s}": targets[s].get(key, "").strip() for s in targets}
        values |= {"goal": goal, "position": positions[goal.number]}
        _upsert(SdgTarget, stats, {"code": f"{goal_number}.{target_id}"}, values)
    _record_source("sdg", paths, 17 + len(targets["en"]))


def _load_themes(data_dir: Path, stats: LoadStats) -> None:
    path = data_dir / "unep-subprogrammes.csv"
    rows = _read_csv(path)
    for position, row in enumerate(rows, start=1):
        _upsert(Theme, stats, {"code": row["code"]}, {"name": row["name"], "position": position})
    _record_source("unep-subprogrammes", [path], len(rows))


@transaction.atomic
def load_reference(*, data_dir: Path = DATA_DIR) -> LoadStats:
    stats = LoadStats()
    offices = _load_offices(stats)
    _load_countries(data_dir, stats, offices)
    _load_sdgs(data_dir, stats)
    _load_themes(data_dir, stats)
    for code in SupportKind.Code.values:
        _upsert(SupportKind, stats, {"code": code}, {})
    return stats


def sdg_targets_for_codes(codes: Iterable[str]) -> list[SdgTarget]:
    """The SDG targets for codes such as "13.2"; unknown codes raise one error naming them all."""
    wanted = [code.strip() for code in codes if code.strip()]
    found = {target.code: target for target in SdgTarget.objects.filter(code__in=wanted)}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise ValidationError(
            "Unknown SDG target code(s): %(codes)s. Codes look like 13.2 or 1.a.",
            code="unknown_sdg_target",
            params={"codes": ", ".join(unknown)},
        )
    return [found[code] for code in dict.fromkeys(wanted)]

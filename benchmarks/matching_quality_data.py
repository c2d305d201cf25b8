"""Build the catalogue of the matching-quality set, and the judging pool, from published texts.

    .venv/bin/python benchmarks/matching_quality_data.py catalogue   # writes data/matching_quality/
    .venv/bin/python benchmarks/matching_quality_data.py pool        # writes the judging pool

`catalogue` turns real published texts into catalogue entries (data/matching_quality/
entries.jsonl) offered by real organizations (organizations.jsonl). The sources, in ../shared/data
and data/ of this repository, are listed with their licences in data/matching_quality/README.md:
the 169 SDG targets and 17 goals in the six UN languages, the OECD DAC sector and sector-category
names and descriptions (English and French, IATI codelists), real IATI activity records, the
demo catalogue (the UNEP report's activities) and the Chinese text of that report.

The texts are kept as published. What this script adds is what a contributor adds when
registering a text on the portal: a module and kind, tags, providers, countries and dates. Tags
come only from the entry's own content (its SDG target, its DAC sector, keywords of its own text
in its own language), never from the needs. Providers are drawn, seeded, among real organizations
whose field of work covers the entry's SDG goals. The output is deterministic (seed 5).

`pool` lists, for each need of needs.yaml, the entries to judge, found WITHOUT the project's
ranker: the BM25 baseline's top 30 for the need's own text, BM25's top 15 for the English gloss
of a non-English need (`pool_query_en`), entries sharing an SDG target (up to 12, sampled) or a
goal and a theme (up to 6, sampled) with the need's tags, and 4 random entries.
"""

# ruff: noqa: S314 - parses the published IATI files of ../shared, not untrusted input

from __future__ import annotations

import argparse
import csv
import datetime
import json
import random
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.matching_quality import (  # noqa: E402
    DATA_DIR,
    Bm25Baseline,
    load_entries,
    load_needs,
)

SHARED = ROOT.parent / "shared"
SDG_DIR = ROOT / "data" / "reference" / "sdg"
CODELISTS = SHARED / "data" / "reference" / "iati-codelists"
IATI_SAMPLES = SHARED / "data" / "samples" / "iati"
REPORT_ZH = SHARED / "mission" / "000_244045c4a3bddd7a.txt"
DEMO = ROOT / "data" / "demo" / "catalogue.yaml"
COUNTRIES = ROOT / "data" / "reference" / "country-codes.csv"
G77 = ROOT / "data" / "reference" / "g77.csv"

SEED = 5
TODAY = datetime.date(2026, 11, 26)
SDG_LANGUAGES = {"en": "en", "fr": "fr", "es": "es", "ar": "ar", "ru": "ru", "zh": "zh-Hans"}

# --- Organizations ------------------------------------------------------------------------------

# Real organizations beside those of the demo catalogue, with the SDG goals of their field of work
# (from their public mandates). `domains` only decides which entries an organization may provide.
EXTRA_ORGANIZATIONS: list[dict[str, Any]] = [
    {
        "id": "embrapa",
        "name": "Brazilian Agricultural Research Corporation",
        "acronym": "Embrapa",
        "type": "government",
        "country": "BRA",
        "domains": [2, 15, 13],
    },
    {
        "id": "teri",
        "name": "The Energy and Resources Institute",
        "acronym": "TERI",
        "type": "university-research",
        "country": "IND",
        "domains": [7, 13, 12, 6],
    },
    {
        "id": "csir",
        "name": "Council for Scientific and Industrial Research",
        "acronym": "CSIR",
        "type": "university-research",
        "country": "ZAF",
        "domains": [6, 9, 11, 12],
    },
    {
        "id": "adpc",
        "name": "Asian Disaster Preparedness Center",
        "acronym": "ADPC",
        "type": "intergovernmental",
        "country": "THA",
        "domains": [11, 13, 1],
    },
    {
        "id": "ecreee",
        "name": "ECOWAS Centre for Renewable Energy and Energy Efficiency",
        "acronym": "ECREEE",
        "type": "intergovernmental",
        "country": "CPV",
        "domains": [7, 13],
    },
    {
        "id": "rcreee",
        "name": "Regional Center for Renewable Energy and Energy Efficiency",
        "acronym": "RCREEE",
        "type": "intergovernmental",
        "country": "EGY",
        "domains": [7, 12],
    },
    {
        "id": "icarda",
        "name": "International Center for Agricultural Research in the Dry Areas",
        "acronym": "ICARDA",
        "type": "university-research",
        "country": "LBN",
        "domains": [2, 6, 15],
    },
    {
        "id": "iwmi",
        "name": "International Water Management Institute",
        "acronym": "IWMI",
        "type": "university-research",
        "country": "LKA",
        "domains": [6, 2, 13],
    },
    {
        "id": "icraf",
        "name": "World Agroforestry (ICRAF)",
        "acronym": "ICRAF",
        "type": "university-research",
        "country": "KEN",
        "domains": [15, 2, 13],
    },
    {
        "id": "cifor",
        "name": "Center for International Forestry Research",
        "acronym": "CIFOR",
        "type": "university-research",
        "country": "IDN",
        "domains": [15, 13],
    },
    {
        "id": "ciat",
        "name": "International Center for Tropical Agriculture",
        "acronym": "CIAT",
        "type": "university-research",
        "country": "COL",
        "domains": [2, 15],
    },
    {
        "id": "cip",
        "name": "International Potato Center",
        "acronym": "CIP",
        "type": "university-research",
        "country": "PER",
        "domains": [2],
    },
    {
        "id": "worldfish",
        "name": "WorldFish",
        "type": "university-research",
        "country": "MYS",
        "domains": [14, 2],
    },
    {
        "id": "ccccc",
        "name": "Caribbean Community Climate Change Centre",
        "acronym": "CCCCC",
        "type": "intergovernmental",
        "country": "BLZ",
        "domains": [13, 14, 11],
    },
    {
        "id": "spc",
        "name": "Pacific Community",
        "acronym": "SPC",
        "type": "intergovernmental",
        "country": "NCL",
        "domains": [14, 13, 2, 3],
    },
    {
        "id": "carec",
        "name": "Regional Environmental Centre for Central Asia",
        "acronym": "CAREC",
        "type": "intergovernmental",
        "country": "KAZ",
        "domains": [6, 13, 4, 16, 12],
    },
    {
        "id": "sic-icwc",
        "name": "Scientific Information Center of the Interstate Commission for "
        "Water Coordination of Central Asia",
        "acronym": "SIC ICWC",
        "type": "intergovernmental",
        "country": "UZB",
        "domains": [6],
    },
    {
        "id": "bcas",
        "name": "Bangladesh Centre for Advanced Studies",
        "acronym": "BCAS",
        "type": "ngo",
        "country": "BGD",
        "domains": [13, 6, 11, 1],
    },
    {
        "id": "acts",
        "name": "African Centre for Technology Studies",
        "acronym": "ACTS",
        "type": "university-research",
        "country": "KEN",
        "domains": [9, 13, 17, 7],
    },
    {
        "id": "inta",
        "name": "Instituto Nacional de Tecnología Agropecuaria",
        "acronym": "INTA",
        "type": "government",
        "country": "ARG",
        "domains": [2, 15],
    },
    {
        "id": "fiocruz",
        "name": "Oswaldo Cruz Foundation",
        "acronym": "Fiocruz",
        "type": "university-research",
        "country": "BRA",
        "domains": [3, 6],
    },
    {
        "id": "tsinghua",
        "name": "Tsinghua University",
        "type": "university-research",
        "country": "CHN",
        "domains": [7, 9, 11, 4, 12],
    },
    {
        "id": "conabio",
        "name": "Comisión Nacional para el Conocimiento y Uso de la Biodiversidad",
        "acronym": "CONABIO",
        "type": "government",
        "country": "MEX",
        "domains": [15, 14],
    },
    {
        "id": "humboldt",
        "name": "Instituto de Investigación de Recursos Biológicos Alexander von Humboldt",
        "type": "university-research",
        "country": "COL",
        "domains": [15],
    },
    {
        "id": "cse-senegal",
        "name": "Centre de Suivi Ecologique",
        "acronym": "CSE",
        "type": "centre-of-excellence",
        "country": "SEN",
        "domains": [15, 13, 2],
    },
    {
        "id": "acmad",
        "name": "African Centre of Meteorological Applications for Development",
        "acronym": "ACMAD",
        "type": "intergovernmental",
        "country": "NER",
        "domains": [13, 11],
    },
    {
        "id": "rcmrd",
        "name": "Regional Centre for Mapping of Resources for Development",
        "acronym": "RCMRD",
        "type": "intergovernmental",
        "country": "KEN",
        "domains": [15, 11, 2],
    },
    {
        "id": "africarice",
        "name": "Africa Rice Center",
        "acronym": "AfricaRice",
        "type": "university-research",
        "country": "CIV",
        "domains": [2],
    },
    {"id": "brac", "name": "BRAC", "type": "ngo", "country": "BGD", "domains": [1, 5, 3, 6, 4, 8]},
    {
        "id": "grameen-shakti",
        "name": "Grameen Shakti",
        "type": "ngo",
        "country": "BGD",
        "domains": [7],
    },
    {
        "id": "sewa",
        "name": "Self Employed Women's Association",
        "acronym": "SEWA",
        "type": "ngo",
        "country": "IND",
        "domains": [5, 8, 1, 10],
    },
    {
        "id": "cse-india",
        "name": "Centre for Science and Environment",
        "type": "ngo",
        "country": "IND",
        "domains": [6, 11, 12, 3],
    },
    {
        "id": "inecc",
        "name": "Instituto Nacional de Ecología y Cambio Climático",
        "acronym": "INECC",
        "type": "government",
        "country": "MEX",
        "domains": [13, 12],
    },
    {
        "id": "caas",
        "name": "Chinese Academy of Agricultural Sciences",
        "acronym": "CAAS",
        "type": "university-research",
        "country": "CHN",
        "domains": [2, 15],
    },
    {
        "id": "bcrc-china",
        "name": "Basel Convention Regional Centre for Asia and the Pacific",
        "type": "centre-of-excellence",
        "country": "CHN",
        "domains": [12, 3],
    },
    {
        "id": "isdb",
        "name": "Islamic Development Bank",
        "acronym": "IsDB",
        "type": "intergovernmental",
        "country": "SAU",
        "domains": [9, 6, 7, 17, 1],
    },
    {
        "id": "agra",
        "name": "Alliance for a Green Revolution in Africa",
        "acronym": "AGRA",
        "type": "ngo",
        "country": "KEN",
        "domains": [2],
    },
    {
        "id": "fiji-usp",
        "name": "University of the South Pacific",
        "acronym": "USP",
        "type": "university-research",
        "country": "FJI",
        "domains": [14, 13, 4],
    },
    {
        "id": "uwi",
        "name": "University of the West Indies",
        "acronym": "UWI",
        "type": "university-research",
        "country": "JAM",
        "domains": [13, 14, 4, 3],
    },
    {
        "id": "cepal-ilpes",
        "name": "Latin American and Caribbean Institute for Economic and Social Planning",
        "acronym": "ILPES",
        "type": "intergovernmental",
        "country": "CHL",
        "domains": [16, 17, 10, 8],
    },
    {
        "id": "afrodad",
        "name": "African Forum and Network on Debt and Development",
        "acronym": "AFRODAD",
        "type": "ngo",
        "country": "ZWE",
        "domains": [17, 10, 16],
    },
    {
        "id": "cssp",
        "name": "Centre for the Study of Social Policy",
        "type": "university-research",
        "country": "BRA",
        "domains": [1, 10, 4, 5],
    },
    # Northern partners and funders.
    {
        "id": "giz",
        "name": "Deutsche Gesellschaft für Internationale Zusammenarbeit",
        "acronym": "GIZ",
        "type": "government",
        "country": "DEU",
        "domains": list(range(1, 18)),
    },
    {
        "id": "jica",
        "name": "Japan International Cooperation Agency",
        "acronym": "JICA",
        "type": "government",
        "country": "JPN",
        "domains": list(range(1, 18)),
    },
    {
        "id": "koica",
        "name": "Korea International Cooperation Agency",
        "acronym": "KOICA",
        "type": "government",
        "country": "KOR",
        "domains": list(range(1, 18)),
    },
    {
        "id": "sida",
        "name": "Swedish International Development Cooperation Agency",
        "acronym": "Sida",
        "type": "government",
        "country": "SWE",
        "domains": list(range(1, 18)),
    },
    {
        "id": "afd",
        "name": "Agence française de développement",
        "acronym": "AFD",
        "type": "government",
        "country": "FRA",
        "domains": list(range(1, 18)),
    },
    {
        "id": "aecid",
        "name": "Agencia Española de Cooperación Internacional para el Desarrollo",
        "acronym": "AECID",
        "type": "government",
        "country": "ESP",
        "domains": list(range(1, 18)),
    },
    {
        "id": "dhi",
        "name": "DHI",
        "type": "private-sector",
        "country": "DNK",
        "domains": [6, 14, 11],
    },
    {
        "id": "deltares",
        "name": "Deltares",
        "type": "university-research",
        "country": "NLD",
        "domains": [6, 11, 13, 14],
    },
    {
        "id": "wur",
        "name": "Wageningen University & Research",
        "type": "university-research",
        "country": "NLD",
        "domains": [2, 15, 6],
    },
    {
        "id": "fao",
        "name": "Food and Agriculture Organization of the United Nations",
        "acronym": "FAO",
        "type": "un-entity",
        "country": "ITA",
        "domains": [2, 14, 15],
    },
    {
        "id": "wmo",
        "name": "World Meteorological Organization",
        "acronym": "WMO",
        "type": "un-entity",
        "country": "CHE",
        "domains": [13, 11],
    },
    {
        "id": "unido",
        "name": "United Nations Industrial Development Organization",
        "acronym": "UNIDO",
        "type": "un-entity",
        "country": "AUT",
        "domains": [9, 7, 12],
    },
    {
        "id": "unhabitat",
        "name": "United Nations Human Settlements Programme",
        "acronym": "UN-Habitat",
        "type": "un-entity",
        "country": "KEN",
        "domains": [11, 6],
    },
    # Named in the IATI activity records.
    {
        "id": "concern-universal",
        "name": "Concern Universal",
        "type": "ngo",
        "country": "GBR",
        "domains": [],
    },
    {
        "id": "afdb",
        "name": "African Development Bank",
        "acronym": "AfDB",
        "type": "intergovernmental",
        "country": "CIV",
        "domains": [],
    },
    {
        "id": "dfid",
        "name": "Department for International Development",
        "acronym": "DFID",
        "type": "government",
        "country": "GBR",
        "domains": [],
    },
    {
        "id": "usaid",
        "name": "United States Agency for International Development",
        "acronym": "USAID",
        "type": "government",
        "country": "USA",
        "domains": [],
    },
    {"id": "irish-aid", "name": "Irish Aid", "type": "government", "country": "IRL", "domains": []},
    {
        "id": "world-bank",
        "name": "World Bank",
        "type": "intergovernmental",
        "country": "USA",
        "domains": [],
    },
]

# The fields of work of the demo catalogue's organizations, from their descriptions there.
DEMO_DOMAINS: dict[str, list[int]] = {
    "demo-org-ace": [7, 13],
    "demo-org-ait": [13, 7, 6, 4, 9],
    "demo-org-enda": [13, 1, 7],
    "demo-org-bariloche": [13, 7],
    "demo-org-libelula": [13],
    "demo-org-icimod": [15, 13, 6],
    "demo-org-gbpihed": [15],
    "demo-org-igsnrr": [15, 6],
    "demo-org-oss": [15, 13, 6],
    "demo-org-agrhymet": [2, 13],
    "demo-org-comifac": [15],
    "demo-org-icpac": [13, 11],
    "demo-org-drfn": [15, 6],
    "demo-org-sprep": [14, 13, 15],
    "demo-org-acsad": [15, 6, 2],
    "demo-org-icrisat": [2, 15],
    "demo-org-recoftc": [15],
    "demo-org-catie": [15, 2],
    "demo-org-cehi": [6, 3],
    "demo-org-nam-csstc": [17, 9],
    "demo-org-sardc": [16, 15],
    "demo-org-nema-uga": [16, 15],
    "demo-org-ecz": [16],
    "demo-org-eis-africa": [17, 16],
    "demo-org-cedare": [6, 16, 12],
    "demo-org-niglas": [6, 14],
    "demo-org-tongji": [4, 11, 12],
    "demo-org-issf": [2, 15],
    "demo-org-saas": [2],
    "demo-org-gansu-water": [6],
    "demo-org-most": [9, 17],
    "demo-org-eclac": [8, 10, 12, 17],
}

IATI_ORGANIZATIONS = {
    "Concern Universal": "concern-universal",
    "AGRA": "agra",
    "UNDP": "demo-org-undp",
    "EC": "demo-org-ec",
    "DFID": "dfid",
    "USAID": "usaid",
    "Irish Aid": "irish-aid",
    "IrishAid": "irish-aid",
    "World Bank": "world-bank",
}

# --- Tags a contributor would give from an entry's own text -------------------------------------

# Theme (UNEP subprogramme) keywords, per language, matched on the lowercased text.
THEME_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "climate-change": {
        "en": (
            "climate",
            "greenhouse",
            "emission",
            "renewable",
            "solar",
            "wind power",
            "energy efficien",
            "low-carbon",
            "adaptation",
        ),
        "fr": (
            "climat",
            "gaz à effet de serre",
            "émission",
            "renouvelable",
            "solaire",
            "efficacité énergétique",
            "adaptation",
        ),
        "es": (
            "clima",
            "efecto invernadero",
            "emisiones",
            "renovable",
            "solar",
            "eficiencia energética",
            "adaptación",
        ),
        "ar": ("المناخ", "الدفيئة", "الانبعاثات", "المتجددة", "الشمسية", "التكيف"),
        "ru": ("климат", "парников", "выброс", "возобновляем", "солнечн", "адаптац"),
        "zh": ("气候", "温室", "排放", "可再生", "太阳能", "适应", "减缓"),
    },
    "disasters-conflicts": {
        "en": (
            "disaster",
            "flood",
            "drought",
            "cyclone",
            "early warning",
            "emergency",
            "conflict",
            "reconstruction",
            "landslide",
            "resilience",
        ),
        "fr": (
            "catastrophe",
            "inondation",
            "sécheresse",
            "alerte précoce",
            "urgence",
            "conflit",
            "reconstruction",
            "résilience",
        ),
        "es": (
            "desastre",
            "inundaci",
            "sequía",
            "alerta temprana",
            "emergencia",
            "conflicto",
            "reconstrucción",
            "resiliencia",
        ),
        "ar": ("الكوارث", "الفيضان", "الجفاف", "الإنذار المبكر", "الطوارئ", "النزاع", "الصمود"),
        "ru": (
            "бедстви",
            "наводнен",
            "засух",
            "раннего предупреждения",
            "чрезвычайн",
            "конфликт",
            "устойчивост",
        ),
        "zh": ("灾害", "洪水", "干旱", "预警", "紧急", "冲突", "抗灾"),
    },
    "ecosystem-management": {
        "en": (
            "ecosystem",
            "biodiversity",
            "forest",
            "wetland",
            "marine",
            "coastal",
            "desertif",
            "land degradation",
            "fisher",
            "protected area",
            "water resources",
            "watershed",
            "mangrove",
            "species",
        ),
        "fr": (
            "écosystème",
            "biodiversité",
            "forêt",
            "zones humides",
            "marin",
            "côtièr",
            "désertification",
            "dégradation des terres",
            "pêche",
            "aires protégées",
            "ressources en eau",
        ),
        "es": (
            "ecosistema",
            "biodiversidad",
            "bosque",
            "humedales",
            "marino",
            "coster",
            "desertificación",
            "degradación de las tierras",
            "pesca",
            "áreas protegidas",
            "recursos hídricos",
        ),
        "ar": (
            "النظم الإيكولوجية",
            "التنوع البيولوجي",
            "الغابات",
            "الأراضي الرطبة",
            "البحرية",
            "الساحلية",
            "التصحر",
            "تدهور الأراضي",
            "مصائد الأسماك",
            "المحميات",
        ),
        "ru": (
            "экосистем",
            "биоразнообраз",
            "лес",
            "водно-болот",
            "морск",
            "прибрежн",
            "опустынив",
            "деградац",
            "рыб",
            "охраняем",
        ),
        "zh": (
            "生态系统",
            "生物多样性",
            "森林",
            "湿地",
            "海洋",
            "沿海",
            "荒漠化",
            "土地退化",
            "渔业",
            "保护区",
            "水资源",
        ),
    },
    "environmental-governance": {
        "en": (
            "environmental law",
            "legislation",
            "governance",
            "environmental policy",
            "institutional capacity",
            "regulation",
            "convention",
            "environmental assessment",
        ),
        "fr": (
            "droit de l'environnement",
            "législation",
            "gouvernance",
            "politique de l'environnement",
            "réglementation",
            "convention",
        ),
        "es": (
            "derecho ambiental",
            "legislación",
            "gobernanza",
            "política ambiental",
            "reglamentación",
            "convenio",
        ),
        "ar": ("القانون البيئي", "التشريعات", "الحوكمة", "السياسات البيئية", "الاتفاقية"),
        "ru": (
            "экологическ права",
            "законодательств",
            "управлени",
            "экологическ политик",
            "конвенц",
        ),
        "zh": ("环境法", "立法", "治理", "环境政策", "公约", "法律"),
    },
    "chemicals-waste": {
        "en": (
            "chemical",
            "hazardous",
            "waste",
            "pollution",
            "pesticide",
            "mercury",
            "toxic",
            "sanitation",
            "wastewater",
        ),
        "fr": (
            "chimique",
            "dangereu",
            "déchets",
            "pollution",
            "pesticide",
            "mercure",
            "toxique",
            "assainissement",
            "eaux usées",
        ),
        "es": (
            "químic",
            "peligros",
            "desechos",
            "residuos",
            "contaminación",
            "plaguicida",
            "mercurio",
            "tóxic",
            "saneamiento",
            "aguas residuales",
        ),
        "ar": ("الكيميائية", "الخطرة", "النفايات", "التلوث", "مبيدات", "الزئبق", "الصرف الصحي"),
        "ru": ("химическ", "опасн", "отход", "загрязнен", "пестицид", "ртут", "санитар", "сточн"),
        "zh": ("化学", "危险", "废物", "污染", "农药", "汞", "卫生设施", "废水"),
    },
    "resource-efficiency": {
        "en": (
            "sustainable consumption",
            "production",
            "resource efficien",
            "recycl",
            "energy efficien",
            "cleaner production",
            "circular",
            "sustainable tourism",
            "resource management",
        ),
        "fr": (
            "consommation durable",
            "production durable",
            "efficacité",
            "recycl",
            "tourisme durable",
            "gestion des ressources",
        ),
        "es": (
            "consumo",
            "producción sostenible",
            "eficiencia",
            "recicla",
            "turismo sostenible",
            "gestión sostenible de los recursos",
        ),
        "ar": ("الاستهلاك", "الإنتاج المستدام", "كفاءة", "التدوير", "السياحة المستدامة"),
        "ru": ("потреблени", "производств", "эффективн", "переработк", "туризм"),
        "zh": ("消费", "生产", "效率", "回收", "可持续旅游", "资源管理"),
    },
}

# SDG goal -> themes, for entries whose only tag is their goal or target.
GOAL_THEMES: dict[int, list[str]] = {
    6: ["ecosystem-management"],
    7: ["climate-change", "resource-efficiency"],
    11: ["resource-efficiency"],
    12: ["resource-efficiency", "chemicals-waste"],
    13: ["climate-change"],
    14: ["ecosystem-management"],
    15: ["ecosystem-management"],
    16: ["environmental-governance"],
    17: ["environmental-governance"],
}

# OECD DAC sector category (3 digits) -> SDG goals: the usual reading of the DAC purpose codes.
DAC_CATEGORY_GOALS: dict[str, list[int]] = {
    "111": [4],
    "112": [4],
    "113": [4],
    "114": [4],
    "121": [3],
    "122": [3],
    "123": [3],
    "130": [3, 5],
    "140": [6],
    "151": [16],
    "152": [16],
    "160": [1, 10],
    "210": [9, 11],
    "220": [9],
    "230": [7],
    "231": [7],
    "232": [7, 13],
    "233": [7],
    "234": [7],
    "235": [7],
    "236": [7],
    "240": [8],
    "250": [8],
    "311": [2],
    "312": [15],
    "313": [14],
    "321": [9],
    "322": [12],
    "323": [9, 11],
    "331": [17],
    "332": [8, 12],
    "410": [13, 15],
    "430": [11],
    "520": [2],
    "600": [17],
    "720": [1, 11],
    "730": [11],
    "740": [11, 13],
}

# A few SDG targets that a contributor picks for a project description (English texts only:
# the IATI records and the report's activities).
TARGET_WORDS: list[tuple[str, tuple[str, ...]]] = [
    ("6.1", ("safe water", "water supply", "drinking water")),
    ("6.2", ("sanitation", "hygiene", "open defecation")),
    ("11.5", ("disaster", "flood", "cyclone", "landslide")),
    ("1.5", ("vulnerab", "resilien")),
    ("13.1", ("climate change adaptation", "drought")),
    ("3.3", ("malaria",)),
    ("3.1", ("maternal",)),
    ("2.2", ("nutrition", "stunting")),
    ("2.3", ("smallholder",)),
    ("5.5", ("women",)),
    ("7.1", ("cook stove", "cookstove", "fuel efficient stove", "fuel-wood")),
    ("1.4", ("micro-loan", "microfinance")),
    ("16.7", ("governance", "participation")),
    ("1.2", ("poverty",)),
]
TARGET_WORDS_ZH: list[tuple[str, tuple[str, ...]]] = [
    ("13.1", ("干旱", "适应气候变化")),
    ("6.5", ("共享水", "水资源")),
    ("13.3", ("气候变化",)),
    ("15.5", ("生物多样性",)),
    ("15.3", ("荒漠化",)),
    ("12.2", ("资源管理",)),
    ("16.3", ("环境法",)),
    ("17.9", ("能力建设",)),
    ("4.7", ("大学",)),
]

MODULE_SUPPORT: dict[tuple[str, str], list[str]] = {
    ("technology", "technology"): ["technology-transfer"],
    ("technology", "tool"): ["technology-transfer", "expertise-advisory"],
    ("technology", "guideline"): ["expertise-advisory"],
    ("expertise", "institutional-expertise"): ["expertise-advisory"],
    ("expertise", "expert-roster"): ["expertise-advisory"],
    ("experience", "best-practice"): ["experience-exchange"],
    ("experience", "case-study"): ["experience-exchange"],
    ("experience", "lessons-learned"): ["experience-exchange"],
    ("opportunity", "training"): ["training"],
    ("opportunity", "fellowship"): ["training"],
    ("opportunity", "staff-exchange"): ["training", "experience-exchange"],
    ("opportunity", "advisory-service"): ["expertise-advisory"],
    ("opportunity", "funding-call"): ["funding"],
    ("network", "network"): ["networking"],
    ("event", "workshop"): ["training", "networking"],
    ("event", "conference"): ["networking"],
    ("event", "training"): ["training"],
    ("event", "webinar"): ["training"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["catalogue", "pool", "show", "qrels"])
    parser.add_argument("needs", nargs="*", help="show: the needs to show (default all)")
    args = parser.parse_args()
    if args.step == "catalogue":
        build_catalogue()
    elif args.step == "pool":
        build_pool()
    elif args.step == "show":
        show_pool(args.needs)
    else:
        build_qrels()


# --- Catalogue ----------------------------------------------------------------------------------


class Countries:
    def __init__(self) -> None:
        with COUNTRIES.open(encoding="utf-8") as handle:
            rows = [r for r in csv.DictReader(handle) if r["ISO3166-1-Alpha-3"]]
        with G77.open(encoding="utf-8") as handle:
            g77 = {r["Code"] for r in csv.DictReader(handle)}
        self.region = {r["ISO3166-1-Alpha-3"]: r["Region Name"] for r in rows}
        self.southern = sorted(g77)
        self.southern_by_region: dict[str, list[str]] = {}
        for code in self.southern:
            self.southern_by_region.setdefault(self.region.get(code, ""), []).append(code)


class Builder:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.countries = Countries()
        self.demo = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
        self.organizations: dict[str, dict[str, Any]] = {}
        for org in self.demo["organizations"]:
            self.organizations[org["id"]] = {
                "id": org["id"],
                "name": org["name"],
                "acronym": org.get("acronym", ""),
                "type": org["type"],
                "country": org["country"],
                "description": org.get("description", ""),
                "domains": DEMO_DOMAINS.get(org["id"], []),
            }
        for org in EXTRA_ORGANIZATIONS:
            self.organizations[org["id"]] = {
                "acronym": "",
                "description": "",
                **org,
            }
        self.entries: list[dict[str, Any]] = []

    # Providers: a Southern lead whose field covers the goals, sometimes a Northern partner.
    def providers(self, goals: Iterable[int]) -> list[dict[str, str]]:
        goals = set(goals)
        orgs = [o for o in self.organizations.values() if o["type"] != "un-entity"]
        southern = [o for o in orgs if o["country"] in self.countries.southern]
        northern = [o for o in orgs if o["country"] not in self.countries.southern]
        fitting = [o for o in southern if goals & set(o["domains"])] or southern
        draw = self.rng.random()
        if draw < 0.05:
            return []
        if draw < 0.10:
            lead = self.rng.choice([o for o in northern if o["domains"]])
            return [{"organization": lead["id"], "role": "lead"}]
        lead = self.rng.choice(fitting)
        providers = [{"organization": lead["id"], "role": "lead"}]
        if draw > 0.83:
            partner = self.rng.choice([o for o in northern if o["domains"]])
            role = self.rng.choice(["partner", "funder"])
            providers.append({"organization": partner["id"], "role": role})
        return providers

    def applied(self, providers: list[dict[str, str]]) -> list[str]:
        if not providers or self.rng.random() < 0.4:
            return []
        home = self.organizations[providers[0]["organization"]]["country"]
        pool = self.countries.southern_by_region.get(self.countries.region.get(home, ""), [])
        pool = pool or self.countries.southern
        return sorted(self.rng.sample(pool, k=min(len(pool), self.rng.randint(1, 4))))

    def dates(self, module: str, kind: str) -> dict[str, Any]:
        if module not in ("opportunity", "event"):
            return {}
        starts = TODAY + datetime.timedelta(days=self.rng.randint(-730, 365))
        out: dict[str, Any] = {"starts_on": starts.isoformat()}
        if module == "event" or kind in ("training", "fellowship", "staff-exchange"):
            out["ends_on"] = (starts + datetime.timedelta(days=self.rng.randint(0, 90))).isoformat()
        if module == "opportunity":
            out["deadline"] = (
                starts - datetime.timedelta(days=self.rng.randint(14, 60))
            ).isoformat()
        if module == "event":
            out["is_online"] = self.rng.random() < 0.4
            if not out["is_online"]:
                out["venue_country"] = self.rng.choice(self.countries.southern)
        return out

    def add(self, **entry: Any) -> None:
        providers = entry.pop("providers", None)
        goals = entry.get("sdg_goals", [])
        if providers is None:
            providers = self.providers(goals)
        module, kind = entry["module"], entry["kind"]
        themes = entry.get("themes")
        if themes is None:
            themes = themes_of(entry["language"], entry_text(entry))
            for goal in goals:
                themes = themes or GOAL_THEMES.get(goal, [])
        record = {
            "id": entry["id"],
            "source": entry["source"],
            "group": entry.get("group", entry["id"]),
            "module": module,
            "kind": kind,
            "language": entry["language"],
            "title": clean(entry["title"])[:300],
            "summary": clean(entry["summary"])[:1000],
            "body": clean(entry.get("body", "")),
            "countries_of_origin": entry.get("countries_of_origin")
            if "countries_of_origin" in entry
            else sorted({self.organizations[p["organization"]]["country"] for p in providers[:1]}),
            "countries_applied": entry.get("countries_applied")
            if "countries_applied" in entry
            else self.applied(providers),
            "themes": sorted(set(themes)),
            "sdg_goals": sorted(set(goals)),
            "sdg_targets": entry.get("sdg_targets", []),
            "support_kinds": entry.get("support_kinds") or MODULE_SUPPORT[(module, kind)],
            "providers": providers,
            "is_verified": entry.get("is_verified", self.rng.random() < 0.35),
            "last_confirmed_on": entry.get(
                "last_confirmed_on",
                (TODAY - datetime.timedelta(days=self.rng.randint(0, 6 * 365))).isoformat(),
            ),
        }
        record.update(entry.get("dates") or self.dates(module, kind))
        # Contributors often skip the optional tags: about one entry in six has none.
        if not entry.get("keep_tags") and self.rng.random() < 0.16:
            record["themes"], record["sdg_goals"], record["sdg_targets"] = [], [], []
        self.entries.append(record)


def clean(text: str) -> str:
    text = text.translate({0x92: "’", 0x91: "‘", 0x93: "“", 0x94: "”", 0x96: "–", 0x97: "—"})
    return re.sub(r"\s+", " ", text).strip()


def entry_text(entry: dict[str, Any]) -> str:
    return " ".join([entry["title"], entry["summary"], entry.get("body", "")]).lower()


def themes_of(language: str, text: str) -> list[str]:
    text = text.lower()
    return [
        theme
        for theme, words in THEME_WORDS.items()
        if any(word in text for word in words.get(language, ()))
    ]


def targets_of(text: str, table: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    text = text.lower()
    return [code for code, words in table if any(w in text for w in words)][:3]


def module_of_text(text: str) -> tuple[str, str]:
    """Module and kind from an English name/description, as a contributor files it."""
    text = text.lower()
    if re.search(r"\b(training|education|teacher|school|scholarship)", text):
        return "opportunity", "training"
    if re.search(r"\bresearch\b", text):
        return "expertise", "institutional-expertise"
    if re.search(r"policy|administrative management|planning|legislation|regulation", text):
        return "opportunity", "advisory-service"
    if re.search(
        r"plants?\b|systems?\b|generation|equipment|infrastructure|technolog|construction|"
        r"transport|storage|distribution",
        text,
    ):
        return "technology", "technology"
    if re.search(r"network|cooperation|partnership", text):
        return "network", "network"
    return "experience", "best-practice"


def sdg_texts(language: str) -> tuple[dict[str, Any], dict[str, Any]]:
    folder = SDG_DIR / SDG_LANGUAGES[language]
    goals = yaml.safe_load((folder / "global_goals.yml").read_text(encoding="utf-8"))
    targets = yaml.safe_load((folder / "global_targets.yml").read_text(encoding="utf-8"))
    return goals, targets


def first_clause(text: str, limit: int = 140) -> str:
    text = clean(text)
    for mark in (";", "；", "，", ", ", "،", ":"):
        head = text.split(mark)[0]
        if 25 <= len(head) <= limit:
            return head
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def add_sdg(builder: Builder) -> None:
    english_goals, english_targets = sdg_texts("en")
    for language in SDG_LANGUAGES:
        goals, targets = sdg_texts(language)
        for number in range(1, 18):
            module, kind = "network", "network"
            builder.add(
                id=f"sdg-goal-{number}-{language}",
                group=f"sdg-goal-{number}",
                source="sdg-goals",
                module=module,
                kind=kind,
                language=language,
                title=goals[f"{number}-short"],
                summary=goals[f"{number}-title"],
                sdg_goals=[number],
            )
        for key, text in targets.items():
            code = key.removesuffix("-title").replace("-", ".")
            goal = int(code.split(".")[0])
            module, kind = module_of_text(english_targets[key])
            if module == "network":
                module, kind = "technology", "guideline"
            builder.add(
                id=f"sdg-target-{code}-{language}",
                group=f"sdg-target-{code}",
                source="sdg-targets",
                module=module,
                kind=kind,
                language=language,
                title=first_clause(text),
                summary=text,
                body=goals[f"{goal}-title"],
                sdg_goals=[goal],
                sdg_targets=[code],
            )


def narratives(element: ET.Element | None) -> dict[str, str]:
    if element is None:
        return {}
    out: dict[str, str] = {}
    for narrative in element.findall("narrative"):
        language = narrative.get("{http://www.w3.org/XML/1998/namespace}lang", "en")
        out[language] = clean(narrative.text or "")
    return out


def add_dac(builder: Builder) -> None:
    categories = {}
    root = ET.parse(CODELISTS / "SectorCategory.xml").getroot()
    for item in root.iter("codelist-item"):
        code = item.findtext("code") or ""
        names, descriptions = narratives(item.find("name")), narratives(item.find("description"))
        categories[code] = names
        for language in ("en", "fr"):
            if language not in names:
                continue
            module, kind = module_of_text(names["en"] + " " + descriptions.get("en", ""))
            builder.add(
                id=f"dac-category-{code}-{language}",
                group=f"dac-category-{code}",
                source="dac-sector-categories",
                module=module,
                kind=kind,
                language=language,
                title=names[language],
                summary=descriptions.get(language) or names[language],
                sdg_goals=DAC_CATEGORY_GOALS.get(code, []),
            )
    root = ET.parse(CODELISTS / "Sector.xml").getroot()
    for item in root.iter("codelist-item"):
        code = item.findtext("code") or ""
        category = item.findtext("category") or code[:3]
        names, descriptions = narratives(item.find("name")), narratives(item.find("description"))
        for language in ("en", "fr"):
            if language not in names:
                continue
            module, kind = module_of_text(names["en"] + " " + descriptions.get("en", ""))
            builder.add(
                id=f"dac-sector-{code}-{language}",
                group=f"dac-sector-{code}",
                source="dac-sectors",
                module=module,
                kind=kind,
                language=language,
                title=names[language],
                summary=descriptions.get(language) or names[language],
                body=categories.get(category, {}).get(language, ""),
                sdg_goals=DAC_CATEGORY_GOALS.get(category, []),
            )


def add_iati(builder: Builder) -> None:
    root = ET.parse(IATI_SAMPLES / "missing_dates.xml").getroot()
    for activity in root.iter("iati-activity"):
        identifier = activity.findtext("iati-identifier") or ""
        title = clean(activity.findtext("title") or "")
        description = clean(activity.findtext("description") or "")
        summary, _, body = description.partition(". ")
        sectors = [s.get("code", "")[:3] for s in activity.findall("sector")]
        goals = sorted({g for s in sectors for g in DAC_CATEGORY_GOALS.get(s, [])})
        providers = [{"organization": "concern-universal", "role": "lead"}]
        for org in activity.findall("participating-org"):
            known = IATI_ORGANIZATIONS.get((org.text or "").strip())
            if org.get("role") == "funding" and known and known != "concern-universal":
                providers.append({"organization": known, "role": "funder"})
        country = {
            "MW": "MWI",
            "GH": "GHA",
            "KE": "KEN",
            "BD": "BGD",
            "BR": "BRA",
            "GM": "GMB",
            "NG": "NGA",
            "GN": "GIN",
            "MZ": "MOZ",
        }
        applied = [country[c.get("code", "")] for c in activity.findall("recipient-country")]
        text = f"{title} {description}"
        builder.add(
            id=f"iati-{identifier}",
            source="iati-activities",
            module="experience",
            kind="case-study",
            language="en",
            title=title,
            summary=summary + ("." if body else ""),
            body=body,
            sdg_goals=goals,
            sdg_targets=targets_of(text, TARGET_WORDS),
            providers=providers,
            countries_of_origin=["GBR"],
            countries_applied=applied,
        )
    found = ET.parse(IATI_SAMPLES / "multiple_locales_descriptions.xml").getroot()
    algeria = found.find("iati-activity")
    assert algeria is not None
    identifier = algeria.findtext("iati-identifier") or ""
    titles = narratives(algeria.find("title"))
    parts = [narratives(d) for d in algeria.findall("description")]
    for language in ("en", "fr"):
        builder.add(
            id=f"iati-{identifier}-{language}",
            group=f"iati-{identifier}",
            source="iati-activities",
            module="experience",
            kind="case-study",
            language=language,
            title=titles[language],
            summary=parts[0][language],
            body=" ".join(p[language] for p in parts[1:]),
            sdg_goals=[1, 11],
            sdg_targets=["1.5", "11.5"],
            providers=[{"organization": "afdb", "role": "lead"}],
            countries_of_origin=[],
            countries_applied=["DZA"],
        )


def add_demo(builder: Builder) -> None:
    for entry in builder.demo["entries"]:
        targets = [str(t) for t in entry.get("sdg_targets", [])]
        builder.add(
            id=entry["id"],
            source="demo-catalogue",
            module=entry["module"],
            kind=entry["kind"],
            language=entry["language"],
            title=entry["title"],
            summary=entry["summary"],
            body=entry.get("body", ""),
            countries_of_origin=entry.get("countries_of_origin", []),
            countries_applied=entry.get("countries_applied", []),
            themes=entry.get("themes", []),
            sdg_goals=sorted({int(t.split(".")[0]) for t in targets}),
            sdg_targets=targets,
            support_kinds=entry.get("support_kinds", []),
            providers=entry.get("providers", []),
            is_verified=True,
            last_confirmed_on=builder.demo["confirmed_on"].isoformat(),
            dates={
                key: (value.isoformat() if isinstance(value, datetime.date) else value)
                for key, value in entry.items()
                if key
                in ("starts_on", "ends_on", "deadline", "venue", "venue_country", "is_online")
            },
            keep_tags=True,
        )
    for org in builder.demo["organizations"]:
        if not org.get("description"):
            continue
        domains = DEMO_DOMAINS.get(org["id"], [])
        builder.add(
            id=f"org-{org['id']}",
            source="demo-organizations",
            module="expertise",
            kind="institutional-expertise",
            language="en",
            title=org["name"] + (f" ({org['acronym']})" if org.get("acronym") else ""),
            summary=org["description"],
            sdg_goals=domains[:2],
            providers=[{"organization": org["id"], "role": "lead"}],
            countries_of_origin=[org["country"]],
            countries_applied=[],
        )


# The report's activities (section III.A): heading number -> the demo catalogue's activity,
# whose providers the Chinese text names too.
def add_report_zh(builder: Builder) -> None:
    text = REPORT_ZH.read_text(encoding="utf-8")
    paragraphs: list[tuple[int, str]] = []
    for part in re.split(r"\n\s*(?=\d{1,2}\.\s)", text):
        match = re.match(r"(\d{1,2})\.\s*(.*)", part, re.S)
        if match:
            paragraphs.append((int(match.group(1)), re.sub(r"\s+", "", match.group(2))))
    # Section III.A: after paragraph 13, the short items numbered 1 to 11 are the headings of
    # the activities; paragraphs 14 to 61 describe them.
    sections: list[tuple[str, list[str]]] = []
    after_13 = False
    for number, content in paragraphs:
        if number == 13:
            after_13 = True
            continue
        if not after_13:
            continue
        if number == 62:
            break
        if number <= 11 and len(content) < 80:
            sections.append((content, []))
        elif sections:
            sections[-1][1].append(content)
    providers_by_activity: dict[int, list[dict[str, str]]] = {}
    for entry in builder.demo["entries"]:
        providers_by_activity.setdefault(entry["activity"], entry.get("providers", []))
    unep = [{"organization": "demo-org-unep", "role": "lead"}]

    def add(key: str, title: str, text: str, module: str, kind: str, providers: Any) -> None:
        # Drop the page marks of the document ("2A/64/504.").
        text = re.sub(r"\d*A/\d+/\d+\.?", "", text)
        summary, _, rest = text.partition("。")
        full = title + text
        targets = targets_of(full, TARGET_WORDS_ZH)
        builder.add(
            id=f"report-zh-{key}",
            source="report-zh",
            module=module,
            kind=kind,
            language="zh",
            title=title.strip("。"),
            summary=summary + "。",
            body=rest,
            themes=themes_of("zh", full),
            sdg_targets=targets,
            sdg_goals=sorted({int(t.split(".")[0]) for t in targets}),
            providers=providers,
            countries_of_origin=[],
            countries_applied=[],
        )

    # One entry per paragraph, as the demo catalogue splits the activities into several entries:
    # the first paragraph of an activity under its heading, the others under the heading and
    # their own first clause.
    for index, (heading, body) in enumerate(sections[:11], start=1):
        for position, paragraph in enumerate(body):
            title = heading if position == 0 else f"{heading}：{first_clause(paragraph, 60)}"
            add(
                f"activity-{index}-{position + 1}",
                title,
                paragraph,
                "experience",
                "case-study" if position == 0 else "lessons-learned",
                providers_by_activity.get(index, unep),
            )
    # UNEP's other South-South work (paragraphs 6-12) and its policy guidance and exchange
    # mechanism (63-76).
    # (The headings of section III.A are numbered 1-11 too: only the paragraphs before 13 count.)
    before_13 = paragraphs[: next(i for i, (n, _) in enumerate(paragraphs) if n == 13)]
    after_62 = paragraphs[next(i for i, (n, _) in enumerate(paragraphs) if n == 62) :]
    for number, content in before_13 + after_62:
        if 6 <= number <= 12 or 63 <= number <= 76:
            module, kind = (
                ("experience", "lessons-learned") if number <= 12 else ("technology", "guideline")
            )
            add(f"paragraph-{number}", first_clause(content, 60), content, module, kind, unep)


def build_catalogue() -> None:
    builder = Builder()
    add_demo(builder)
    add_iati(builder)
    add_report_zh(builder)
    add_dac(builder)
    add_sdg(builder)
    used = {p["organization"] for e in builder.entries for p in e["providers"]}
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with (DATA_DIR / "organizations.jsonl").open("w", encoding="utf-8") as handle:
        for org in builder.organizations.values():
            if org["id"] in used:
                record = {k: v for k, v in org.items() if k != "domains"}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    with (DATA_DIR / "entries.jsonl").open("w", encoding="utf-8") as handle:
        for entry in builder.entries:
            handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n")
    counts: dict[str, int] = {}
    for entry in builder.entries:
        counts[entry["language"]] = counts.get(entry["language"], 0) + 1
    sources: dict[str, int] = {}
    for entry in builder.entries:
        sources[entry["source"]] = sources.get(entry["source"], 0) + 1
    print(f"{len(builder.entries)} entries, {len(used)} organizations")
    print("by language:", counts)
    print("by source:", sources)


# --- Judging pool -------------------------------------------------------------------------------


def build_pool() -> None:
    entries = load_entries()
    needs = load_needs()
    baseline = Bm25Baseline(entries)
    rng = random.Random(SEED)
    by_target: dict[str, list[str]] = {}
    by_goal_theme: dict[tuple[int, str], list[str]] = {}
    for entry in entries:
        for code in entry["sdg_targets"]:
            by_target.setdefault(code, []).append(entry["id"])
        for goal in entry["sdg_goals"]:
            for theme in entry["themes"]:
                by_goal_theme.setdefault((goal, theme), []).append(entry["id"])
    ids = [e["id"] for e in entries]
    rows: list[tuple[str, str, str]] = []
    for need in needs:
        found: dict[str, list[str]] = {}

        def take(entry_ids: Iterable[str], why: str, found: dict[str, list[str]] = found) -> None:
            for entry_id in entry_ids:
                found.setdefault(entry_id, []).append(why)

        take(baseline.rank(need["title"] + " " + need["description"], need["language"], 30), "bm25")
        if need.get("pool_query_en"):
            take(baseline.rank(need["pool_query_en"], "en", 15), "bm25-en")
        shared = sorted(
            {i for code in need.get("sdg_targets", []) for i in by_target.get(code, [])}
        )
        take(rng.sample(shared, k=min(12, len(shared))), "target")
        goals = {int(str(t).split(".")[0]) for t in need.get("sdg_targets", [])}
        goals |= set(need.get("sdg_goals", []))
        pairs = sorted(
            {
                i
                for g in goals
                for t in need.get("themes", [])
                for i in by_goal_theme.get((g, t), [])
            }
        )
        take(rng.sample(pairs, k=min(6, len(pairs))), "goal+theme")
        take(rng.sample(ids, k=4), "random")
        for entry_id, why in found.items():
            rows.append((need["id"], entry_id, ",".join(why)))
    with (DATA_DIR / "pool.tsv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["need_id", "entry_id", "pooled_by"])
        writer.writerows(rows)
    print(f"{len(rows)} pairs to judge for {len(needs)} needs")


# --- Judging ------------------------------------------------------------------------------------


def _pool_groups() -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    """Entries by id, and the pooled translation groups of each need, in pool order."""
    entries = {e["id"]: e for e in load_entries()}
    groups: dict[str, list[str]] = {}
    with (DATA_DIR / "pool.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            group = entries[row["entry_id"]]["group"]
            if group not in groups.setdefault(row["need_id"], []):
                groups[row["need_id"]].append(group)
    return entries, groups


def show_pool(selected: list[str]) -> None:
    """Print each need and its pooled groups (one text per group, English where there is one)
    for the judge to read. Prints no score and no order of any ranker: groups are sorted by id."""
    entries, groups = _pool_groups()
    members: dict[str, list[dict[str, Any]]] = {}
    for entry in entries.values():
        members.setdefault(entry["group"], []).append(entry)
    for need in load_needs():
        if selected and need["id"] not in selected:
            continue
        print(f"\n## {need['id']} [{need['language']}] {need['title']}")
        print(f"   {need['description'].strip()}")
        print(f"   countries {need['countries']} support {need.get('support_kinds')}")
        for group in sorted(groups.get(need["id"], [])):
            variants = members[group]
            entry = next((e for e in variants if e["language"] == "en"), variants[0])
            text = (
                entry["summary"]
                if entry["summary"].startswith(entry["title"][:20])
                else (f"{entry['title']} — {entry['summary']}")
            )
            if entry["body"] and entry["source"] in (
                "iati-activities",
                "demo-catalogue",
                "report-zh",
            ):
                text += " " + entry["body"]
            print(f"- {group} ({entry['module']}): {text[:260]}")


def build_qrels() -> None:
    """qrels.tsv from the judge's grades in judgements.yaml (need -> group -> grade, 0 omitted).
    Every entry of a pooled group gets the group's grade: the translations of a text say the
    same, so they serve the need equally (the language is for the ranker to weigh, not the
    judge)."""
    entries, groups = _pool_groups()
    members: dict[str, list[str]] = {}
    for entry in entries.values():
        members.setdefault(entry["group"], []).append(entry["id"])
    judged = yaml.safe_load((DATA_DIR / "judgements.yaml").read_text(encoding="utf-8"))
    rows = []
    for need in load_needs():
        grades = judged.get(need["id"]) or {}
        unknown = set(grades) - set(members)
        if unknown:
            raise SystemExit(f"{need['id']}: unknown groups: {sorted(unknown)}")
        # The judge may add a group outside the pool that he met while judging (found by reading,
        # never from a ranker's output); it is judged like the pooled ones.
        for group in sorted(set(groups.get(need["id"], [])) | set(grades)):
            for entry_id in sorted(members[group]):
                rows.append((need["id"], entry_id, int(grades.get(group, 0))))
    with (DATA_DIR / "qrels.tsv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["need_id", "entry_id", "grade"])
        writer.writerows(rows)
    print(f"{len(rows)} judged pairs for {len(groups)} needs")


if __name__ == "__main__":
    main()

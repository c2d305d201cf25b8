"""The cross-language bridge: a query also reaches entries through their SDG and theme tags.

The labels of the 17 goals, 169 targets and the themes, in the six UN languages, sit in a small
in-memory tantivy index with the entry analyzers. A query whose words all occur in one label
(in any language) names that goal, target or theme, and entries tagged with it match too, below
entries that contain the words. So "eau potable", "agua potable" and "饮用水" all reach
entries tagged with target 6.1 (access to safe drinking water), whatever their language.

A query that names too many labels ("sustainable" occurs in most targets) says nothing about a
tag, and then the bridge adds nothing.
"""

import threading
from dataclasses import dataclass

from tantivy import Document, Index, SchemaBuilder

from catalog.models import SdgGoal, SdgTarget, Theme
from catalog.models.reference import UN_LANGUAGE_SUFFIXES
from search.analysis import analyzer_name, prepare, register_analyzers
from search.query import ParsedQuery

# More labels than this matched: the query is too general to stand for a tag ("water" names
# 14, "sustainable" 51).
MAX_LABELS = 24
KIND_TARGET, KIND_GOAL, KIND_THEME = "sdg_target", "sdg_goal", "theme"

# Theme names are stored in English only (catalog.Theme.name); their translations for the
# bridge, by theme code, from the names UNEP gives its subprogrammes in the UN languages.
THEME_TRANSLATIONS: dict[str, dict[str, str]] = {
    "climate-change": {
        "fr": "Changements climatiques",
        "es": "Cambio climático",
        "ar": "تغير المناخ",
        "ru": "Изменение климата",
        "zh": "气候变化",
    },
    "disasters-conflicts": {
        "fr": "Catastrophes et conflits",
        "es": "Desastres y conflictos",
        "ar": "الكوارث والنزاعات",
        "ru": "Бедствия и конфликты",
        "zh": "灾害与冲突",
    },
    "ecosystem-management": {
        "fr": "Gestion des écosystèmes",
        "es": "Gestión de los ecosistemas",
        "ar": "إدارة النظم الإيكولوجية",
        "ru": "Управление экосистемами",
        "zh": "生态系统管理",
    },
    "environmental-governance": {
        "fr": "Gouvernance environnementale",
        "es": "Gobernanza ambiental",
        "ar": "الحوكمة البيئية",
        "ru": "Экологическое руководство",
        "zh": "环境治理",
    },
    "chemicals-waste": {
        "fr": "Substances nocives et déchets dangereux",
        "es": "Sustancias nocivas y desechos peligrosos",
        "ar": "المواد الضارة والنفايات الخطرة",
        "ru": "Вредные вещества и опасные отходы",
        "zh": "有害物质和危险废物",
    },
    "resource-efficiency": {
        "fr": "Utilisation efficace des ressources (consommation et production durables)",
        "es": "Eficiencia en el uso de los recursos (consumo y producción sostenibles)",
        "ar": "كفاءة استخدام الموارد (الاستهلاك والإنتاج المستدامان)",
        "ru": "Эффективное использование ресурсов (устойчивое потребление и производство)",
        "zh": "资源效率(可持续消费和生产)",
    },
}


def _label_field(language: str) -> str:
    return f"label_{language}"


_LABEL_FIELDS = [_label_field(language) for language in UN_LANGUAGE_SUFFIXES]


@dataclass(frozen=True)
class BridgeMatch:
    """Tag values, by entry field (`sdg_target`, `sdg_goal`, `theme`), that a query names."""

    values: dict[str, tuple[str, ...]]

    def __bool__(self) -> bool:
        return any(self.values.values())


NO_MATCH = BridgeMatch({})


class LabelIndex:
    def __init__(self, labels: list[tuple[str, str, str, str]]) -> None:
        """`labels`: (kind, value, language, text) rows, one label in one language each."""
        builder = SchemaBuilder()
        builder.add_text_field("kind", stored=True, tokenizer_name="raw")
        builder.add_text_field("value", stored=True, tokenizer_name="raw")
        for language in UN_LANGUAGE_SUFFIXES:
            builder.add_text_field(_label_field(language), tokenizer_name=analyzer_name(language))
        self._index = Index(builder.build())
        register_analyzers(self._index)
        writer = self._index.writer(15_000_000, 1)
        for kind, value, language, text in labels:
            writer.add_document(
                _document(kind=kind, value=value, field=_label_field(language), text=text)
            )
        writer.commit()
        writer.wait_merging_threads()
        self._index.reload()

    def match(self, query: ParsedQuery) -> BridgeMatch:
        text = query.tantivy()
        if not text:
            return NO_MATCH
        try:
            parsed = self._index.parse_query(text, _LABEL_FIELDS, conjunction_by_default=True)
        except ValueError:
            return NO_MATCH
        searcher = self._index.searcher()
        result = searcher.search(parsed, limit=200)
        if len(result.hits) == 200:
            return NO_MATCH  # far more than MAX_LABELS, even in six languages each
        found: dict[str, set[str]] = {}
        for _score, address in result.hits:
            document = searcher.doc(address)
            found.setdefault(document["kind"][0], set()).add(document["value"][0])
        if sum(len(values) for values in found.values()) > MAX_LABELS:
            return NO_MATCH
        return BridgeMatch({kind: tuple(sorted(values)) for kind, values in found.items()})


def _document(*, kind: str, value: str, field: str, text: str) -> Document:
    return Document(kind=kind, value=value, **{field: prepare(text)})


def _labels() -> list[tuple[str, str, str, str]]:
    labels: list[tuple[str, str, str, str]] = []
    for target in SdgTarget.objects.all():
        for language in UN_LANGUAGE_SUFFIXES:
            if text := getattr(target, f"title_{language}"):
                labels.append((KIND_TARGET, target.code, language, text))
    for goal in SdgGoal.objects.all():
        for language in UN_LANGUAGE_SUFFIXES:
            for text in (getattr(goal, f"short_{language}"), getattr(goal, f"title_{language}")):
                if text:
                    labels.append((KIND_GOAL, str(goal.number), language, text))
    for theme in Theme.objects.all():
        labels.append((KIND_THEME, theme.code, "en", theme.name))
        for language, text in THEME_TRANSLATIONS.get(theme.code, {}).items():
            labels.append((KIND_THEME, theme.code, language, text))
    return labels


_label_index: LabelIndex | None = None
_label_lock = threading.Lock()


def label_index() -> LabelIndex:
    """This process's label index, built from the reference tables on first use (and again
    while they are empty, as in a database being set up)."""
    global _label_index
    if _label_index is None:
        with _label_lock:
            labels = _labels()
            index = LabelIndex(labels)
            if labels:
                _label_index = index
            return index
    return _label_index

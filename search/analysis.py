"""Text analysis: one tantivy analyzer per entry language, and what tantivy cannot do itself.

Tantivy tokenizes, lowercases, stems and folds accents. Two steps happen in Python first, on the
indexed text and on the query alike (`prepare`), so that both sides meet:
- Arabic normalisation: diacritics (tashkeel) and tatweel are dropped, the alef forms become a
  bare alef, alef maqsura a ya and ta marbuta a ha, as Arabic search engines do; without it a
  word with a diacritic would not match the same word without one. The definite article and
  the prepositions fused with it ("ال", "وال", "بال", "كال", "فال", "لل") are removed, as in
  Lucene's light Arabic stemmer: the Snowball stemmer that follows stems "الزراعة" and
  "زراعة" (agriculture) differently, and they must meet.
- Chinese has no spaces: runs of Han characters are cut into words with jieba's dictionary (by
  rjieba, the Rust port jieba-rs: the same words as Python's jieba, in half its memory) and the
  words separated by spaces, so that a two-character word query finds a longer sentence.
"""

import functools
import re
import unicodedata
from collections.abc import Callable

from tantivy import Filter, Index, TextAnalyzer, TextAnalyzerBuilder, Tokenizer

# Entry languages with their own analyzer; any other language is indexed as OTHER_LANGUAGE.
STEMMERS = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "pt": "portuguese",
    "ru": "russian",
    "ar": "arabic",
}
OTHER_LANGUAGE = "other"
LANGUAGES: tuple[str, ...] = (*STEMMERS, "zh", OTHER_LANGUAGE)
# Words only lowercased, never stemmed nor folded: the vocabulary that typos are corrected from,
# so that a suggestion reads as the authors wrote ("forêt", not "foret").
SPELLING_ANALYZER = "spelling"
# Longer tokens are noise (URLs, hashes) and would break tantivy's term size limit.
MAX_TOKEN_CHARS = 40

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+")
_HAS_HAN = _HAN_RUN.search


# Arabic diacritics (harakat, tanwin, shadda, sukun, superscript alef, Quranic marks) and
# tatweel, the stretching stroke; and the invisible characters that would split or glue words:
# soft hyphen, zero-width space and joiners, word joiner, byte-order mark.
_DROPPED = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u06d6-\u06ed\u0670\u0640\u00ad\u200b-\u200d\u2060\ufeff]"
)
_REPLACED = (
    # Alef with hamza above or below, with madda, wasla: a bare alef.
    ("أ", "ا"),
    ("إ", "ا"),
    ("آ", "ا"),
    ("ٱ", "ا"),
    # Alef maqsura and ya, ta marbuta and ha, are written for one another.
    ("ى", "ي"),
    ("ة", "ه"),
    # Russian writes ё and е interchangeably.
    ("ё", "е"),
    ("Ё", "Е"),
)
# The article, alone or after a fused preposition, at the start of a word of 2+ more letters.
_ARTICLE = re.compile("(?<![\u0621-\u064a])(?:وال|بال|كال|فال|لل|ال)(?=[\u0621-\u064a]{2})")
# Full-width digits and Latin letters, common in Chinese text (full-width punctuation is left:
# the tokenizer drops it anyway).
_FULL_WIDTH = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_FULL_WIDTH_TABLE = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF5B)}


def normalize(text: str) -> str:
    """Compose accents (NFC) and apply the character mappings above; no segmentation."""
    # `str.translate` with a table is ten times slower than these scans on real text.
    if text.isascii():
        return text
    text = _DROPPED.sub("", unicodedata.normalize("NFC", text))
    for old, new in _REPLACED:
        if old in text:
            text = text.replace(old, new)
    if "ال" in text or "لل" in text:
        text = _ARTICLE.sub("", text)
    if _FULL_WIDTH.search(text):
        text = text.translate(_FULL_WIDTH_TABLE)
    return text


@functools.cache
def _cut() -> Callable[..., list[str]]:
    # Imported on first use: the import loads the dictionary (about 30 MB), which a process
    # that never meets Chinese text does without.
    import rjieba

    return rjieba.cut


@functools.lru_cache(maxsize=50_000)
def han_words(run: str) -> tuple[str, ...]:
    """A run of Han characters cut into words (dictionary only: the same words whether the run
    is a whole sentence or a two-character query). Cached: a catalogue repeats its phrases (on
    generated text nearly every run is a repeat)."""
    return tuple(word for word in _cut()(run, hmm=False) if word.strip())


def segment(text: str) -> str:
    """Separate the words of Han runs by spaces; other text is unchanged."""
    if text.isascii() or not _HAS_HAN(text):
        return text
    return _HAN_RUN.sub(lambda match: " " + " ".join(han_words(match.group())) + " ", text)


def prepare(text: str) -> str:
    """Text as it goes into the index or into a query: normalised, Chinese segmented."""
    return segment(normalize(text))


def language_key(language: str) -> str:
    """The analyzer and index fields an entry language uses ("zh-hans" -> "zh")."""
    base = (language or "").lower().split("-")[0].split("_")[0]
    return base if base in LANGUAGES else OTHER_LANGUAGE


def analyzer_name(language: str) -> str:
    return f"text_{language_key(language)}"


def _builder() -> TextAnalyzerBuilder:
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_TOKEN_CHARS))
        .filter(Filter.lowercase())
    )


def _build(language: str) -> TextAnalyzer:
    builder = _builder()
    # Stem before folding: the Snowball stemmers expect the accents ("forêts" -> "forêt").
    if language in STEMMERS:
        builder = builder.filter(Filter.stemmer(STEMMERS[language]))
    return builder.filter(Filter.ascii_fold()).build()


@functools.cache
def analyzer(language: str) -> TextAnalyzer:
    """The analyzer of an entry language, also used to find the words to highlight."""
    return _build(language_key(language))


@functools.cache
def spelling_analyzer() -> TextAnalyzer:
    return _builder().build()


def register_analyzers(index: Index) -> None:
    """Register every analyzer the schema names; needed on each `Index` opened."""
    for language in LANGUAGES:
        index.register_tokenizer(analyzer_name(language), analyzer(language))
    index.register_tokenizer(SPELLING_ANALYZER, spelling_analyzer())

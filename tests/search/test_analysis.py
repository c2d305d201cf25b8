import pytest

from search.analysis import analyzer, language_key, normalize, prepare, segment


@pytest.mark.parametrize(
    ("language", "words", "same"),
    [
        ("en", "harvesting harvests", "harvest harvest"),
        ("fr", "forêts Forêt", "foret foret"),
        ("es", "comunidades agua", "comunidad aguas"),
        ("pt", "florestas comunitárias", "floresta comunitária"),
        ("ru", "воды питьевой", "вода питьевая"),
        # The article and a preposition fused with it go before the stemmer.
        ("ar", "المياه بالزراعة", "مياه زراعة"),
    ],
)
def test_stemming_and_folding_bring_word_forms_together(language, words, same):
    assert analyzer(language).analyze(prepare(words)) == analyzer(language).analyze(prepare(same))


@pytest.mark.parametrize(
    ("written", "searched"),
    [
        ("حَصَاد", "حصاد"),  # diacritics
        ("حصـــاد", "حصاد"),  # tatweel
        ("أمن", "امن"),  # alef with hamza above
        ("إدارة", "اداره"),  # alef with hamza below, ta marbuta
        ("آبار", "ابار"),  # alef with madda
        ("مستوى", "مستوي"),  # alef maqsura
    ],
)
def test_arabic_spellings_normalise_to_one_form(written, searched):
    assert normalize(written) == normalize(searched)
    assert analyzer("ar").analyze(prepare(written)) == analyzer("ar").analyze(prepare(searched))


def test_chinese_is_cut_into_dictionary_words():
    assert segment("雨水收集技术").split() == ["雨水", "收集", "技术"]
    assert segment("饮用水").split() == ["饮用水"]
    # Text without Han characters is left alone.
    assert segment("solar pumps, 2030") == "solar pumps, 2030"


def test_invisible_and_full_width_characters_are_normalised():
    assert normalize("so\u00adlar\u200b ＡＢＣ２０３０ e\u0301") == "solar ABC2030 é"
    assert normalize("ёлка") == "елка"


def test_languages_without_an_analyzer_share_the_default_one():
    assert language_key("zh-hans") == "zh"
    assert language_key("pt-BR") == "pt"
    assert language_key("sw") == "other"
    assert analyzer("sw").analyze("Maji Safi") == ["maji", "safi"]

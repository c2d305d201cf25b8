import pytest

from search.query import MAX_QUERY_CHARS, MAX_TERMS, parse


def test_words_are_all_required_and_quoted_so_none_is_an_operator():
    query = parse("rainwater harvesting AND tanks")

    assert query.required_tantivy() == '"rainwater" "harvesting" "tanks"'
    assert query.excluded == ()


def test_phrase_or_and_exclusions_are_understood():
    query = parse('"eau potable" OR agua -sanitation NOT "waste water"')

    assert query.required_tantivy() == '("eau potable" OR "agua")'
    assert query.excluded_tantivy() == '"sanitation" OR "waste water"'
    assert query.display() == '"eau potable" OR agua -sanitation -"waste water"'


def test_lowercase_or_is_a_word_not_an_operator():
    # "or" is gold in French.
    assert parse("mine or").required_tantivy() == '"mine" "or"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('solar "pumps', '"solar" "pumps"'),
        ('"', ""),
        ("OR", ""),
        ("solar OR", '"solar"'),
        ("OR solar", '"solar"'),
        ("-", ""),
        ("NOT", ""),
        ("AND OR NOT", ""),
        ("id:1", '"id" "1"'),
        ("title:(solar) [a TO b] x^2 y~3 z*", '"title" "solar" "a" "TO" "b" "x" "2" "y" "3" "z"'),
        ("<script>alert(1)</script>", '"script" "alert" "1" "script"'),
        ("'; DROP TABLE catalog_entry; --", '"DROP" "TABLE" "catalog_entry"'),
        ("solar\x00pumps\x1b[31m", '"solar" "pumps" "31m"'),
        ("back\\slash", '"back" "slash"'),
    ],
)
def test_syntax_in_the_input_becomes_plain_words(text, expected):
    assert parse(text).required_tantivy() == expected


def test_long_input_is_cut_and_flagged():
    query = parse("water " * 2000)

    assert query.shortened
    assert len(query.positive_words()) <= MAX_TERMS
    assert len(query.required_tantivy()) < MAX_QUERY_CHARS * 2


def test_a_chinese_run_is_cut_into_required_words():
    assert parse("雨水收集").required_tantivy() == '"雨水" "收集"'
    # Alternatives and exclusions keep it together as a phrase.
    assert parse("雨水收集 OR 饮用水").required_tantivy() == '("雨水 收集" OR "饮用水")'
    assert parse("-雨水收集").excluded_tantivy() == '"雨水 收集"'


def test_arabic_query_is_normalised_like_the_index():
    assert parse("حَصـول أمن").positive_words() == ["حصول", "امن"]


def test_typographic_quotes_make_a_phrase():
    assert parse("«eau potable»").required_tantivy() == '"eau potable"'

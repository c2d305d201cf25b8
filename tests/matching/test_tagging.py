"""Tagging help: SDG targets and themes suggested from a text in any of the six UN languages,
from the SDG target texts and theme names of the reference data."""

import pytest

from matching.tagging import suggest_tag_codes, suggest_tags

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Villages need safe and affordable drinking water."),
        ("fr", "Les villages ont besoin d'eau potable."),
        ("es", "Las comunidades necesitan agua potable."),
        ("ru", "Деревням нужна питьевая вода."),
        ("zh", "农村社区需要安全的饮用水。"),
        ("ar", "تحتاج القرى إلى مياه الشرب المأمونة."),
    ],
)
def test_drinking_water_suggests_target_6_1_in_every_un_language(language, text):
    suggestions = suggest_tags(text, language)

    assert "6.1" in [target.code for target in suggestions.sdg_targets]


def test_a_climate_adaptation_text_suggests_the_climate_change_theme():
    suggestions = suggest_tags(
        "Adaptation to climate change in coastal communities: early warning of floods.", "en"
    )

    assert "climate-change" in [theme.code for theme in suggestions.themes]
    assert suggestions.targets == suggestions.sdg_targets  # the name the need form reads


def test_suggestions_come_best_first_and_are_bounded():
    codes = suggest_tag_codes(
        "Safe drinking water, sanitation and hygiene for all; water-use efficiency; "
        "protect water-related ecosystems; integrated water resources management."
    )

    assert 0 < len(codes.sdg_targets) <= 6
    assert len(codes.themes) <= 3
    assert all(code.startswith("6.") for code in codes.sdg_targets[:3])


@pytest.mark.parametrize("text", ["", "   ", "the and of", "zzzz qqqq", "!!! ???"])
def test_text_that_names_nothing_suggests_nothing(text):
    suggestions = suggest_tags(text, "en")

    assert suggestions.sdg_targets == []
    assert suggestions.themes == []


def test_a_pasted_document_is_read_only_up_to_its_first_words():
    text = "Villages need safe drinking water. " + "filler " * 100_000

    assert "6.1" in suggest_tag_codes(text).sdg_targets


def test_the_entry_form_labels_the_tags_its_text_suggests():
    from catalog.contribute_forms import EntryContributionForm
    from tests.factories import EntryFactory

    entry = EntryFactory(
        title="Solar disinfection of drinking water", summary="Safe drinking water for villages."
    )

    form = EntryContributionForm(instance=entry)

    labels = dict(form.fields["sdg_targets"].choices)
    suggested = [str(label) for label in labels.values() if str(label).endswith("(suggested)")]
    assert any(label.startswith("6.1 ") for label in suggested)

"""The metrics and the BM25 baseline of benchmarks/matching_quality.py, on hand-computed cases."""

import math

import pytest

from benchmarks.matching_quality import (
    Bm25Baseline,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    relative_gain,
    tokenize,
)

GRADES = {"a": 0, "b": 3, "c": 1, "d": 2}


def test_ndcg_divides_the_ranking_gains_by_those_of_the_ideal_order():
    # Gains 2^g - 1 at ranks 1..3: a=0, b=7, c=1; the ideal order is b=7, d=3, c=1.
    dcg = 0 / math.log2(2) + 7 / math.log2(3) + 1 / math.log2(4)
    ideal = 7 / math.log2(2) + 3 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(["a", "b", "c"], GRADES, k=3) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(["a", "b", "c"], GRADES, k=3) == pytest.approx(0.5234, abs=1e-4)


def test_ndcg_is_one_for_the_ideal_order_and_zero_without_relevant_entries():
    assert ndcg_at_k(["b", "d", "c", "a"], GRADES, k=10) == pytest.approx(1.0)
    assert ndcg_at_k(["b", "d"], {"b": 0, "d": 0}, k=10) == 0.0
    assert ndcg_at_k([], GRADES, k=10) == 0.0


def test_ndcg_ignores_entries_below_the_cut_and_unjudged_entries():
    ranked = [f"x{i}" for i in range(10)] + ["b"]
    assert ndcg_at_k(ranked, GRADES, k=10) == 0.0
    # An unjudged entry counts as grade 0: "b" at rank 2 behind one.
    assert ndcg_at_k(["x", "b"], {"b": 3}, k=10) == pytest.approx(1 / math.log2(3))


def test_recall_counts_the_relevant_entries_found_in_the_top_k():
    grades = {"a": 3, "b": 2, "c": 1, "d": 0}
    assert recall_at_k(["c", "a", "x"], grades, k=2, threshold=2) == pytest.approx(1 / 2)
    assert recall_at_k(["c", "a", "x"], grades, k=2, threshold=1) == pytest.approx(2 / 3)
    assert recall_at_k(["a", "b"], grades, k=20, threshold=2) == 1.0
    assert recall_at_k(["a"], {"a": 1}, k=20, threshold=2) is None


def test_reciprocal_rank_is_one_over_the_rank_of_the_first_relevant_entry():
    grades = {"a": 3, "b": 2, "c": 1}
    assert reciprocal_rank(["x", "c", "a"], grades, threshold=2) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x", "c", "a"], grades, threshold=1) == pytest.approx(1 / 2)
    assert reciprocal_rank(["x", "y"], grades, threshold=1) == 0.0


def test_relative_gain_is_the_ratio_to_the_baseline_less_one():
    assert relative_gain(0.5, 0.4) == pytest.approx(0.25)
    assert relative_gain(0.3, 0.4) == pytest.approx(-0.25)
    assert relative_gain(0.0, 0.0) == 0.0
    assert relative_gain(0.1, 0.0) == math.inf


def test_tokenize_lowercases_drops_stop_words_and_handles_arabic_and_chinese():
    assert tokenize("The Rainwater harvesting for farmers") == [
        "rainwater",
        "harvesting",
        "farmers",
    ]
    # Arabic: the article is dropped and hamza forms of alef are normalised.
    assert tokenize("حصاد مياه الأمطار") == ["حصاد", "مياه", "امطار"]
    chinese = tokenize("农村生活污水处理")
    assert len(chinese) > 1
    assert "".join(chinese) == "农村生活污水处理"


def test_bm25_baseline_ranks_the_entry_sharing_the_rarest_words_first():
    entries = [
        {"id": "water", "title": "Rainwater harvesting", "summary": "Tanks and ponds", "body": ""},
        {"id": "energy", "title": "Solar mini-grids", "summary": "For villages", "body": ""},
        {"id": "both", "title": "Solar pumps", "summary": "Water for villages", "body": ""},
    ]
    baseline = Bm25Baseline(entries)
    assert baseline.rank("rainwater harvesting tanks", k=3) == ["water"]
    assert baseline.rank("solar villages", k=3)[0] in {"energy", "both"}
    assert baseline.rank("unknown words only", k=3) == []

"""Hand-made cases for the retrieval and answer metrics and the offset mapping."""

from __future__ import annotations

import pytest

from eval.doc2dial import OffsetMap, dialogue_half, split_halves
from eval.metrics import (
    Gold,
    RankedPassage,
    mean_scores,
    overlaps,
    question_scores,
    strip_citations,
    token_f1,
)

GOLD = Gold(doc_id="d1", start=100, end=150)


def p(doc_id: str, start: int, end: int) -> RankedPassage:
    return RankedPassage(doc_id=doc_id, start=start, end=end)


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        (p("d1", 0, 100), False),  # ends exactly where the gold span starts: half-open
        (p("d1", 150, 200), False),  # starts exactly where it ends
        (p("d1", 0, 101), True),
        (p("d1", 149, 300), True),
        (p("d1", 110, 120), True),  # inside
        (p("d1", 0, 500), True),  # covers it
        (p("d2", 100, 150), False),  # same range, other document
    ],
)
def test_the_overlap_rule_is_half_open_and_per_document(
    passage: RankedPassage, expected: bool
) -> None:
    assert overlaps(passage, GOLD) is expected


def test_recall_and_mrr_on_a_known_ranking() -> None:
    ranking = [
        p("d2", 0, 50),
        p("d1", 0, 90),  # gold document, wrong passage: doc rank 2
        p("d3", 0, 50),
        p("d1", 120, 200),  # the gold passage at rank 4
        *[p("d4", i, i + 1) for i in range(6)],
    ]
    scores = question_scores(ranking, GOLD)
    assert scores["doc_r@1"] == 0 and scores["doc_r@5"] == 1 and scores["doc_r@10"] == 1
    assert scores["passage_r@1"] == 0 and scores["passage_r@5"] == 1
    assert scores["mrr@10"] == pytest.approx(0.25)


def test_a_miss_scores_zero_and_a_first_hit_scores_one() -> None:
    miss = question_scores([p("d2", 0, 500)] * 10, GOLD)
    assert set(miss.values()) == {0.0}
    hit = question_scores([p("d1", 140, 160)], GOLD)
    assert set(hit.values()) == {1.0}


def test_a_hit_below_rank_ten_does_not_count() -> None:
    ranking = [p("d2", 0, 5)] * 10 + [p("d1", 100, 150)]
    scores = question_scores(ranking, GOLD)
    assert scores["passage_r@10"] == 0 and scores["mrr@10"] == 0 and scores["doc_r@10"] == 0


def test_means_are_taken_over_questions() -> None:
    rows = [question_scores([p("d1", 100, 150)], GOLD), question_scores([], GOLD)]
    means = mean_scores(rows)
    assert means["passage_r@1"] == 0.5 and means["mrr@10"] == 0.5
    assert set(mean_scores([]).values()) == {0.0}


def test_token_f1() -> None:
    assert token_f1("You must renew every 8 years.", "you must renew every 8 years") == 1.0
    assert token_f1("", "") == 1.0
    assert token_f1("fee", "") == 0.0
    assert token_f1("pay the fee online", "cats") == 0.0
    # 2 shared of 4 predicted (precision 1/2) and of 2 expected (recall 1): F1 = 2/3
    assert token_f1("renew online fast today", "renew online") == pytest.approx(2 / 3)


def test_citation_markers_are_stripped() -> None:
    assert strip_citations("Renew online. [1] It costs $42. [2]") == "Renew online. It costs $42."


def test_offsets_in_normalised_text_map_back_to_the_raw_text() -> None:
    raw = "\n\nTitle  here \n\n\nFirst   line.\nSecond line. "
    normalised = "Title here\n\nFirst line.\nSecond line."
    mapping = OffsetMap(raw, normalised)
    start = normalised.index("First")
    end = normalised.index("Second") + len("Second")
    raw_start, raw_end = mapping.raw_span(start, end)
    assert raw[raw_start:raw_end] == "First   line.\nSecond"
    assert mapping.raw_span(0, len(normalised)) == (2, len(raw) - 1)


def test_halves_split_by_dialogue() -> None:
    assert {dialogue_half(f"dialogue-{i}") for i in range(20)} == {"A", "B"}
    assert dialogue_half("x") == dialogue_half("x")
    assert split_halves([]) == {"A": [], "B": []}

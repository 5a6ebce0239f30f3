"""Fitting the composer's section weights: a conditional logit over a page's sections."""

from __future__ import annotations

import numpy as np

from assistant.unit_scoring import SECTION_FEATURES
from eval.answer_data import Turn, UnitExamples
from eval.answer_model import fit_sections, section_hits

COVERAGE = SECTION_FEATURES.index("coverage")
BEST_UNIT = SECTION_FEATURES.index("best_unit")


def turn(rng: np.random.Generator, split: str, source: str) -> Turn:
    """Six sections; the one holding the answer is the best covered, whatever its best
    unit scores (which is noise)."""
    features = rng.uniform(0, 1, size=(6, len(SECTION_FEATURES)))
    labels = np.zeros(6, dtype=np.int8)
    labels[int(np.argmax(features[:, COVERAGE]))] = 1
    units = UnitExamples(
        features=np.zeros((6, 1)),
        labels=np.zeros(6, dtype=np.int8),
        section_features=features,
        section_units=[range(i, i + 1) for i in range(6)],
        section_labels=labels,
    )
    return Turn(
        source=source,
        split=split,
        answerable=True,
        style="plain",
        status="answered",
        composed=True,
        right_page=True,
        facts=True,
        reply="",
        signals={},
        units=units,
    )


def test_section_weights_learn_what_picks_the_answering_section_and_hold_out() -> None:
    rng = np.random.default_rng(0)
    turns = [turn(rng, split, source) for split in ("dev", "heldout") for source in ("a", "b")]
    turns += [turn(rng, s, src) for _ in range(60) for s in ("dev", "heldout") for src in "ab"]
    weights = fit_sections(turns)
    assert weights["coverage"] > weights["best_unit"]
    neutral = {name: float(name == "best_unit") for name in SECTION_FEATURES}
    fitted, before = section_hits(turns, weights), section_hits(turns, neutral)
    assert fitted["a/heldout"] > 0.75 > 0.4 > before["a/heldout"]  # a sixth by chance


def test_sections_with_no_text_of_their_own_are_never_candidates() -> None:
    rng = np.random.default_rng(1)
    examples = [turn(rng, "dev", "a") for _ in range(30)]
    for t in examples:
        assert t.units is not None and t.units.section_labels is not None
        # The answering section becomes a bare heading: those turns teach nothing.
        t.units.section_units[int(np.argmax(t.units.section_labels))] = range(0)
    assert section_hits(examples, fit_sections(examples)) == {}

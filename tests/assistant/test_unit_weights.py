"""The composer's weights file: read by feature name, strict about what it lacks."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from assistant.unit_scoring import UNIT_FEATURES, UnitWeights


def _packaged() -> dict[str, float]:
    data = json.loads(resources.files("assistant").joinpath("answer_model.json").read_text())
    weights: dict[str, float] = data["unit_weights"]
    return weights


def test_the_packaged_file_weighs_every_unit_feature() -> None:
    assert set(_packaged()) == set(UNIT_FEATURES)


def test_a_file_written_before_the_age_rule_reads_as_not_using_it() -> None:
    older = {k: v for k, v in _packaged().items() if k != "age_rule"}
    weights = UnitWeights.from_mapping(older)
    assert weights.weights[UNIT_FEATURES.index("age_rule")] == 0.0


def test_a_file_without_another_feature_is_refused() -> None:
    broken = {k: v for k, v in _packaged().items() if k != "question_words"}
    with pytest.raises(ValueError, match="question_words"):
        UnitWeights.from_mapping(broken)

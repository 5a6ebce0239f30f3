"""The answer-or-refuse decision: fitted trees, stored as JSON, decide exactly as fitted."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from assistant.answerability import SIGNALS, AnswerabilityModel, load_answer_model
from assistant.container import Container
from assistant.turns import InboundMessage, Status, TurnContext
from eval.answer_data import Turn
from eval.answer_model import choose_threshold, fit, score


def _turns(count: int, seed: int) -> list[Turn]:
    """Turns whose answers are right more often when two of the signals are high."""
    rng = np.random.default_rng(seed)
    turns = []
    for i in range(count):
        signals = {name: float(rng.random()) for name in SIGNALS}
        right = signals["question_cosine"] + signals["page_coverage"] + 0.3 * rng.random() > 1.1
        turns.append(
            Turn(
                source="doc2dial" if i % 2 else "sample-kb",
                split="dev",
                answerable=right or i % 3 != 0,
                style="plain",
                status="answered",
                composed=True,
                right_page=right,
                facts=right,
                reply="",
                signals=signals,
            )
        )
    return turns


def test_the_stored_trees_give_the_probabilities_scikit_learn_gave() -> None:
    from sklearn.ensemble import GradientBoostingClassifier

    from eval.answer_model import TREES, signal_matrix

    turns = _turns(400, seed=1)
    fitted = fit(turns)
    model = AnswerabilityModel.from_json(fitted)
    # The same fit, kept in scikit-learn, as the reference.
    weights = np.ones(len(turns))
    sources = np.array([t.source for t in turns])
    for source in set(sources):
        weights[sources == source] = 1.0 / (sources == source).sum()
    weights *= len(weights) / weights.sum()
    reference = GradientBoostingClassifier(random_state=0, **TREES).fit(
        signal_matrix(turns), [t.right for t in turns], sample_weight=weights
    )
    fresh = _turns(50, seed=2)
    expected = reference.predict_proba(signal_matrix(fresh))[:, 1]
    got = [model.probability(t.signals) for t in fresh]
    assert np.allclose(got, expected, atol=1e-4)
    # And it learned the pattern: right answers score higher.
    score(fresh, model)
    right = [t.signals["confidence"] for t in fresh if t.right]
    wrong = [t.signals["confidence"] for t in fresh if not t.right]
    assert np.mean(right) > np.mean(wrong) + 0.3


def test_the_threshold_meets_the_aims_on_dev_when_it_can() -> None:
    turns = _turns(600, seed=3)
    score(turns, AnswerabilityModel.from_json(fit(turns)))
    threshold = choose_threshold(turns)
    kept = [t for t in turns if t.source == "doc2dial" and t.signals["confidence"] >= threshold]
    assert sum(t.right for t in kept) / len(kept) >= 0.80
    unanswerable = [t for t in turns if t.source == "sample-kb" and not t.answerable]
    refused = [t for t in unanswerable if t.signals["confidence"] < threshold]
    assert len(refused) / len(unanswerable) >= 0.90


def test_a_model_fitted_on_other_signals_is_refused() -> None:
    data = load_answer_model()["answerability"]
    changed = {**data, "signals": [*data["signals"][:-1], "something_else"]}
    with pytest.raises(ValueError, match="other signals"):
        AnswerabilityModel.from_json(changed)


def test_a_model_reads_its_signals_by_name() -> None:
    """A model fitted before a signal was added decides as fitted: its trees index the
    signals it was fitted on, whatever order or number the code computes now."""
    data = load_answer_model()["answerability"]
    model = AnswerabilityModel.from_json(data)
    rng = np.random.default_rng(4)
    signals = {name: float(rng.random()) for name in SIGNALS}
    reordered = AnswerabilityModel.from_json(
        {
            **data,
            "signals": list(reversed(data["signals"])),
            "trees": [
                {**t, "feature": [len(data["signals"]) - 1 - f for f in t["feature"]]}
                for t in data["trees"]
            ],
        }
    )
    assert reordered.probability(signals) == pytest.approx(model.probability(signals))
    assert model.probability({**signals, "not_fitted_on": 99.0}) == model.probability(signals)


def test_the_packaged_model_loads_with_its_threshold() -> None:
    data = load_answer_model()
    AnswerabilityModel.from_json(data["answerability"])
    assert 0.05 <= data["min_confidence"] <= 0.95


def test_a_refused_answer_is_kept_aside_and_never_shown(shared_container: Container) -> None:
    ctx = TurnContext(
        message=InboundMessage("web", "How do I get a passport?"), text="How do I get a passport?"
    )
    shared_container.pipeline.run(ctx)
    assert ctx.status is Status.UNANSWERABLE_LOW_CONFIDENCE
    assert ctx.answer is None and not ctx.citations
    assert ctx.declined is not None  # what would have been said, for evaluation
    assert ctx.declined.text not in ctx.reply_text
    assert ctx.confidence == ctx.scores["confidence"] < shared_container.min_confidence
    assert set(SIGNALS) <= set(ctx.scores)


def test_the_trees_walked_together_give_each_probability_to_the_bit() -> None:
    # All trees walked a level at a time (one set of arrays) against one tree after
    # another, as the model was read before: the same sum in the same order.
    data = load_answer_model()
    rng = np.random.default_rng(7)
    for section in ("answerability", "answerability_es"):
        model = AnswerabilityModel.from_json(data[section])
        for _ in range(300):
            signals = {
                name: float(rng.choice([rng.normal(), rng.random(), 0.0, 1.0]))
                for name in model.signals
            }
            x = [signals[name] for name in model.signals]
            z = model.bias + model.learning_rate * sum(_leaf(tree, x) for tree in model.trees)
            one_by_one = 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))
            assert model.probability(signals) == one_by_one


def _leaf(tree: Any, x: list[float]) -> float:
    """One tree walked from its root to a leaf, one node at a time."""
    node = 0
    while tree.left[node] != -1:
        node = (
            tree.left[node] if x[tree.feature[node]] <= tree.threshold[node] else tree.right[node]
        )
    return float(tree.value[node])

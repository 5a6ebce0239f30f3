"""Fit the composer's section weights and the answerability model, and choose
``min_confidence``, on dev data only.

    python -m eval.answer_model [--doc2dial DIR] [--out assistant/answer_model.json]
                                [--cache-dir DIR] [--report DIR]
                                [--spanish-only | --sections-only]

Every turn of ``eval.answer_data`` (doc2dial, doc2dial without the gold page, the
bundled knowledge base's questions, and those asked without their page) runs through
the product's pipeline with the current composer. The model learns, from the turns of
the ``dev`` parts, whether an answer comes from a right page; the threshold is the
lowest at which the two real question sets' dev parts meet the product's aims (see
``choose_threshold``). The page-removed sets teach the model what a near miss looks
like but do not choose the threshold: some of their questions are still answered by a
sibling page.

The section weights come first (``fit_sections``): which section of the chosen page
holds the answer, learnt from the dev turns of doc2dial (the gold span) and of the
bundled set (the key facts); the turns are then run again with them.

Spanish turns get trees of their own (``fit_spanish``), fitted on the English dev turns
and the Spanish question set's dev half, with their own threshold;
``--spanish-only`` refits just those and keeps the rest of the file.

``--sections-only`` refits just the section weights and keeps the answer trees and
thresholds: a new section feature can be learnt without a new draw of the trees,
whose threshold moves by several points from one fit to the next (on the 80
unanswerable dev questions that bind it, one question is 1.25 points of refusal).

The ``heldout`` parts are scored once, at the end, and written to the report; nothing
is chosen by them.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answerability import SIGNALS, AnswerabilityModel, load_answer_model
from assistant.unit_scoring import SECTION_FEATURES
from eval.answer_data import Turn, collect

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "assistant" / "answer_model.json"
DOC2DIAL = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "doc2dial"
# The aims of issue #20, met on the dev parts (the held-out parts say how far they hold).
AIM_PRECISION = 0.80
AIM_REFUSED = 0.90
# The English model learns from these; the Spanish one from them and the Spanish set.
ENGLISH = ("doc2dial", "doc2dial-removed", "sample-kb", "sample-kb-removed")
SPANISH = "sample-kb-es"
TREES = {
    "n_estimators": 300,
    "max_depth": 2,
    "learning_rate": 0.05,
    "subsample": 0.8,
    "min_samples_leaf": 20,
}


def signal_matrix(turns: list[Turn]) -> np.ndarray:
    return np.array([[t.signals.get(n, 0.0) for n in SIGNALS] for t in turns], dtype=np.float64)


def fit(turns: list[Turn], *, seed: int = 0) -> dict[str, Any]:
    """Trees on the dev turns that reached an answer, each source weighing the same."""
    from sklearn.ensemble import GradientBoostingClassifier

    train = [t for t in turns if t.split == "dev" and t.composed]
    x = signal_matrix(train)
    y = np.array([t.right for t in train], dtype=np.int8)
    sources = np.array([t.source for t in train])
    weights = np.ones(len(train))
    for source in set(sources):
        weights[sources == source] = 1.0 / (sources == source).sum()
    weights *= len(weights) / weights.sum()
    model = GradientBoostingClassifier(random_state=seed, **TREES)
    model.fit(x, y, sample_weight=weights)
    trees = []
    for (estimator,) in model.estimators_:
        tree = estimator.tree_
        trees.append(
            {
                "feature": [int(f) if f >= 0 else 0 for f in tree.feature],
                "threshold": [round(float(v), 6) for v in tree.threshold],
                "left": [int(v) for v in tree.children_left],
                "right": [int(v) for v in tree.children_right],
                "value": [round(float(v), 6) for v in tree.value[:, 0, 0]],
            }
        )
    learning_rate = float(TREES["learning_rate"])
    # The starting log-odds: what the trees do not explain of one decision.
    raw = float(model.decision_function(x[:1])[0])
    summed = sum(float(e.predict(x[:1])[0]) for (e,) in model.estimators_)
    importance = dict(
        zip(SIGNALS, (round(float(v), 4) for v in model.feature_importances_), strict=True)
    )
    return {
        "signals": list(SIGNALS),
        "bias": round(raw - learning_rate * summed, 6),
        "learning_rate": learning_rate,
        "trees": trees,
        "importance": importance,
    }


# How far the section weights may move from "a section is as good as its best unit".
SECTION_L2 = 0.3


def _section_examples(turns: list[Turn], split: str) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Per turn of ``split`` on a right page: its sections with text, and which hold
    the answer (turns where none does teach nothing)."""
    examples = []
    for turn in turns:
        units = turn.units
        if turn.split != split or units is None or units.section_features is None:
            continue
        assert units.section_labels is not None
        keep = np.array([len(r) > 0 for r in units.section_units], dtype=bool)
        labels = units.section_labels[keep].astype(bool)
        if labels.any():
            examples.append((units.section_features[keep].astype(np.float64), labels, turn.source))
    return examples


def fit_sections(turns: list[Turn]) -> dict[str, float]:
    """Section weights on the dev turns: a conditional logit, the chance that the chosen
    section holds the answer, each source weighing the same, pulled towards the neutral
    weights (a section scores as its best unit)."""
    from scipy.optimize import minimize

    examples = _section_examples(turns, "dev")
    counts: dict[str, int] = {}
    for *_, source in examples:
        counts[source] = counts.get(source, 0) + 1
    weight = {source: len(examples) / (len(counts) * n) for source, n in counts.items()}
    neutral = np.zeros(len(SECTION_FEATURES))
    neutral[SECTION_FEATURES.index("best_unit")] = 1.0

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = SECTION_L2 * float(np.sum((w - neutral) ** 2)), 2 * SECTION_L2 * (w - neutral)
        for x, labels, source in examples:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            held = float(p[labels].sum())
            total -= weight[source] * np.log(held + 1e-12)
            grad -= weight[source] * ((p[labels] @ x[labels]) / held - p @ x)
        return total, grad

    fitted = minimize(loss, neutral, jac=True, method="L-BFGS-B").x
    return {name: round(float(v), 4) for name, v in zip(SECTION_FEATURES, fitted, strict=True)}


def section_hits(turns: list[Turn], weights: dict[str, float]) -> dict[str, float]:
    """Per source and split, the share of turns whose best section holds the answer."""
    w = np.array([weights[name] for name in SECTION_FEATURES])
    hits: dict[str, float] = {}
    for split in ("dev", "heldout"):
        by_source: dict[str, list[bool]] = {}
        for x, labels, source in _section_examples(turns, split):
            by_source.setdefault(source, []).append(bool(labels[int(np.argmax(x @ w))]))
        for source, found in sorted(by_source.items()):
            hits[f"{source}/{split}"] = round(sum(found) / len(found), 4)
    return hits


def score(turns: list[Turn], model: AnswerabilityModel) -> None:
    """Each answered turn's confidence under ``model`` (in ``signals["confidence"]``)."""
    for turn in turns:
        if turn.composed:
            turn.signals["confidence"] = model.probability(turn.signals)


FOLDS = 5


def score_out_of_fold(turns: list[Turn], *, folds: int = FOLDS) -> None:
    """Each dev turn's confidence under trees fitted on the other folds of dev (the
    held-out turns under trees fitted on all of dev). A source's turns are cut into
    ``folds`` runs in their order, so the turns of one dialogue mostly stay together."""
    dev = [t for t in turns if t.split == "dev"]
    fold_of: dict[int, int] = {}
    for source in {t.source for t in dev}:
        own = [t for t in dev if t.source == source]
        for i, t in enumerate(own):
            fold_of[id(t)] = i * folds // len(own)
    for k in range(folds):
        model = AnswerabilityModel.from_json(fit([t for t in dev if fold_of[id(t)] != k]))
        score([t for t in dev if fold_of[id(t)] == k], model)
    score([t for t in turns if t.split != "dev"], AnswerabilityModel.from_json(fit(turns)))


def answered(turn: Turn, threshold: float) -> bool:
    return turn.composed and turn.signals.get("confidence", 0.0) >= threshold


def choose_threshold(turns: list[Turn]) -> float:
    """The lowest threshold (steps of 0.01) at which the dev parts meet the product's
    aims: doc2dial answers from the right page at least ``AIM_PRECISION`` of the time,
    and the bundled set's unanswerable questions are refused at least ``AIM_REFUSED`` of
    the time. Lowest, because every step up refuses some citizens a right answer. If no
    threshold meets both, the one that maximises right − wrong answers per question,
    averaged over the two sets."""
    steps = [step / 100 for step in range(5, 96)]
    dialogues = [t for t in turns if t.source == "doc2dial" and t.split == "dev"]
    bundled = [t for t in turns if t.source == "sample-kb" and t.split == "dev"]
    unanswerable = [t for t in bundled if not t.answerable]
    for threshold in steps:
        kept = [t for t in dialogues if answered(t, threshold)]
        precision = sum(t.right for t in kept) / max(len(kept), 1)
        refused = sum(not answered(t, threshold) for t in unanswerable) / max(len(unanswerable), 1)
        if kept and precision >= AIM_PRECISION and refused >= AIM_REFUSED:
            return threshold

    def utility(threshold: float) -> float:
        total = 0.0
        for asked in (dialogues, bundled):
            kept = [t for t in asked if answered(t, threshold)]
            right = sum(t.right for t in kept)
            total += (right - (len(kept) - right)) / max(len(asked), 1)
        return total

    return max(steps, key=utility)


def fit_spanish(turns: list[Turn], *, folds: int = FOLDS) -> tuple[dict[str, Any], float]:
    """Trees for Spanish turns, and their threshold.

    The English model scores right Spanish answers low: its similarity signals come from
    an English-only embedder, which reads Spanish poorly. These trees learn from the
    English dev turns and the Spanish set's dev turns, each source weighing the same;
    the threshold is the lowest at which the Spanish dev unanswerable questions are
    refused ``AIM_REFUSED`` of the time, on out-of-fold confidences (each fold's Spanish
    turns scored by trees that did not learn from them). The held-out Spanish turns are
    scored once, by the trees fitted on all of dev."""
    english = [t for t in turns if t.source in ENGLISH]
    spanish = [t for t in turns if t.source == SPANISH]
    dev = [t for t in spanish if t.split == "dev"]
    fold = {id(t): i % folds for i, t in enumerate(dev)}
    for k in range(folds):
        model = AnswerabilityModel.from_json(
            fit(english + [t for t in spanish if fold.get(id(t)) != k])
        )
        score([t for t in dev if fold[id(t)] == k], model)
    fitted = fit(english + spanish)
    score([t for t in spanish if t.split != "dev"], AnswerabilityModel.from_json(fitted))
    unanswerable = [t for t in dev if not t.answerable]
    for step in range(5, 96):
        threshold = step / 100
        refused = sum(not answered(t, threshold) for t in unanswerable)
        if refused >= AIM_REFUSED * len(unanswerable):
            return fitted, threshold
    return fitted, 0.95


def summary(turns: list[Turn], threshold: float) -> dict[str, dict[str, Any]]:
    """For each source and split: what the citizen would have got at ``threshold``."""
    out: dict[str, dict[str, Any]] = {}
    for source in sorted({t.source for t in turns}):
        for split in ("dev", "heldout"):
            asked = [t for t in turns if t.source == source and t.split == split]
            if not asked:
                continue
            kept = [t for t in asked if answered(t, threshold)]
            answerable = [t for t in asked if t.answerable]
            other = [t for t in asked if not t.answerable]
            n = max(len(kept), 1)
            out[f"{source}/{split}"] = {
                "questions": len(asked),
                "answered": round(len(kept) / len(asked), 4),
                "right_page_of_answered": round(sum(t.right_page for t in kept) / n, 4),
                "answerable_answered_right": round(
                    sum(t.right for t in kept) / max(len(answerable), 1), 4
                ),
                "useful": round(
                    sum(t.right and t.facts for t in kept) / max(len(answerable), 1), 4
                ),
                "unanswerable_refused": round(
                    sum(not answered(t, threshold) for t in other) / len(other), 4
                )
                if other
                else None,
            }
    return out


def reliability(turns: list[Turn], *, bins: int = 10) -> list[dict[str, Any]]:
    """Held-out answers by confidence bin: how many, and the share from a right page."""
    held = [t for t in turns if t.split == "heldout" and t.composed]
    curve = []
    for i in range(bins):
        low, high = i / bins, (i + 1) / bins
        inside = [
            t
            for t in held
            if low <= t.signals["confidence"] < high
            or (i == bins - 1 and t.signals["confidence"] == 1)
        ]
        right = sum(t.right for t in inside) / len(inside) if inside else None
        curve.append({"low": low, "high": high, "count": len(inside), "right": right})
    return curve


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a measurement script
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--doc2dial", type=Path, default=DOC2DIAL)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--report", type=Path, default=Path("reports/answer-model"))
    parser.add_argument(
        "--spanish-only",
        action="store_true",
        help="refit only the Spanish trees and threshold; keep the rest of the file",
    )
    parser.add_argument(
        "--sections-only",
        action="store_true",
        help="refit only the section weights; keep the answer trees and thresholds",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    current = load_answer_model(args.out if args.out.is_file() else None)
    if args.spanish_only:
        with collect(args.doc2dial, cache_dir=args.cache_dir, answer_model=args.out) as turns:
            spanish, spanish_threshold = fit_spanish(turns)
            result = summary([t for t in turns if t.source == SPANISH], spanish_threshold)
        data = {**current, "answerability_es": spanish, "spanish_min_confidence": spanish_threshold}
        args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n", "utf-8")
        print(json.dumps(result, indent=2))
        print(f"spanish_min_confidence {spanish_threshold:.2f}; model written to {args.out}")
        return
    if args.sections_only:
        with collect(
            args.doc2dial, cache_dir=args.cache_dir, sources=("doc2dial", "sample-kb")
        ) as turns:
            sections = fit_sections(turns)
            hits = section_hits(turns, sections)
        data = {
            **current,
            "sections_fitted": datetime.now(UTC).strftime("%Y-%m-%d"),
            "section_weights": sections,
        }
        args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n", "utf-8")
        print(json.dumps({"weights": sections, "best_section_holds_answer": hits}, indent=2))
        print(f"section weights written to {args.out}")
        return
    # The section weights first: a section's features do not depend on them, but the
    # answers (and so the answerability signals) do, so the turns are run again with the
    # fitted ones before the answerability model learns from them.
    with collect(
        args.doc2dial, cache_dir=args.cache_dir, sources=("doc2dial", "sample-kb")
    ) as turns:
        sections = fit_sections(turns)
        neutral = {name: float(name == "best_unit") for name in SECTION_FEATURES}
        section_report = {
            "weights": sections,
            "best_section_holds_answer": section_hits(turns, sections),
            "before_fitting": section_hits(turns, neutral),
        }
    with tempfile.TemporaryDirectory() as tmp:
        composer_only = Path(tmp) / "answer_model.json"
        composer_only.write_text(json.dumps({**current, "section_weights": sections}), "utf-8")
        with collect(args.doc2dial, cache_dir=args.cache_dir, answer_model=composer_only) as turns:
            spanish, spanish_threshold = fit_spanish(turns)
            spanish_result = summary([t for t in turns if t.source == SPANISH], spanish_threshold)
            turns = [t for t in turns if t.source in ENGLISH]
            fitted = fit(turns)
            # The threshold is chosen on out-of-fold confidences: scored by the trees
            # that learnt from them, the dev turns would look easier than new ones.
            score_out_of_fold(turns)
            threshold = choose_threshold(turns)
            result = {**summary(turns, threshold), **spanish_result}
            curve = reliability(turns)
    data = {
        "fitted": datetime.now(UTC).strftime("%Y-%m-%d"),
        "unit_weights": current["unit_weights"],
        "section_weights": sections,
        "answerability": fitted,
        "min_confidence": threshold,
        "answerability_es": spanish,
        "spanish_min_confidence": spanish_threshold,
    }
    args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n", "utf-8")
    args.report.mkdir(parents=True, exist_ok=True)
    report = {
        "min_confidence": threshold,
        "spanish_min_confidence": spanish_threshold,
        "summary": result,
        "sections": section_report,
        "reliability_heldout": curve,
    }
    (args.report / "answer_model.json").write_text(json.dumps(report, indent=2), "utf-8")
    print(json.dumps(report, indent=2))
    print(f"min_confidence {threshold:.2f}; model written to {args.out}")


if __name__ == "__main__":  # pragma: no cover
    main()

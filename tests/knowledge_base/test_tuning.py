"""Fine-tuning the embedding model: a tiny real run, loaded by both embedding backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.settings import _default_model_path
from knowledge_base.embeddings import OnnxEmbedder, SentenceTransformerEmbedder
from knowledge_base.tuning import (
    TrainingPair,
    TuningConfig,
    TuningError,
    training_rows,
    tune,
)

PAIRS = [
    TrainingPair(
        query="how do I renew my licence?",
        positive="Renew your driver's license online, by mail or at a DMV office.",
        negative="Pay a parking ticket online within 30 days.",
    ),
    TrainingPair(
        query="how much is it?",
        positive="A birth certificate costs $15 for the first copy.",
        history=("I need a copy of my birth certificate",),
        history_weight=0.8,
    ),
    TrainingPair(
        query="when is my trash picked up?",
        positive="Trash and recycling are collected once a week on your route's day.",
    ),
    TrainingPair(
        query="can I get help with rent?",
        positive="The rent relief program pays up to three months of back rent.",
    ),
]
PROBES = ["how much is a birth certificate?", "Trash is collected every Tuesday."]


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tuning") / "minilm-tuned-test"
    result = tune(
        Path(_default_model_path()),
        PAIRS,
        out,
        # A large step, so one step is enough to move the vectors measurably.
        config=TuningConfig(batch_size=4, max_steps=1, learning_rate=5e-4, warmup_ratio=0.0),
    )
    assert result.steps == 1 and result.pairs == 4
    assert result.with_history == 1 and result.with_negative == 1
    return result.model_dir


@pytest.mark.slow
def test_a_tuned_model_loads_and_its_vectors_differ_from_the_base(
    tuned: Path, tmp_path: Path
) -> None:
    assert (tuned / "modules.json").is_file()
    base = SentenceTransformerEmbedder(_default_model_path()).embed_documents(PROBES)
    after = SentenceTransformerEmbedder(tuned).embed_documents(PROBES)
    assert after.shape == base.shape
    cosines = np.sum(base * after, axis=1)
    assert np.all(cosines < 0.9999), cosines  # moved …
    assert np.all(cosines > 0.5), cosines  # … but still the same model, nudged

    onnx = OnnxEmbedder(tuned, cache_dir=tmp_path / "onnx").embed_documents(PROBES)
    assert np.all(np.sum(onnx * after, axis=1) > 0.98)  # the product's fast backend agrees


def test_a_tuning_refuses_an_existing_folder_and_too_few_pairs(tmp_path: Path) -> None:
    base = Path(_default_model_path())
    with pytest.raises(TuningError, match="already exists"):
        tune(base, PAIRS, tmp_path)
    with pytest.raises(TuningError, match="at least two"):
        tune(base, PAIRS[:1], tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_training_rows_fold_the_newest_messages_first() -> None:
    pair = TrainingPair(
        query="how much is it?",
        positive="It costs $15.",
        history=("oldest", "middle", "newest"),
        history_weight=0.8,
    )
    rows = training_rows([pair, PAIRS[2]], context_turns=2)
    assert list(rows) == ["query", "positive", "context_1", "context_2", "label"]
    assert (rows["context_1"][0], rows["context_2"][0]) == ("newest", "middle")
    assert rows["label"][0] == [0.8, 1.0, 0.5]
    assert rows["label"][1] == [0.0, 0.0, 0.0]  # no history: the question alone


def test_a_pair_needs_a_question_and_a_passage() -> None:
    with pytest.raises(ValueError, match="question and a passage"):
        TrainingPair(query=" ", positive="text")

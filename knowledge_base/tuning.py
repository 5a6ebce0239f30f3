"""Fine-tuning the embedding model on (question, passage) pairs, on CPU and offline.

The trainer is sentence-transformers' own (``SentenceTransformerTrainer``) with an
in-batch-negatives loss (:class:`MultipleNegativesRankingLoss`): every other passage in
a batch, plus an optional hard negative per pair, is a wrong answer to the question.

A follow-up ("how much is it?") is retrieved with the conversation folded into its
vector (see :meth:`knowledge_base.retriever.HybridRetriever.query_vector`): the question's
vector plus ``history_weight`` times the normalised, recency-weighted sum of the earlier
messages' vectors. :class:`FoldedQueryLoss` builds the query vector the same way inside
the training graph, so the model learns the vectors the product will actually search
with, not those of the question alone. The most recent ``context_turns`` earlier
messages are folded (the product folds up to ``history_turns``; older ones weigh 1/5
and less).

The result is an ordinary sentence-transformers model folder: point
``CA_EMBEDDING_MODEL`` at it (either embedding backend loads it); the next start
re-embeds the live index with it.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

QUERY = "query"
POSITIVE = "positive"
NEGATIVE = "negative"
LABEL = "label"


@dataclass(frozen=True, slots=True)
class TrainingPair:
    """A question as the retriever sees it, and the passage that answers it.

    ``history`` holds the earlier messages folded into the query (oldest first, as in
    :class:`~knowledge_base.retriever.RetrievalQuery`), ``history_weight`` how much they
    count for this question, and ``negative`` an optional passage ranked high that does
    not answer it.
    """

    query: str
    positive: str
    history: tuple[str, ...] = ()
    history_weight: float = 0.0
    negative: str | None = None

    def __post_init__(self) -> None:
        if not self.query.strip() or not self.positive.strip():
            raise ValueError("a training pair needs a question and a passage")
        if not 0.0 <= self.history_weight <= 1.0:
            raise ValueError("history_weight must be between 0 and 1")


@dataclass(frozen=True, slots=True)
class TuningConfig:
    """How long and how hard to train. The defaults suit MiniLM-L6 on two CPU cores."""

    epochs: int = 1
    batch_size: int = 16
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.1
    max_seq_length: int = 256
    context_turns: int = 4
    scale: float = 20.0
    max_steps: int = -1  # stop after this many steps (tests); -1 trains every epoch
    seed: int = 0
    threads: int = 0  # torch CPU threads; 0 leaves torch's default

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 2:
            raise ValueError("train at least one epoch, with at least two pairs a batch")
        if not 0 < self.learning_rate < 1:
            raise ValueError("learning_rate must be between 0 and 1")
        if not 16 <= self.max_seq_length <= 512:
            raise ValueError("max_seq_length must be between 16 and 512 tokens")
        if self.context_turns < 0:
            raise ValueError("context_turns cannot be negative")


@dataclass(frozen=True, slots=True)
class TuningResult:
    model_dir: Path
    pairs: int
    with_history: int
    with_negative: int
    steps: int
    seconds: float
    final_loss: float | None = None
    log: list[dict[str, float]] = field(default_factory=list)


class TuningError(ValueError):
    """The tuning cannot start (no pairs, an output folder in the way, a bad base model)."""


def context_columns(turns: int) -> list[str]:
    return [f"context_{i}" for i in range(1, turns + 1)]


def training_rows(
    pairs: Sequence[TrainingPair], *, context_turns: int, seed: int = 0
) -> dict[str, list[Any]]:
    """The dataset columns: query, positive, [negative], context_1..k and the fold label.

    ``label`` is ``[history_weight, 1, 1/2, …]`` with 0 for a missing context slot; a
    missing slot repeats the question (the batch sampler treats equal texts across rows
    as duplicates, so an empty string shared by many rows would keep them apart).
    """
    with_negative = any(p.negative for p in pairs)
    rng = random.Random(seed)
    rows: dict[str, list[Any]] = {QUERY: [], POSITIVE: []}
    if with_negative:
        rows[NEGATIVE] = []
    columns = context_columns(context_turns)
    for name in columns:
        rows[name] = []
    rows[LABEL] = []
    for pair in pairs:
        rows[QUERY].append(pair.query)
        rows[POSITIVE].append(pair.positive)
        if with_negative:
            negative = pair.negative
            while not negative or negative == pair.positive:
                negative = rng.choice(pairs).positive  # another question's passage
                if len({p.positive for p in pairs}) < 2:
                    break
            rows[NEGATIVE].append(negative)
        recent = list(reversed(pair.history))[:context_turns]  # newest first
        weights = [pair.history_weight if recent else 0.0]
        for age, name in enumerate(columns):
            if age < len(recent):
                rows[name].append(recent[age])
                weights.append(1.0 / (age + 1))
            else:
                rows[name].append(pair.query)
                weights.append(0.0)
        rows[LABEL].append(weights)
    return rows


def make_folded_query_loss(model: Any, *, documents: int, contexts: int, scale: float) -> Any:
    """The in-batch-negatives loss over query vectors folded as the retriever folds them."""
    import torch
    from sentence_transformers.base.losses.merged_forward import embed_columns
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    class FoldedQueryLoss(MultipleNegativesRankingLoss):
        def forward(
            self, sentence_features: Iterable[dict[str, torch.Tensor]], labels: torch.Tensor
        ) -> torch.Tensor:
            features = list(sentence_features)
            query_and_docs = embed_columns(self.model, features[: 1 + documents])
            normalise = torch.nn.functional.normalize
            query = normalise(query_and_docs[0], dim=-1)
            if contexts:
                context_vectors = embed_columns(
                    self.model, features[1 + documents :], separate_first=False
                )
                stacked = torch.stack([normalise(v, dim=-1) for v in context_vectors], dim=1)
                weights = labels[:, 1:].to(stacked.dtype)
                context = (stacked * weights.unsqueeze(-1)).sum(dim=1)
                norm = context.norm(dim=-1, keepdim=True)
                context = torch.where(norm > 0, context / norm.clamp_min(1e-12), context)
                query = normalise(query + labels[:, :1].to(query.dtype) * context, dim=-1)
            return self.compute_loss_from_embeddings([query, *query_and_docs[1:]], labels)

    return FoldedQueryLoss(model, scale=scale)


def _write_legacy_pooling_config(folder: Path) -> None:
    """Write the pooling config with the classic keys, as the bundled model has it.

    sentence-transformers 6 saves ``{embedding_dimension, pooling_mode}``, which the
    ONNX backend (:class:`~knowledge_base.embeddings.OnnxEmbedder`) does not read; the
    classic ``word_embedding_dimension`` / ``pooling_mode_*_tokens`` keys are read by
    both it and sentence-transformers (which converts them when loading).
    """
    path = folder / "1_Pooling" / "config.json"
    if not path.is_file():
        return
    config = json.loads(path.read_text(encoding="utf-8"))
    if "word_embedding_dimension" in config or "embedding_dimension" not in config:
        return
    mode = config.get("pooling_mode", "mean")
    modes = {mode} if isinstance(mode, str) else set(mode)
    if not modes <= {"cls", "mean", "max", "mean_sqrt_len_tokens"}:
        return  # no classic key for it (and the ONNX backend takes mean pooling only)
    legacy = {
        "word_embedding_dimension": int(config["embedding_dimension"]),
        "pooling_mode_cls_token": "cls" in modes,
        "pooling_mode_mean_tokens": "mean" in modes,
        "pooling_mode_max_tokens": "max" in modes,
        "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens" in modes,
        "include_prompt": bool(config.get("include_prompt", True)),
    }
    path.write_text(json.dumps(legacy, indent=2) + "\n", encoding="utf-8")


def tune(
    base_model: Path,
    pairs: Sequence[TrainingPair],
    out: Path,
    *,
    config: TuningConfig | None = None,
    show_progress: bool = False,
) -> TuningResult:
    """Fine-tune ``base_model`` on ``pairs`` and save the model folder at ``out``.

    The folder appears whole or not at all (trained into a temporary sibling, renamed).
    """
    config = config or TuningConfig()
    if len(pairs) < 2:
        raise TuningError(
            f"{len(pairs)} usable pair(s): at least two are needed (each batch uses the "
            "other pairs' passages as wrong answers)."
        )
    if out.exists():
        raise TuningError(f"{out} already exists: choose a new folder, the old model stays.")
    if not (base_model / "modules.json").is_file():
        raise TuningError(f"{base_model} is not a sentence-transformers model folder.")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("WANDB_DISABLED", "true")
    import torch
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.base.sampler import BatchSamplers

    if config.threads:
        torch.set_num_threads(config.threads)
    started = time.perf_counter()
    model = SentenceTransformer(str(base_model), device="cpu", local_files_only=True)
    model.max_seq_length = config.max_seq_length
    rows = training_rows(pairs, context_turns=config.context_turns, seed=config.seed)
    dataset = Dataset.from_dict(rows)
    loss = make_folded_query_loss(
        model,
        documents=2 if NEGATIVE in rows else 1,
        contexts=config.context_turns,
        scale=config.scale,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    with tempfile.TemporaryDirectory(prefix="ca-tune-") as scratch:
        args = SentenceTransformerTrainingArguments(
            output_dir=scratch,
            num_train_epochs=config.epochs,
            max_steps=config.max_steps,
            per_device_train_batch_size=config.batch_size,
            learning_rate=config.learning_rate,
            warmup_steps=config.warmup_ratio,  # a float below 1 is a share of the steps
            batch_sampler=BatchSamplers.NO_DUPLICATES,
            save_strategy="no",
            report_to="none",
            logging_steps=10,
            use_cpu=True,
            seed=config.seed,
            disable_tqdm=not show_progress,
            dataloader_num_workers=0,
        )
        trainer = SentenceTransformerTrainer(
            model=model, args=args, train_dataset=dataset, loss=loss
        )
        output = trainer.train()
        history = [
            {k: float(v) for k, v in entry.items() if isinstance(v, int | float)}
            for entry in trainer.state.log_history
        ]
    losses = [e["loss"] for e in history if "loss" in e]
    try:
        model.save(str(partial))
        _write_legacy_pooling_config(partial)
        os.replace(partial, out)
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    return TuningResult(
        model_dir=out,
        pairs=len(pairs),
        with_history=sum(1 for p in pairs if p.history and p.history_weight > 0),
        with_negative=sum(1 for p in pairs if p.negative),
        steps=int(output.global_step),
        seconds=time.perf_counter() - started,
        final_loss=losses[-1] if losses else float(output.training_loss),
        log=history,
    )

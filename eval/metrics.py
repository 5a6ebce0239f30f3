"""Retrieval and answer metrics, as defined in ``shared/datasets/doc2dial/README.md``.

- Document recall@k: the gold document owns one of the top ``k`` passages.
- Passage recall@k: one of the top ``k`` passages overlaps the gold span ``[start, end)``.
- MRR@10: mean of ``1 / rank`` of the first overlapping passage in the top 10 (0 if none).
- Token F1: SQuAD-style bag-of-words F1 between a reply and the gold text.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KS = (1, 5, 10)
METRICS = (
    "doc_r@1",
    "doc_r@5",
    "doc_r@10",
    "passage_r@1",
    "passage_r@5",
    "passage_r@10",
    "mrr@10",
)

_CITATION = re.compile(r"\s*\[\d+\]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans(dict.fromkeys(string.punctuation + "…’‘“”", " "))


@dataclass(frozen=True, slots=True)
class RankedPassage:
    """A retrieved passage as scoring sees it: its document and raw ``[start, end)``."""

    doc_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Gold:
    doc_id: str
    start: int
    end: int


def overlaps(passage: RankedPassage, gold: Gold) -> bool:
    """Same document and the half-open ranges share at least one character."""
    return passage.doc_id == gold.doc_id and passage.start < gold.end and gold.start < passage.end


def first_doc_rank(ranking: Sequence[RankedPassage], gold: Gold) -> int | None:
    """1-based rank of the gold document's best passage, or None."""
    for rank, passage in enumerate(ranking, start=1):
        if passage.doc_id == gold.doc_id:
            return rank
    return None


def first_passage_rank(ranking: Sequence[RankedPassage], gold: Gold) -> int | None:
    """1-based rank of the first passage overlapping the gold span, or None."""
    for rank, passage in enumerate(ranking, start=1):
        if overlaps(passage, gold):
            return rank
    return None


def question_scores(ranking: Sequence[RankedPassage], gold: Gold) -> dict[str, float]:
    """Every metric of :data:`METRICS` for one question (each 0 or 1, MRR in [0, 1])."""
    doc_rank = first_doc_rank(ranking, gold)
    passage_rank = first_passage_rank(ranking, gold)
    scores: dict[str, float] = {}
    for k in KS:
        scores[f"doc_r@{k}"] = float(doc_rank is not None and doc_rank <= k)
    for k in KS:
        scores[f"passage_r@{k}"] = float(passage_rank is not None and passage_rank <= k)
    scores["mrr@10"] = 1.0 / passage_rank if passage_rank is not None and passage_rank <= 10 else 0
    return scores


def mean_scores(per_question: Iterable[dict[str, float]]) -> dict[str, float]:
    """The mean of each metric over questions (0 for every metric when there are none)."""
    rows = list(per_question)
    if not rows:
        return dict.fromkeys(METRICS, 0.0)
    return {metric: sum(row[metric] for row in rows) / len(rows) for metric in METRICS}


def strip_citations(text: str) -> str:
    """A reply without its ``[n]`` citation markers."""
    return _CITATION.sub("", text).strip()


def answer_tokens(text: str) -> list[str]:
    """Lower-cased words without punctuation or articles (the SQuAD normalisation)."""
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION))
    return text.split()


def token_recall(prediction: str, reference: str) -> float:
    """Share of the reference's tokens (with multiplicity) that the prediction contains.

    Once an answer quotes a whole list, recall says more than F1 whether the gold span
    is in it: F1 also charges for every other item of the list.
    """
    expected = answer_tokens(reference)
    if not expected:
        return float(not answer_tokens(prediction))
    common = sum((Counter(answer_tokens(prediction)) & Counter(expected)).values())
    return common / len(expected)


def token_f1(prediction: str, reference: str) -> float:
    """Harmonic mean of token precision and recall (1 when both are empty)."""
    predicted = answer_tokens(prediction)
    expected = answer_tokens(reference)
    if not predicted or not expected:
        return float(predicted == expected)
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision = common / len(predicted)
    recall = common / len(expected)
    return 2 * precision * recall / (precision + recall)

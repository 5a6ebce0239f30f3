"""Should the assistant answer, or say it does not know? One estimate from many signals.

A single similarity threshold barely separates right answers from wrong ones: a
question about passports sits close in meaning to the REAL ID page, which even
mentions passports, and a follow-up like "how long do the payments last?" shares few
words with the page that answers it. So the decision reads several signals that fail
in different ways — whether the dense and the lexical rankings agree on the page (a
lexical-only hit with no dense support is suspect), the margin to the next page, how
much of the question's vocabulary the page, its headings and the answer itself
contain, the rarest word of the question that the page lacks, whether the kind of
answer asked for ("how much" → an amount) is there — and combines them with
gradient-boosted trees fitted on labelled questions (``eval/answer_model.py``:
doc2dial dialogues and the bundled knowledge base's own questions, each also asked of
a knowledge base without their page). Its output is the turn's ``confidence``: the
estimated chance that the answer is from a right page.

Measured on held-out questions, these signals together separate right answers from
wrong or impossible ones far better than the best single one (AUC about 0.82 on
doc2dial and 0.85–0.9 on the bundled set, against 0.70–0.76 for the fused retrieval
score alone), but not perfectly: see the README's quality figures.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.answer_types import AnswerType, expected_types, gives, without_street_names
from knowledge_base.lexical_index import tokenize
from knowledge_base.terms import Rarity, content_terms, filler_words

if TYPE_CHECKING:
    from assistant.turns import TurnContext
    from knowledge_base.retriever import RetrievalResult

__all__ = [
    "SIGNALS",
    "AnswerabilityModel",
    "Estimator",
    "answer_signals",
    "follow_up_context",
    "load_answer_model",
    "page_first",
    "rival_pages",
]

SIGNALS = (
    "fused",  # the top passage's fused (reciprocal-rank) score, times 100
    "doc_margin",  # ... minus the best score of any other page in its language, times 100
    "dense_agrees",  # 1 / (1 + best rank of the page in the dense ranking of the question)
    "lexical_agrees",  # ... in the lexical (BM25) ranking of the question
    "question_cosine",  # best cosine of the question alone to the page's retrieved passages
    "context_cosine",  # the top passage's cosine to the question in its conversation
    "page_coverage",  # rarity-weighted share of the question's words the page contains
    "heading_coverage",  # ... that the page title and the answer's headings contain
    "answer_coverage",  # ... that the answer itself contains
    "missing_rarity",  # rarity (0-1) of the rarest question word the page lacks but
    # another page has
    "unknown_share",  # share of the question's words that no page has (misspellings aside)
    "standalone_cosine",  # question_cosine, or for a follow-up context_cosine
    "phrase_coverage",  # share of the question's word pairs ("rent control", "death
    # certificate") that stand together on the page, side by side or in one sentence, list
    # item or heading (1 when it has none; the composer works it out, from the page it read)
    "phrase_count",  # log(1 + number of such pairs in the question)
    "same_page",  # the conversation's last answer came from this page too
    "turns",  # log(1 + earlier messages in the conversation)
    "asks_type",  # the question asks for a kind of answer (amount, time, place, ...)
    "gives_type",  # ... and the answer gives it
    "follow_up",  # the question leans on the conversation for its topic
    "unit_score",  # the composer's score of the best unit
    "question_words",  # log(1 + number of content words in the question)
    "coverage_margin",  # page_coverage minus the best of the other retrieved pages in its
    # language: "I need help with SNAP" names the SNAP page's subject, the legal-help page
    # ranked beside it does not, though their fused scores tie
    "title_coverage",  # rarity-weighted share of the question's words in the page title
)


# The other pages compared for ``coverage_margin``: the next few retrieved ones.
_RIVALS = 3


class Estimator(Protocol):
    """Anything that turns a turn's signals into the chance its answer is right."""

    def probability(self, signals: dict[str, float]) -> float: ...


@dataclass(frozen=True, slots=True)
class _Tree:
    """One regression tree: node ``i`` splits on ``feature[i] <= threshold[i]`` (left) or
    is a leaf (``left[i] == -1``) worth ``value[i]``."""

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class _Forest:
    """Every tree's nodes in one set of arrays, walked a level at a time for all trees at
    once: 300 trees a turn, one by one in Python, took ~0.3 ms of a turn's CPU. A leaf
    points to itself, so a walk of the deepest tree's depth ends on every tree's leaf."""

    root: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int

    @classmethod
    def of(cls, trees: tuple[_Tree, ...]) -> _Forest:
        root: list[int] = []
        feature: list[int] = []
        left: list[int] = []
        right: list[int] = []
        threshold: list[float] = []
        value: list[float] = []
        depth = 0
        for tree in trees:
            base = len(feature)
            root.append(base)
            for i, child in enumerate(tree.left):
                leaf = child == -1
                feature.append(0 if leaf else tree.feature[i])
                threshold.append(tree.threshold[i])
                left.append(base + (i if leaf else child))
                right.append(base + (i if leaf else tree.right[i]))
                value.append(tree.value[i])
            depth = max(depth, _depth(tree))
        return cls(
            root=np.asarray(root, dtype=np.int64),
            feature=np.asarray(feature, dtype=np.int64),
            threshold=np.asarray(threshold, dtype=np.float64),
            left=np.asarray(left, dtype=np.int64),
            right=np.asarray(right, dtype=np.int64),
            value=np.asarray(value, dtype=np.float64),
            depth=depth,
        )

    def leaf_values(self, x: np.ndarray) -> list[float]:
        """Each tree's leaf value for signals ``x``, in tree order (summed in that order,
        as one tree after another always was, so a probability is the same to the bit)."""
        node = self.root
        for _ in range(self.depth):
            node = np.where(
                x[self.feature[node]] <= self.threshold[node], self.left[node], self.right[node]
            )
        values: list[float] = self.value[node].tolist()
        return values


def _depth(tree: _Tree, node: int = 0) -> int:
    if tree.left[node] == -1:
        return 0
    return 1 + max(_depth(tree, tree.left[node]), _depth(tree, tree.right[node]))


@dataclass(frozen=True, slots=True)
class AnswerabilityModel:
    """Gradient-boosted trees over named signals (fitted with scikit-learn's
    ``GradientBoostingClassifier`` by ``eval/answer_model.py`` and stored as plain JSON,
    so answering needs neither scikit-learn nor a pickle):
    ``P(right) = sigmoid(bias + learning_rate × Σ tree(signals))``.

    Trees rather than one weighted sum, because the signals mean different things in
    different turns: a low question cosine is fine for a follow-up that leans on the
    conversation, and an unknown word matters when it is the thing asked about.

    The model reads the signals it was fitted on, by name: a model fitted before a
    signal was added still decides as fitted; one naming a signal this code does not
    compute is refused.
    """

    signals: tuple[str, ...]
    bias: float
    learning_rate: float
    trees: tuple[_Tree, ...]
    _forest: _Forest = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.trees:
            raise ValueError("an answerability model needs at least one tree")
        unknown = sorted(set(self.signals) - set(SIGNALS))
        if unknown:
            raise ValueError(
                f"the answer model was fitted on other signals ({', '.join(unknown)}); "
                "refit it with `python -m eval.answer_model`"
            )
        for tree in self.trees:
            if (
                not len(tree.feature)
                == len(tree.threshold)
                == len(tree.left)
                == len(tree.right)
                == len(tree.value)
            ):
                raise ValueError("a tree's node arrays differ in length")
            splits = (f for f, child in zip(tree.feature, tree.left, strict=True) if child != -1)
            if any(f >= len(self.signals) for f in splits):
                raise ValueError("a tree splits on a signal the model does not know")
        object.__setattr__(self, "_forest", _Forest.of(self.trees))

    def probability(self, signals: dict[str, float]) -> float:
        x = np.array([float(signals.get(name, 0.0)) for name in self.signals], dtype=np.float64)
        z = self.bias + self.learning_rate * sum(self._forest.leaf_values(x))
        return float(1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0))))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnswerabilityModel:
        return cls(
            signals=tuple(str(name) for name in data["signals"]),
            bias=float(data["bias"]),
            learning_rate=float(data["learning_rate"]),
            trees=tuple(
                _Tree(
                    feature=tuple(int(v) for v in t["feature"]),
                    threshold=tuple(float(v) for v in t["threshold"]),
                    left=tuple(int(v) for v in t["left"]),
                    right=tuple(int(v) for v in t["right"]),
                    value=tuple(float(v) for v in t["value"]),
                )
                for t in data["trees"]
            ),
        )


def load_answer_model(path: Path | None = None) -> dict[str, Any]:
    """The fitted weights: the packaged ``answer_model.json``, or the file at ``path``.

    A dict on purpose: the JSON document as ``eval.answer_model`` writes it, passed whole
    to the parts that each read their section (``AnswerabilityModel.from_json``, the unit
    weights, ``min_confidence``); each of those is typed where it is read.
    """
    if path is not None:
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    else:
        data = json.loads(
            resources.files("assistant").joinpath("answer_model.json").read_text("utf-8")
        )
    return data


def answer_signals(ctx: TurnContext) -> dict[str, float]:
    """The signals of :data:`SIGNALS` for a turn with a retrieval and a composed answer.

    Nothing is embedded here (a cold turn pays for no extra model run): the vectors are
    the retrieval's, the page's words and phrases the composer's.
    """
    retrieval, answer = ctx.retrieval, ctx.answer
    assert retrieval is not None and answer is not None and retrieval.snapshot is not None
    snapshot = retrieval.snapshot
    hits = retrieval.hits
    doc_id = answer.doc_id or hits[0].chunk.doc_id
    own = [i for i, h in enumerate(hits) if h.chunk.doc_id == doc_id]
    # A page in another language (the Spanish SNAP page beside the English one) is the
    # same service said otherwise, not another answer the question might have meant.
    language = hits[own[0]].chunk.language if own else hits[0].chunk.language
    others = [h.score for h in hits if h.chunk.doc_id != doc_id and h.chunk.language == language]
    dense = [r for i in own if (r := hits[i].dense_rank) is not None]
    lexical = [r for i in own if (r := hits[i].lexical_rank) is not None]
    question_cosine = 0.0
    if retrieval.hit_vectors is not None and retrieval.question_vector is not None and own:
        question_cosine = float(np.max(retrieval.hit_vectors[own] @ retrieval.question_vector))
    context = follow_up_context(ctx)
    words = tokenize([f"{without_street_names(ctx.text)} {context}"])[0]
    terms = frozenset(snapshot.speller.correct([w for w in words if w not in filler_words()]))
    rarity = Rarity(snapshot.term_document_frequency, snapshot.term_passages)
    page = snapshot.document_terms(doc_id)
    title = hits[own[0]].chunk.title if own else ""
    headings = frozenset(tokenize([" ".join([title, *answer.section[1:]])])[0])
    quoted = frozenset(tokenize([answer.text])[0])
    known = {t for t in terms if t in snapshot.term_document_frequency}
    missing = [rarity(t) for t in known - page]
    kinds = expected_types(ctx.text)
    rivals = dict.fromkeys(
        h.chunk.doc_id for h in hits if h.chunk.doc_id != doc_id and h.chunk.language == language
    )
    rival_coverage = max(
        (rarity.share(terms, snapshot.document_terms(d)) for d in list(rivals)[:_RIVALS]),
        default=0.0,
    )
    page_coverage = rarity.share(terms, page)
    best_score = max((h.score for i, h in enumerate(hits) if i in own), default=0.0)
    return {
        "fused": 100 * best_score,
        "doc_margin": 100 * (best_score - max(others, default=0.0)),
        "dense_agrees": 1 / (1 + min(dense)) if dense else 0.0,
        "lexical_agrees": 1 / (1 + min(lexical)) if lexical else 0.0,
        "question_cosine": question_cosine,
        "context_cosine": float(hits[0].cosine),
        "page_coverage": page_coverage,
        "heading_coverage": rarity.share(terms, headings),
        "answer_coverage": rarity.share(terms, quoted),
        "missing_rarity": max(missing, default=0.0) / rarity.ceiling,
        "unknown_share": len(terms - known) / len(terms) if terms else 0.0,
        "standalone_cosine": float(hits[0].cosine) if context else question_cosine,
        "phrase_coverage": answer.signals.get("phrase_coverage", 1.0),
        "phrase_count": answer.signals.get("phrase_count", 0.0),
        "same_page": float(doc_id in _last_answered_pages(ctx)),
        "turns": math.log1p(len(ctx.history)),
        "asks_type": float(bool(kinds - {AnswerType.PROBLEM})),
        "gives_type": float(any(gives(k, answer.text) for k in kinds - {AnswerType.PROBLEM})),
        "follow_up": float(bool(context)),
        "unit_score": answer.signals.get("unit_score", 0.0),
        "question_words": math.log1p(len(terms)),
        "coverage_margin": page_coverage - rival_coverage,
        "title_coverage": rarity.share(terms, frozenset(tokenize([title])[0])),
    }


def rival_pages(
    retrieval: RetrievalResult, doc_id: str, *, doc_margin: float, near: float
) -> dict[str, float]:
    """The other pages worth weighing against ``doc_id``'s answer, each with the margin
    (the ``doc_margin`` signal) to weigh it with: the next page when it is within
    ``near`` of the top one (a near tie: both weighed with the same margin), and the
    page the dense ranking puts first, when the fusion put another page above it
    ("certified copy of deed": the property-records page, behind the death-certificate
    page that shares "certified copy"; weighed as a tie). Only pages in ``doc_id``'s
    language."""
    hits = retrieval.hits
    language = next((h.chunk.language for h in hits if h.chunk.doc_id == doc_id), None)
    others = [h for h in hits if h.chunk.doc_id != doc_id and h.chunk.language == language]
    rivals: dict[str, float] = {}
    if others and doc_margin < near:
        rivals[others[0].chunk.doc_id] = abs(doc_margin)
    ranked = [h for h in hits if h.dense_rank is not None and h.chunk.language == language]
    if ranked:
        first = min(ranked, key=lambda h: h.dense_rank or 0).chunk.doc_id
        if first != doc_id:
            rivals.setdefault(first, 0.0)
    return rivals


def page_first(retrieval: RetrievalResult, doc_id: str) -> RetrievalResult:
    """The retrieval with ``doc_id``'s hits first (each list in its own order): what the
    composer answers from is the first hit's page."""
    hits = retrieval.hits
    order = [i for i, h in enumerate(hits) if h.chunk.doc_id == doc_id]
    order += [i for i, h in enumerate(hits) if h.chunk.doc_id != doc_id]
    vectors = retrieval.hit_vectors[order] if retrieval.hit_vectors is not None else None
    return replace(retrieval, hits=[hits[i] for i in order], hit_vectors=vectors)


def _last_answered_pages(ctx: TurnContext) -> tuple[str, ...]:
    for turn in reversed(ctx.history):
        if turn.role == "assistant" and turn.status == "answered":
            return turn.cited_docs
    return ()


def follow_up_context(ctx: TurnContext) -> str:
    """For a question with too few words of its own to name a topic ("how much does it
    cost?"), the question the last answer answered, else the citizen's latest message
    that names a topic ("great, thanks" to a caseworker does not); empty otherwise."""
    if len(content_terms(ctx.text)) >= 2:
        return ""
    history = ctx.history
    for i in range(len(history) - 1, 0, -1):
        if history[i].status == "answered" and history[i - 1].role == "citizen":
            return history[i - 1].text
    for text in reversed(ctx.citizen_history):
        if len(content_terms(text)) >= 2:
            return text
    return ""

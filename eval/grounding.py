"""Choosing the support threshold for generated sentences, on doc2dial.

doc2dial's agent turns were written by people, in their own words, from one span of one
document: a fair stand-in for what a model writes from a cited source. Each agent reply
is paired with

- the passage that holds its grounding span (supported), and
- another passage of the same document that does not overlap it, and a passage of
  another document of the same site (both unsupported: the hard and the easy kind),

and :class:`assistant.grounding.SupportCheck` scores every pair. The threshold is the
one that best separates the two (Youden's J) on half A of the dialogues; half B reports
how it does on replies it was not chosen on. Passages are the document's paragraphs
joined up to the index's passage length, as the index cuts them.

    python -m eval.grounding [--report DIR]
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.grounding import SupportCheck
from assistant.settings import Settings
from eval.doc2dial import Question, dialogue_half, load_questions, load_raw_texts
from knowledge_base.documents import Chunk

DATASET = Path("/work/shared/datasets/doc2dial")


@dataclass(frozen=True, slots=True)
class Pair:
    reply: str
    passage: Chunk
    supported: bool
    half: str
    kind: str  # "gold" | "same_document" | "other_document"


def passages(doc_id: str, text: str, size: int) -> list[Chunk]:
    """The document's paragraphs, joined while they fit in ``size`` characters."""
    found: list[Chunk] = []
    start = 0
    position = 0
    for paragraph in text.split("\n\n"):
        end = position + len(paragraph)
        if end - start > size and position > start:
            found.append(_chunk(doc_id, text, start, position))
            start = position
        position = end + 2
    found.append(_chunk(doc_id, text, start, len(text)))
    return [c for c in found if c.text.strip()]


def _chunk(doc_id: str, text: str, start: int, end: int) -> Chunk:
    return Chunk(
        chunk_id=f"{doc_id}:{start}",
        doc_id=doc_id,
        text=text[start:end].strip(),
        start=start,
        end=end,
        section_path=(),
        title="",
    )


def replies(questions: list[Question]) -> list[tuple[Question, str]]:
    """Each question with the agent's reply to it (the next turn of its dialogue)."""
    by_turn = {(q.dial_id, q.turn_id): q for q in questions}
    found = []
    for q in questions:
        following = [n for (d, t), n in by_turn.items() if d == q.dial_id and t > q.turn_id]
        if not following:
            continue
        after = min(following, key=lambda n: n.turn_id)
        history = after.history
        for i in range(len(history) - 1):
            if history[i].role == "user" and history[i].text == q.question:
                if history[i + 1].role == "agent":
                    found.append((q, history[i + 1].text))
                break
    return found


def build_pairs(dataset: Path, size: int, seed: int = 7) -> list[Pair]:
    texts = load_raw_texts(dataset / "documents.jsonl")
    questions = load_questions(dataset / "dev.jsonl")
    domains = {q.gold.doc_id: q.domain for q in questions}
    cut = {doc_id: passages(doc_id, text, size) for doc_id, text in texts.items()}
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for q, reply in replies(questions):
        doc = cut[q.gold.doc_id]
        gold = [c for c in doc if c.start < q.gold.end and q.gold.start < c.end]
        if not gold:
            continue
        best = max(gold, key=lambda c: min(c.end, q.gold.end) - max(c.start, q.gold.start))
        half = dialogue_half(q.dial_id)
        pairs.append(Pair(reply, best, True, half, "gold"))
        others = [c for c in doc if c not in gold]
        if others:
            pairs.append(Pair(reply, rng.choice(others), False, half, "same_document"))
        elsewhere = [d for d in cut if d != q.gold.doc_id and domains.get(d, q.domain) == q.domain]
        pairs.append(
            Pair(reply, rng.choice(cut[rng.choice(elsewhere)]), False, half, "other_document")
        )
    return pairs


def choose(scores: np.ndarray, labels: np.ndarray) -> float:
    """The threshold with the best Youden's J (true-positive minus false-positive rate)."""
    candidates = np.unique(np.round(scores, 3))
    best, best_j = 0.5, -1.0
    for t in candidates:
        passed = scores >= t
        j = passed[labels].mean() - passed[~labels].mean()
        if j > best_j:
            best, best_j = float(t), float(j)
    return best


def rates(scores: np.ndarray, labels: np.ndarray, kinds: np.ndarray, threshold: float) -> dict:
    passed = scores >= threshold
    return {
        "supported_kept": round(float(passed[labels].mean()), 3),
        "unsupported_passed": round(float(passed[~labels].mean()), 3),
        "same_document_passed": round(float(passed[kinds == "same_document"].mean()), 3),
        "other_document_passed": round(float(passed[kinds == "other_document"].mean()), 3),
        "pairs": len(scores),
    }


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a measurement script
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=None, help="keep embeddings here")
    args = parser.parse_args(argv)
    from assistant.container import Container
    from assistant.grounding import split_sentences
    from eval.embedding_cache import CachingEmbedder

    settings = Settings()
    embedder = CachingEmbedder(Container(settings).embedder, args.cache)
    check = SupportCheck(embedder)
    pairs = build_pairs(args.dataset, settings.chunk_size)
    texts = {p.reply for p in pairs}
    for p in {p.passage for p in pairs}:
        texts.update([p.text, *split_sentences(p.text)])
    embedder.prefill(sorted(texts))
    embedder.save()
    scores = np.array(
        [float(check.scores([p.reply], [p.passage])[0, 0]) for p in pairs], dtype=np.float32
    )
    labels = np.array([p.supported for p in pairs])
    kinds = np.array([p.kind for p in pairs])
    halves = np.array([p.half for p in pairs])
    a, b = halves == "A", halves == "B"
    threshold = choose(scores[a], labels[a])
    report = {
        "threshold": threshold,
        "chosen_on_half_A": rates(scores[a], labels[a], kinds[a], threshold),
        "half_B": rates(scores[b], labels[b], kinds[b], threshold),
        "half_B_by_threshold": {
            f"{t:.2f}": rates(scores[b], labels[b], kinds[b], t)
            for t in np.arange(0.40, 0.71, 0.05)
        },
    }
    print(json.dumps(report, indent=2))
    if args.report:
        args.report.mkdir(parents=True, exist_ok=True)
        (args.report / "grounding.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":  # pragma: no cover
    main()

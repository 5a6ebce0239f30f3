"""Training pairs for ``citizen-assistant tune --pairs``: doc2dial-shaped questions.

Each question's positive is the product's own passage (chunk) that overlaps its gold
span most, in a knowledge base built from the corpus with the product's own parts (see
:mod:`eval.knowledge`); its query is the product's retrieval query, the dialogue
replayed as :mod:`eval.conversation` does for ``eval retrieval``. The optional hard
negative is the product's own best-ranked passage that does not overlap the gold span.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.conversation import ConversationReplayer
from eval.doc2dial import Question, load_questions, split_halves
from eval.knowledge import EvalKnowledgeBase, build_knowledge_base
from knowledge_base.tuning import TrainingPair


@dataclass(slots=True)
class PairsFromQuestions:
    pairs: list[TrainingPair]
    questions: int
    no_passage: int  # the gold document or span is not in the corpus's passages


def _overlap(start: int, end: int, gold_start: int, gold_end: int) -> int:
    return max(0, min(end, gold_end) - max(start, gold_start))


def gold_row(kb: EvalKnowledgeBase, question: Question) -> int | None:
    """The passage overlapping the gold span most (None when none overlaps it)."""
    gold = question.gold
    best, best_overlap = None, 0
    for row, passage in enumerate(kb.passages):
        if passage.doc_id != gold.doc_id:
            continue
        overlap = _overlap(passage.start, passage.end, gold.start, gold.end)
        if overlap > best_overlap:
            best, best_overlap = row, overlap
    return best


def pairs_from_knowledge_base(
    kb: EvalKnowledgeBase, questions: Sequence[Question], *, hard_negatives: bool = True
) -> PairsFromQuestions:
    settings = kb.container.settings
    retriever = kb.container.retriever
    replayer = ConversationReplayer(
        retriever=retriever,
        snapshot=kb.snapshot,
        history_turns=settings.history_turns,
        session_history_turns=settings.session_history_turns,
    )
    chunks = kb.snapshot.chunks
    pairs: list[TrainingPair] = []
    missing = 0
    for question in questions:
        row = gold_row(kb, question)
        if row is None:
            missing += 1
            continue
        query = replayer.query(question.history, question.question)
        negative = None
        if hard_negatives:
            gold = question.gold
            for hit in retriever.retrieve_from(kb.snapshot, query, k=10).hits:
                passage = kb.passages[hit.row]
                if hit.row != row and not (
                    passage.doc_id == gold.doc_id
                    and _overlap(passage.start, passage.end, gold.start, gold.end)
                ):
                    negative = chunks[hit.row].text
                    break
        pairs.append(
            TrainingPair(
                query=query.text,
                positive=chunks[row].text,
                history=tuple(query.history),
                history_weight=retriever.history_weight(query, kb.snapshot)
                if query.history
                else 0.0,
                negative=negative,
            )
        )
    return PairsFromQuestions(pairs=pairs, questions=len(questions), no_passage=missing)


def pairs_from_questions(
    questions_file: Path,
    corpus: Path,
    *,
    half: str | None = None,
    hard_negatives: bool = True,
    show_progress: bool = False,
) -> PairsFromQuestions:
    """Pairs from a doc2dial-shaped file (only half ``A`` or ``B`` of its dialogues if given).

    Raises ``ValueError`` naming the line of a record that is not a question.
    """
    questions = load_questions(questions_file)
    if half is not None:
        questions = split_halves(questions)[half]
    with tempfile.TemporaryDirectory(prefix="ca-tune-kb-") as data_dir:
        kb = build_knowledge_base(corpus, Path(data_dir), show_progress=show_progress)
        return pairs_from_knowledge_base(kb, questions, hard_negatives=hard_negatives)

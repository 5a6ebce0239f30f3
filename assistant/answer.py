"""What a composer gives back: an answer quoted from the sources, and its citations.

Apart from ``assistant.composer`` (how the default composer chooses what to quote) and
``assistant.turns`` (a turn's context, which carries the answer), so that both can use
these types and neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from knowledge_base.retriever import RetrievalResult

__all__ = ["AnswerSentence", "Citation", "ComposedAnswer", "Composer"]


@dataclass(frozen=True, slots=True)
class Citation:
    n: int
    doc_id: str
    title: str
    url: str | None
    section: str | None
    snippet: str

    def to_json(self) -> dict[str, Any]:
        # The form stored in ``messages.citations`` (a JSON column) and sent in replies.
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "title": self.title,
            "url": self.url,
            "section": self.section,
            "snippet": self.snippet,
        }


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    """One quoted piece of an answer: a sentence, a list item, or a heading used as a label."""

    text: str
    chunk_id: str
    citation_n: int
    # "sentence" | "lead" | "item" | "heading" | "way" (a heading), all quoted verbatim;
    # "generated": written by a language model, held to the support check instead.
    kind: str = "sentence"


@dataclass(frozen=True, slots=True)
class ComposedAnswer:
    text: str
    citations: list[Citation]
    sentences: list[AnswerSentence]
    # The answer's meaning: the normalised mean of the vectors of the passages it quotes.
    # Stored with the reply, it stands for the answer when the next question folds in the
    # conversation, so a follow-up need not embed the answer text.
    vector: np.ndarray | None = None
    vector_model: str | None = None  # the embedder whose space ``vector`` is in
    doc_id: str = ""
    section: tuple[str, ...] = ()  # heading path of the section answered from
    shape: str = "prose"  # see ``assistant.answer_shapes.Shaped.shape``; "parts" for several
    more: bool = False  # the section holds more than the answer shows
    # Parts of a message that asked several things which the answer does not cover.
    uncovered: tuple[str, ...] = ()
    # How well the answer fits the question (read by the answerability stage).
    signals: dict[str, float] = field(default_factory=dict)
    composer: str = "extractive"  # "extractive" | "generative": who wrote ``text``


class Composer(Protocol):
    """Turns retrieved passages into a short, cited answer."""

    def compose(
        self, *, question: str, retrieval: RetrievalResult, context: str = ""
    ) -> ComposedAnswer | None: ...

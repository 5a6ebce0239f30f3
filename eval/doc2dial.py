"""The doc2dial evaluation files: questions with their dialogue history and gold spans.

Gold spans are character offsets into the *raw* ``documents.jsonl`` text, while the
product's passages point into the text as its loader normalised it (collapsed spaces,
trimmed lines). :class:`OffsetMap` translates a passage's range back to raw offsets
by aligning the two texts on their non-space characters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True, slots=True)
class DialogueTurn:
    """One earlier turn of a dialogue: ``role`` is ``user`` or ``agent``."""

    role: str
    text: str


@dataclass(frozen=True, slots=True)
class GoldSpan:
    """The span of one document that grounds the right answer (raw character offsets)."""

    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Question:
    """A citizen's message in a dialogue, with the turns before it and its gold span."""

    id: str
    dial_id: str
    turn_id: int
    domain: str
    history: tuple[DialogueTurn, ...]
    question: str
    gold: GoldSpan


def load_questions(path: Path) -> list[Question]:
    """Every question of a ``dev.jsonl``-shaped file, in file order."""
    questions: list[Question] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                gold = record["gold"]
                questions.append(
                    Question(
                        id=str(record["id"]),
                        dial_id=str(record["dial_id"]),
                        turn_id=int(record["turn_id"]),
                        domain=str(record.get("domain", "")),
                        history=tuple(
                            DialogueTurn(role=str(t["role"]), text=str(t["text"]))
                            for t in record.get("history", [])
                        ),
                        question=str(record["question"]),
                        gold=GoldSpan(
                            doc_id=str(gold["doc_id"]),
                            start=int(gold["start"]),
                            end=int(gold["end"]),
                            text=str(gold.get("text", "")),
                        ),
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(
                    f"{path}: line {number} is not a doc2dial question: {exc}"
                ) from exc
    return questions


def load_raw_texts(path: Path) -> dict[str, str]:
    """``doc_id → text`` exactly as in the corpus file (gold offsets point into it)."""
    texts: dict[str, str] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                record = json.loads(line)
                texts[str(record["doc_id"])] = str(record["text"])
    return texts


def dialogue_half(dial_id: str) -> str:
    """``"A"`` or ``"B"``: a stable split by dialogue (never by question), from a hash."""
    return "A" if hashlib.blake2b(dial_id.encode("utf-8")).digest()[0] % 2 == 0 else "B"


def split_halves(questions: Iterable[Question]) -> dict[str, list[Question]]:
    """The questions of each half; every dialogue falls wholly into one half."""
    halves: dict[str, list[Question]] = {"A": [], "B": []}
    for question in questions:
        halves[dialogue_half(question.dial_id)].append(question)
    return halves


class OffsetMap:
    """Maps offsets in a normalised text back to the raw text it came from.

    Both texts hold the same non-space characters in the same order (normalisation
    only changes whitespace and drops invisible characters), so each non-space
    character of the normalised text is matched to its raw position.
    """

    def __init__(self, raw: str, normalised: str) -> None:
        positions = np.zeros(len(normalised) + 1, dtype=np.int64)
        i = 0
        last = 0
        for j, char in enumerate(normalised):
            if char.isspace():
                positions[j] = last
                continue
            while i < len(raw) and raw[i] != char:
                i += 1
            if i >= len(raw):  # pragma: no cover - the texts disagree; keep monotone offsets
                positions[j] = last
                continue
            positions[j] = i
            last = i + 1
            i += 1
        positions[len(normalised)] = len(raw) if normalised else 0
        self._positions = positions
        self._normalised = normalised

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The raw ``[start, end)`` covering normalised ``[start, end)`` (trimmed to text)."""
        text = self._normalised
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start >= end:
            return int(self._positions[start]), int(self._positions[start])
        return int(self._positions[start]), int(self._positions[end - 1]) + 1

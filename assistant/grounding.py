"""Holding a generated answer to its sources: citations mapped back, every sentence checked.

A language model is given numbered sources and asked to cite them as ``[n]``. What it
writes is read here, never trusted:

1. The answer is split into sentences, each with the numbers it cites. A mark covers the
   sentences before it on its line back to the previous mark (the convention the quoted
   answers follow too: "A. B. [1]"); a sentence no mark covers is uncited.
2. A number that was not given as a source, or an answer that cites nothing, rejects the
   whole answer: a model that invents a citation cannot be trusted with the rest.
3. Each cited sentence is scored against the sources it cites (:class:`SupportCheck`);
   an uncited or unsupported sentence is dropped.
4. If less than ``min_kept`` of the sentences remain, the answer is rejected.

What comes back is either a :class:`Grounded` answer (its text rebuilt from the kept
sentences, its citations renumbered 1..m in order of first use) or a :class:`Rejected`
with a machine-readable reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from knowledge_base.documents import Chunk
from knowledge_base.embeddings import Embedder
from knowledge_base.terms import content_terms

__all__ = [
    "CitedSentence",
    "Grounded",
    "Rejected",
    "SupportCheck",
    "check_grounding",
    "parse_cited",
    "split_sentences",
]

# "[1]", "[1, 2]", "[1][2]", "[Source 1]": the numbers a sentence cites.
_MARK = re.compile(r"\s*\[(?:sources?\s*)?(\d+(?:\s*(?:,|and)\s*(?:sources?\s*)?\d+)*)\]", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9¿¡$])")
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d{1,3}[.)])\s+")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_EMPHASIS = re.compile(r"[*_`#]+")


@dataclass(slots=True)
class CitedSentence:
    text: str
    cites: tuple[int, ...]  # source numbers as the model wrote them
    line: int  # which line of the answer it stands on
    item: bool = False  # the line is a list item
    support: float = 0.0
    source: int | None = None  # the cited source that supports it best


@dataclass(frozen=True, slots=True)
class Grounded:
    text: str
    sentences: list[CitedSentence]  # the kept ones, ``cites`` renumbered
    sources: list[int]  # the given source numbers cited, in their new order (1..m)
    dropped: int  # sentences dropped (uncited or unsupported)
    total: int


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str  # "no_citation" | "invented_citation" | "unsupported" | "empty"
    detail: dict[str, float] = field(default_factory=dict)


def parse_cited(text: str) -> list[CitedSentence]:
    """The answer's sentences, each with the source numbers that cover it."""
    sentences: list[CitedSentence] = []
    for number, raw in enumerate(text.splitlines()):
        item = bool(_LIST_MARK.match(raw))
        line = _EMPHASIS.sub("", _LIST_MARK.sub("", raw, count=1)).strip()
        if not line:
            continue
        pieces: list[CitedSentence] = []
        position = 0
        for mark in _MARK.finditer(line):
            cites = tuple(int(n) for n in re.findall(r"\d+", mark.group(1)))
            found = split_sentences(line[position : mark.start()])
            pieces.extend(CitedSentence(s, (), number, item) for s in found)
            position = mark.end()
            if pieces:
                pieces[-1].cites = tuple(dict.fromkeys(pieces[-1].cites + cites))
                # "… ten minutes [2]." : the full stop after the mark ends the sentence.
                stop = re.match(r"[.!?]+", line[position:])
                if stop and not pieces[-1].text.endswith((".", "!", "?")):
                    pieces[-1].text += stop.group()
                    position += stop.end()
        pieces.extend(CitedSentence(s, (), number, item) for s in split_sentences(line[position:]))
        covering: tuple[int, ...] = ()
        for piece in reversed(pieces):  # "A. B. [1]": the mark covers A too
            if piece.cites:
                covering = piece.cites
            else:
                piece.cites = covering
        sentences.extend(pieces)
    return sentences


def split_sentences(text: str) -> list[str]:
    parts = (p.strip() for p in _SENTENCE_END.split(text))
    # A mark placed before the full stop ("… fee [1].") leaves the "." on its own.
    return [p for p in parts if any(c.isalnum() for c in p)]


class SupportCheck:
    """How well a sentence is supported by a passage: lexical and meaning overlap.

    ``lexical``: the share of the sentence's content terms (stemmed, no stop words) found
    in the passage, its title and headings. ``meaning``: the best cosine between the
    sentence and the passage or any one of its sentences, in the embedder's space. The
    score is their mean; a number the passage does not contain ("$45" where it says
    "$35") makes it 0, since a wrong fee or date is the costliest kind of wrong.
    The threshold is chosen on doc2dial's human-written answers against the passages
    that ground them and passages that do not (``python -m eval.grounding``).
    """

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def scores(self, sentences: Sequence[str], passages: Sequence[Chunk]) -> np.ndarray:
        """``[i, j]``: support of sentence i by passage j."""
        if not sentences or not passages:
            return np.zeros((len(sentences), len(passages)), dtype=np.float32)
        pieces: list[str] = []
        owners: list[int] = []
        for j, passage in enumerate(passages):
            for piece in [passage.text, *split_sentences(passage.text)]:
                pieces.append(piece)
                owners.append(j)
        vectors = self.embedder.embed_documents([*sentences, *pieces])
        said, heard = vectors[: len(sentences)], vectors[len(sentences) :]
        cosine = said @ heard.T
        owner = np.asarray(owners)
        meaning = np.stack([cosine[:, owner == j].max(axis=1) for j in range(len(passages))], 1)
        result = np.zeros_like(meaning)
        for j, passage in enumerate(passages):
            known = content_terms(" ".join([passage.text, passage.title, *passage.section_path]))
            numbers = set(_NUMBER.findall(passage.text))
            for i, sentence in enumerate(sentences):
                result[i, j] = _combine(
                    lexical_share(sentence, known), float(meaning[i, j]), numbers, sentence
                )
        return result


def lexical_share(sentence: str, known: frozenset[str]) -> float:
    terms = content_terms(sentence)
    return len(terms & known) / len(terms) if terms else 0.0


def _combine(lexical: float, meaning: float, numbers: set[str], sentence: str) -> float:
    if any(n not in numbers for n in _NUMBER.findall(sentence)):
        return 0.0
    return (lexical + max(meaning, 0.0)) / 2


def check_grounding(
    text: str,
    sources: Sequence[Chunk],
    *,
    check: SupportCheck,
    min_support: float,
    min_kept: float,
) -> Grounded | Rejected:
    """``text`` held to ``sources`` (numbered from 1 in the prompt)."""
    sentences = parse_cited(text)
    if not sentences:
        return Rejected("empty")
    cited = {n for s in sentences for n in s.cites}
    if not cited:
        return Rejected("no_citation")
    if any(n < 1 or n > len(sources) for n in cited):
        return Rejected("invented_citation")
    covered = [s for s in sentences if s.cites]
    # Only the sources cited are read: embedding a passage's sentences is the cost here.
    used = sorted(cited)
    column = {n: j for j, n in enumerate(used)}
    scores = check.scores([s.text for s in covered], [sources[n - 1] for n in used])
    for row, sentence in zip(scores, covered, strict=True):
        best = max(sentence.cites, key=lambda n: row[column[n]])
        sentence.support, sentence.source = float(row[column[best]]), best
    kept = [s for s in covered if s.support >= min_support]
    detail = {
        "sentences": float(len(sentences)),
        "kept": float(len(kept)),
        "mean_support": float(np.mean([s.support for s in covered])) if covered else 0.0,
    }
    if not kept or len(kept) < min_kept * len(sentences):
        return Rejected("unsupported", detail)
    # Each kept sentence cites the one source that supports it best, so a reader who
    # follows the mark finds what it says; sources are renumbered in order of first use.
    order: dict[int, int] = {}
    for sentence in kept:
        assert sentence.source is not None
        sentence.source = order.setdefault(sentence.source, len(order) + 1)
        sentence.cites = (sentence.source,)
    return Grounded(
        text=render_cited(kept),
        sentences=kept,
        sources=list(order),
        dropped=len(sentences) - len(kept),
        total=len(sentences),
    )


def render_cited(sentences: Sequence[CitedSentence]) -> str:
    """Kept sentences on their lines, a mark after the last sentence of each run citing
    the same source (as quoted answers are written), list items starting with "- "."""
    lines: list[str] = []
    for i, sentence in enumerate(sentences):
        after = sentences[i + 1] if i + 1 < len(sentences) else None
        closing = after is None or after.line != sentence.line or after.cites != sentence.cites
        mark = "".join(f" [{n}]" for n in sentence.cites) if closing else ""
        text = f"{sentence.text}{mark}"
        before = sentences[i - 1] if i else None
        if before is not None and before.line == sentence.line:
            lines[-1] += f" {text}"
        else:
            lines.append(f"- {text}" if sentence.item else text)
    return "\n".join(lines)

"""A document's shape, as an answer is assembled from it: sections, their paragraphs and
lists, and the sentences and list items inside them.

A good answer quotes the unit that answers: the steps under "How to apply", the list
under "Documents you need", every line of "Fees". Loose top sentences do not. So the
composer reads a document as a tree rather than as a bag of sentences. Every unit is a
``[start, end)`` slice of ``Document.text`` (quoted verbatim, never rewritten), in
document order.

Markdown, HTML and Word documents carry their headings (``Document.sections``). Plain
text, PDF and JSONL documents usually do not; there a short line without closing
punctuation followed by a longer one is read as a heading, as a person skimming the
page would (doc2dial's pages are written that way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from knowledge_base.documents import Chunk, Document

__all__ = ["Block", "Outline", "Section", "Unit", "document_from_chunks", "outline"]

# A sentence ends at . ! or ? (after any closing quote or bracket) before a capital, a
# digit or an opening mark: "4:30 p.m. on Friday" is one sentence, "p.m. The office" two.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9¿¡$])")
_LIST_MARK = re.compile(r"(?:[-*•]|\d{1,3}[.)])\s+")
_HEADING_MAX_CHARS = 90
_CLOSING = tuple(".,;:!")

UnitKind = Literal["sentence", "lead", "item"]


@dataclass(frozen=True, slots=True)
class Unit:
    """A sentence of a paragraph, the sentence introducing a list ("lead"), or a list item
    (its text without the marker)."""

    start: int
    end: int
    kind: UnitKind
    block: int


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph or a list (with its lead, if one introduces it), within one section."""

    kind: Literal["paragraph", "list"]
    units: range
    section: int


@dataclass(frozen=True, slots=True)
class Section:
    """The text under one heading path; ``path`` starts with the document title."""

    path: tuple[str, ...]
    start: int
    end: int
    blocks: range

    @property
    def heading(self) -> str:
        """The innermost heading below the title ("" for the opening text)."""
        return self.path[-1] if len(self.path) > 1 else ""


@dataclass(frozen=True, slots=True)
class Outline:
    doc_id: str
    text: str
    sections: tuple[Section, ...]
    blocks: tuple[Block, ...]
    units: tuple[Unit, ...]

    def unit_text(self, i: int) -> str:
        unit = self.units[i]
        return self.text[unit.start : unit.end]

    def section_of(self, i: int) -> Section:
        return self.sections[self.blocks[self.units[i].block].section]


def outline(document: Document) -> Outline:
    """The outline of ``document`` (a pure function of its text and sections)."""
    builder = _Builder(document.text)
    for start, end, path in _section_spans(document):
        builder.section(start, end, path)
    return Outline(
        doc_id=document.doc_id,
        text=document.text,
        sections=tuple(builder.sections),
        blocks=tuple(builder.blocks),
        units=tuple(builder.units),
    )


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``[start, end)`` of each line in ``text[start:end]``, stripped of outer spaces."""
    spans = []
    position = start
    while position < end:
        newline = text.find("\n", position, end)
        stop = end if newline < 0 else newline
        a, b = position, stop
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        spans.append((a, b))
        position = stop + 1
    return spans


def _looks_like_heading(line: str, following: str) -> bool:
    """A short line, not a sentence, introducing a longer one."""
    return (
        0 < len(line) <= _HEADING_MAX_CHARS
        and not line.endswith(_CLOSING)
        and not _LIST_MARK.match(line)
        and line[:1].isupper()
        and len(following) > len(line)
        and not _LIST_MARK.match(following)
    )


def _section_spans(document: Document) -> list[tuple[int, int, tuple[str, ...]]]:
    """``(start, end, path)`` of each section: the loader's headings, or inferred ones."""
    text = document.text
    marks = sorted(document.sections) or [(0, (document.title,))]
    if marks[0][0] > 0:
        marks.insert(0, (0, (document.title,)))
    spans = []
    for i, (start, path) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        if end > start:
            spans.append((start, end, path or (document.title,)))
    if len(spans) > 1:
        return spans
    # No headings from the loader: read short lines that introduce longer ones as headings.
    lines = [(a, b) for a, b in _lines(text, 0, len(text)) if b > a]
    inferred: list[tuple[int, int, tuple[str, ...]]] = []
    for (a, b), (c, d) in zip(lines, [*lines[1:], (len(text), len(text))], strict=True):
        line = text[a:b]
        if line == document.title or not _looks_like_heading(line, text[c:d]):
            continue
        inferred.append((a, 0, (document.title, line)))
    if not inferred:
        return spans
    result: list[tuple[int, int, tuple[str, ...]]] = []
    if inferred[0][0] > 0:
        result.append((0, inferred[0][0], (document.title,)))
    for i, (start, _, path) in enumerate(inferred):
        end = inferred[i + 1][0] if i + 1 < len(inferred) else len(text)
        result.append((start, end, path))
    return result


class _Builder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.sections: list[Section] = []
        self.blocks: list[Block] = []
        self.units: list[Unit] = []

    def section(self, start: int, end: int, path: tuple[str, ...]) -> None:
        first_block = len(self.blocks)
        headings = set(path)
        paragraph: list[tuple[int, int]] = []  # lines of the paragraph being read
        items: list[tuple[int, int]] = []  # items of the list being read
        lead: tuple[int, int] | None = None
        index = len(self.sections)

        def close_paragraph() -> None:
            nonlocal lead
            if not paragraph:
                return
            sentences = [s for a, b in paragraph for s in self._sentences(a, b)]
            paragraph.clear()
            if sentences and self.text[sentences[-1][0] : sentences[-1][1]].endswith(":"):
                lead = sentences.pop()  # introduces the list that may follow
            if sentences:
                self._block("paragraph", [(a, b, "sentence") for a, b in sentences], index)

        def close_list() -> None:
            nonlocal lead
            if items:
                units: list[tuple[int, int, UnitKind]] = []
                if lead is not None:
                    units.append((lead[0], lead[1], "lead"))
                units.extend((a, b, "item") for a, b in items)
                self._block("list", units, index)
                items.clear()
                lead = None

        for a, b in _lines(self.text, start, end):
            line = self.text[a:b]
            if not line:
                close_paragraph()
                continue
            if line in headings:
                close_paragraph()
                close_list()
                self._flush_lead(lead, index)
                lead = None
                continue
            marker = _LIST_MARK.match(line)
            if marker:
                close_paragraph()
                items.append((a + marker.end(), b))
                continue
            if items:
                close_list()
            elif lead is not None and not paragraph:
                self._flush_lead(lead, index)  # a colon not followed by a list
                lead = None
            paragraph.append((a, b))
        close_paragraph()
        close_list()
        self._flush_lead(lead, index)
        self.sections.append(
            Section(path=path, start=start, end=end, blocks=range(first_block, len(self.blocks)))
        )

    def _flush_lead(self, lead: tuple[int, int] | None, section: int) -> None:
        if lead is not None:
            self._block("paragraph", [(lead[0], lead[1], "sentence")], section)

    def _block(
        self,
        kind: Literal["paragraph", "list"],
        units: list[tuple[int, int, UnitKind]],
        section: int,
    ) -> None:
        block = len(self.blocks)
        first = len(self.units)
        self.units.extend(Unit(start=a, end=b, kind=k, block=block) for a, b, k in units)
        self.blocks.append(Block(kind=kind, units=range(first, len(self.units)), section=section))

    def _sentences(self, start: int, end: int) -> list[tuple[int, int]]:
        spans = []
        position = start
        for match in _SENTENCE_END.finditer(self.text, start, end):
            spans.append((position, match.start()))
            position = match.end()
        spans.append((position, end))
        return [(a, b) for a, b in spans if b > a]


def document_from_chunks(chunks: list[Chunk]) -> Document:
    """A document rebuilt from its passages (in order), offsets unchanged.

    The index keeps every passage of a document with its ``[start, end)`` and heading
    path, and passages are cut at paragraph or line breaks; so the text between two
    passages was only white space, and a line break stands in for it. This spares the
    server from loading every document's full text to answer from one of them.
    """
    if not chunks:
        raise ValueError("a document needs at least one passage")
    first = chunks[0]
    parts: list[str] = []
    position = 0
    sections: list[tuple[int, tuple[str, ...]]] = []
    for chunk in sorted(chunks, key=lambda c: c.start):
        if chunk.start > position:
            parts.append("\n" * (chunk.start - position))
        elif chunk.start < position:  # overlapping passages: keep what is not there yet
            parts.append(chunk.text[position - chunk.start :])
            position = max(position, chunk.end)
            continue
        parts.append(chunk.text)
        position = chunk.end
        if not sections or sections[-1][1] != chunk.section_path:
            sections.append((chunk.start, chunk.section_path))
    if len(sections) == 1 and sections[0][1] in ((), (first.title,)):
        sections = []  # no headings: ``outline`` infers them from the text
    return Document(
        doc_id=first.doc_id,
        title=first.title,
        text="".join(parts),
        url=first.url,
        agency=first.agency,
        topic=first.topic,
        language=first.language,
        sections=tuple(sections),
    )

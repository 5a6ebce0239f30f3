"""The pieces an extractive answer is made of, and where things stand in a page's outline.

A piece is a unit of the outline (a sentence, a list's lead, a list item) or a section's
heading shown as a label; what it adds to the answer's length counts its line break and
"- " too, so the shapes (``assistant.answer_shapes``) fill a budget exactly as the answer
renders. The outline helpers answer what every shape asks: which sub-sections are ways
of doing one thing, a section's outermost ancestor, the blocks under it, its first unit
and its first sentence that reads alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge_base.outline import Outline, Section

__all__ = [
    "ITEM_COST",
    "SENTENCE_COST",
    "Part",
    "first_sentence",
    "first_unit",
    "outermost",
    "piece_length",
    "scope_blocks",
    "way_groups",
]

# A sub-section that is one way of doing the thing its parent is about.
_WAY = re.compile(
    r"\b(online|in person|by (mail|phone|post|fax|email|text|telephone|app)|at an? |"
    r"through|automatic|autopay|drop box|kiosk)\b|^(step \d+|first|second|third|then)\b",
    re.I,
)
_WAYS_PARENT = re.compile(r"\b(ways?|options)\b", re.I)
ITEM_COST = 3  # "- " and a line break
SENTENCE_COST = 1


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of an answer: unit ``index`` of the outline or, for a heading (``kind``
    "heading" or "way"), section ``index``. A "cut" is a sentence longer than the budget,
    cut at a word to ``limit`` characters."""

    index: int
    kind: str  # "sentence" | "lead" | "item" | "heading" | "way" | "cut"
    limit: int = 0

    @property
    def heads(self) -> bool:
        """A heading or a way's label: its index is a section's, not a unit's."""
        return self.kind in ("heading", "way")


def piece_length(doc: Outline, part: Part) -> int:
    """What a piece adds to the rendered answer: its text (a cut one up to its limit), and
    the "- " and line break of an item or label, or the space before a sentence."""
    if part.kind in ("heading", "way"):
        return len(doc.sections[part.index].heading) + 1 + ITEM_COST
    unit = doc.units[part.index]
    text = unit.end - unit.start
    if part.kind == "cut":
        text = min(text, part.limit)
    return text + (ITEM_COST if part.kind == "item" else SENTENCE_COST)


def way_groups(doc: Outline) -> dict[int, list[int]]:
    """Sections whose sub-sections are ways (or steps) of doing one thing: under a heading
    like "Ways to pay" all of them, elsewhere those whose headings name a way ("Online",
    "By mail", "Replace your license in person", "Step 2: ..."), if two or more do."""
    index_of = {s.path: i for i, s in enumerate(doc.sections)}
    children: dict[int, list[int]] = {}
    for i, section in enumerate(doc.sections):
        parent = index_of.get(section.path[:-1]) if len(section.path) > 1 else None
        if parent is not None:
            children.setdefault(parent, []).append(i)
    groups: dict[int, list[int]] = {}
    for parent, kids in children.items():
        heading = doc.sections[parent].heading
        if heading and _WAYS_PARENT.search(heading):
            ways = kids
        else:
            ways = [k for k in kids if _WAY.search(doc.sections[k].heading)]
        if len(ways) >= 2:
            groups[parent] = ways
    return groups


def outermost(doc: Outline, section: Section) -> Section:
    """The section's outermost ancestor below the page title (itself at that level)."""
    if len(section.path) <= 2:
        return section
    for candidate in doc.sections:
        if candidate.path == section.path[:2]:
            return candidate
    return section


def scope_blocks(doc: Outline, section: Section) -> list[int]:
    """Blocks of ``section`` and of the sections nested under it, in order (the page's
    opening, which has no heading, holds only its own blocks)."""
    path = section.path
    blocks: list[int] = []
    for s in doc.sections:
        if s is section or (
            len(path) > 1 and len(s.path) > len(path) and s.path[: len(path)] == path
        ):
            blocks.extend(s.blocks)
    return blocks


def first_sentence(doc: Outline, section: Section) -> int | None:
    """The section's first unit that reads alone: not a list's lead ("... if all of these
    are true:") nor an item."""
    for b in section.blocks:
        for u in doc.blocks[b].units:
            if doc.units[u].kind == "sentence":
                return u
    return first_unit(doc, section)


def first_unit(doc: Outline, section: Section) -> int | None:
    for b in section.blocks:
        if doc.blocks[b].units:
            return doc.blocks[b].units[0]
    return None

"""The shapes an extractive answer takes, given the page's outline and its best unit.

A citizen who asks "how much" needs every fee line, the one for them first; "how do I
pay" the ways to pay; "what do I need" the list of documents; "when is it due" the
section with the dates. Tried in this order:

1. fees, for a cost question: every fee line of the fee section, the one the question
   names kept if they do not all fit (for "is it free?", only when the section chosen
   for the question has one);
2. ways, for a how-to (or a question of no particular kind): each way's or step's
   heading and first sentence, or, when every way then fits, a way that opens with a
   list's lead with its whole list (who may renew online is part of how to renew);
3. an overview, for a problem stated to the page's opening ("my water bill is way too
   high"): its first sentence, then the page's best sections as what can be done, each
   its heading and first sentence;
4. the whole section of the best unit, sub-sections included, when it fits;
5. for "what do I need", a documents section's sub-sections in brief (each kind of
   document's heading and first ones) when its lists would leave a kind out;
6. the section's lists, item by item, for what the list kinds of question ask, with the
   sentence that answers (before the lists when it fits nowhere else), the room left
   filled from the same section;
7. prose: the best sentence, then the ones after it in its paragraph, and the list
   that paragraph leads to or else the section's next paragraphs, while they fit ("park
   for free in the Market Street Garage" goes on with where towed cars are taken).

Each shape picks units of the outline (never rewriting them) within a character budget,
whole units only: a list is trimmed item by item, never mid-item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import takewhile

import numpy as np

from assistant.answer_parts import (
    ITEM_COST,
    SENTENCE_COST,
    Part,
    first_sentence,
    first_unit,
    outermost,
    piece_length,
    scope_blocks,
    way_groups,
)
from assistant.answer_types import AnswerType, expected_types, heading_suits, situation
from knowledge_base.lexical_index import tokenize
from knowledge_base.outline import Outline, Section
from knowledge_base.terms import filler_words

__all__ = ["Shaped", "shape_answer"]

# A sentence that reads only after the one before it: "They ...", "This means ...".
_LEANS_BACK = re.compile(
    r"^\W*(it|its|this|that|these|those|they|them|their|he|she|his|her|then|also|however|"
    r"but|and|so|otherwise|if so|if not|instead|both|each|such|there|here|the same|"
    r"esto|eso|estos|estas|ellos|ellas|tambi[eé]n|sin embargo|pero|entonces|as[ií])\b",
    re.I,
)

# Questions that read best as a section's list rather than as running text.
_LIST_KINDS = frozenset(
    {AnswerType.STEPS, AnswerType.NEEDS, AnswerType.ELIGIBILITY, AnswerType.PROBLEM}
)
_AMOUNT = re.compile(
    r"\$\s?\d|\b(free|no (extra |additional )?(charge|fee|cost)|costs? nothing|nothing extra|"
    r"at no cost|waived)\b",
    re.I,
)
# A question that asks what something costs, not only whether it is free.
_PRICE = re.compile(
    r"\b(how much|costs?|fees?|prices?|charges?|pay|dollars?|cu[aá]nto|costos?|precios?|"
    r"tarifas?)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Shaped:
    parts: list[Part]
    shape: str  # "fees" | "ways" | "overview" | "section" | "digest" | "list" | "prose"
    more: bool  # the section holds more than the answer shows


def shape_answer(
    doc: Outline,
    scores: np.ndarray,
    best: int,
    question: str,
    *,
    limit: int,
    prose: int,
    own_section: bool = False,
) -> Shaped:
    """The answer's pieces, in the shape ``question`` asks for (see the module docstring).
    ``own_section``: only from the best unit's section and those under it (a page's
    runner-up section, after an answer that already gave the page's fees or ways)."""
    shaper = _Shaper(doc, scores, limit=limit, prose=min(prose, limit), own_section=own_section)
    return shaper.shape(best, question)


class _Shaper:
    def __init__(
        self, doc: Outline, scores: np.ndarray, *, limit: int, prose: int, own_section: bool
    ) -> None:
        self.doc = doc
        self.scores = scores
        self.limit = limit
        self.prose_limit = prose
        self.own_section = own_section

    def shape(self, best: int, question: str) -> Shaped:
        doc = self.doc
        kinds = expected_types(question)
        if AnswerType.COST in kinds:
            fees = self.fees(best, question)
            if fees is not None:
                return fees
        if not self.own_section and (AnswerType.STEPS in kinds or not kinds - {AnswerType.PROBLEM}):
            ways = self.ways(best, question)
            if ways is not None:
                return ways
        if (
            AnswerType.PROBLEM in kinds
            and len(doc.section_of(best).path) == 1
            and not self.own_section
        ):
            overview = self.overview(best)
            if overview is not None:
                return overview
        whole = self.section(best)
        if whole is not None:
            return whole
        block = doc.blocks[doc.units[best].block]
        has_list = any(
            doc.blocks[b].kind == "list" for b in scope_blocks(doc, doc.section_of(best))
        )
        listed = None
        if block.kind == "list" or (kinds & _LIST_KINDS and has_list):
            listed = self.lists(best)
        if AnswerType.NEEDS in kinds:
            digest = self.digest(best)
            if digest is not None and _labels(digest) > (_labels(listed) if listed else 0):
                return digest
        return listed if listed is not None else self.prose(best)

    # ---- a whole section ----------------------------------------------------------------
    def section(self, best: int) -> Shaped | None:
        """The section the best unit is in, whole, when it fits in the budget: a page's
        sections are written to be read as units, and a sentence next to the best one
        often holds the fact (the date, the phone number). Its sub-sections come too,
        under their headings: all of it must fit."""
        doc = self.doc
        section = doc.section_of(best)
        pieces: list[Part] = []
        for b in scope_blocks(doc, section):
            block = doc.blocks[b]
            under = doc.sections[block.section]
            if (
                under is not section
                and under.heading
                and not any(p.kind == "heading" and p.index == block.section for p in pieces)
            ):
                pieces.append(Part(block.section, "heading"))
            pieces.extend(Part(u, self.kind(u)) for u in block.units)
        if sum(self.piece_length(p) for p in pieces) <= self.limit:
            return Shaped(pieces, "section", False)
        return None

    # ---- running text ----------------------------------------------------------------
    def prose(self, best: int) -> Shaped:
        """The best sentence, then the ones after it in its paragraph (then before), then,
        when the paragraph's end is shown, the list right after it or, with no list
        there, the section's next paragraphs."""
        doc = self.doc
        block = doc.blocks[doc.units[best].block]
        chosen = [best]
        length = self.length(best)
        following = [u for u in block.units if u > best]
        preceding = [u for u in reversed(block.units) if u < best]
        for unit in following:
            extra = self.length(unit) + SENTENCE_COST
            if length + extra > self.prose_limit:
                break
            chosen.append(unit)
            length += extra
        # A sentence before the best one comes only when the best leans on it ("They
        # ..."): "If your EBT card is lost, call ..." needs no list of what EBT buys.
        for unit in preceding:
            extra = self.length(unit) + SENTENCE_COST
            if length + extra > self.prose_limit or not _LEANS_BACK.match(
                doc.unit_text(min(chosen))
            ):
                break
            chosen.append(unit)
            length += extra
        if length > self.prose_limit:  # one sentence longer than the budget
            return Shaped([Part(best, "cut", self.prose_limit)], "prose", True)
        chosen.sort()
        parts = [Part(u, self.kind(u)) for u in chosen]
        more = len(chosen) < len(block.units)
        if chosen[-1] == block.units[-1]:
            listed = self.list_after(doc.units[best].block, length)
            parts += listed
            more = more or bool(listed)
            if not listed:
                following_paragraphs, left = self.paragraphs_after(doc.units[best].block, length)
                parts += following_paragraphs
                more = more or left
        return Shaped(parts, "prose", more)

    def paragraphs_after(self, b: int, length: int) -> tuple[list[Part], bool]:
        """The sentences of the paragraphs after block ``b`` in its own section (not its
        sub-sections), in order, while they fit the running-text budget: a short answer
        should not end where the page goes on about the same thing. And whether the
        section holds more after them."""
        doc = self.doc
        rest = [nb for nb in doc.sections[doc.blocks[b].section].blocks if nb > b]
        paragraphs = list(takewhile(lambda nb: doc.blocks[nb].kind == "paragraph", rest))
        units = [u for nb in paragraphs for u in doc.blocks[nb].units]
        added: list[Part] = []
        self.insert(added, 0, units, self.prose_limit - length)
        return added, len(added) < len(units) or len(paragraphs) < len(rest)

    def list_after(self, b: int, length: int) -> list[Part]:
        """The items of the list right after paragraph ``b`` in its section, whole, in the
        list budget: "... hold free help sessions every January and February." goes on
        with "- When: Tuesdays and Thursdays, ..." (nothing if not one item fits)."""
        doc = self.doc
        after = b + 1
        if (
            after >= len(doc.blocks)
            or doc.blocks[after].kind != "list"
            or doc.blocks[after].section != doc.blocks[b].section
        ):
            return []
        items: list[Part] = []
        self.insert(items, 0, list(doc.blocks[after].units), self.limit - length)
        return items

    # ---- a section's lists -------------------------------------------------------------
    def lists(self, best: int) -> Shaped | None:
        """The section's opening sentence, its lists (sub-headings as labels) item by item,
        and a sentence after a list that bears on the question, while they fit; the best
        sentence wherever it stands in the section, and the best item first among its
        list's items when the list does not fit."""
        doc = self.doc
        section = doc.section_of(best)
        blocks = scope_blocks(doc, section)
        lists = [b for b in blocks if doc.blocks[b].kind == "list"]
        own = doc.units[best].block
        if own in lists:
            lists = lists[lists.index(own) :]
        if not lists:
            return None
        pieces: list[Part] = []
        bearing: Part | None = None  # the first such sentence after a list
        first = first_unit(doc, section)
        # The section's opening sentence, when it is not one of the lists' own units.
        opening = (
            Part(first, self.kind(first))
            if first is not None and doc.units[first].block not in lists
            else None
        )
        if opening is not None:
            pieces.append(opening)
        for b in lists:
            block = doc.blocks[b]
            under = doc.sections[block.section]
            if under is not section and under.heading:
                pieces.append(Part(block.section, "heading"))
            pieces.extend(Part(u, self.kind(u)) for u in block.units)
            # The best-scoring sentence of the paragraph right after the list often says
            # the exception ("If you were convicted, you can register once released").
            after = [x for x in blocks if x > b and doc.blocks[x].section == block.section]
            if after and doc.blocks[after[0]].kind == "paragraph":
                units = doc.blocks[after[0]].units
                top = max(units, key=lambda u: float(self.scores[u]))
                if float(self.scores[top]) >= float(self.scores[best]) - 0.25:
                    pieces.append(Part(top, "sentence"))
                    bearing = bearing or pieces[-1]
        if doc.blocks[own].kind != "list" and all(p.index != best or p.heads for p in pieces):
            # The best sentence itself stands elsewhere in the section ("You do not need a
            # permit for ... kitchen cabinets" two paragraphs below the list of what does):
            # it is the answer, the lists its setting.
            bearing = Part(best, "sentence")
            at = next((i for i, p in enumerate(pieces) if self.position(p) > best), len(pieces))
            pieces.insert(at, bearing)
        parts, more = self.fit(pieces)
        item = Part(best, "item")
        others = [p for p in pieces if p.kind == "item" and p != item and self.block(p) == own]
        if item in pieces and item not in parts and others:
            # The item that answers is below the budget's end ("Dogs barking ...: report
            # to 311", fifth of six): it goes first among its list's items, as a fee line
            # for the citizen's situation does, if the list still shows two items.
            moved = [p for p in pieces if p != item]
            moved.insert(moved.index(others[0]), item)
            fitted, cut = self.fit(moved)
            if sum(p.kind == "item" for p in fitted) >= 2:
                pieces, parts, more = moved, fitted, cut
        if bearing is not None and bearing not in parts:
            parts, _ = self.fit(self.room_for(pieces[: pieces.index(bearing) + 1]))
            more = True
            if bearing not in parts:
                # Not even beside two items: the sentence that answers goes before the
                # lists ("If you have an eviction court date within the next 14 days,
                # apply to WERA first"), and they keep the room left, if any.
                ahead = [p for p in pieces if p != bearing]
                ahead.insert(1 if opening is not None and ahead[0] == opening else 0, bearing)
                fitted, _ = self.fit(ahead)
                if any(p.kind == "item" for p in fitted):
                    parts = fitted
        if not any(p.kind == "item" for p in parts):
            return None
        return Shaped(self.filled(parts, section, opening), "list", more)

    # ---- a section's sub-sections, each in brief -------------------------------------------
    def digest(self, best: int) -> Shaped | None:
        """A section whose sub-sections do not all fit ("Documents you need": proof of
        identity, of Social Security number, of address, name change documents): its first
        sentence, then each sub-section's heading and first sentence or item, then their
        second ones, and so on while they fit, so that every kind of document is named
        before any one list is whole. Shown in the page's order."""
        doc = self.doc
        section = doc.section_of(best)
        if not heading_suits(AnswerType.NEEDS, section.heading):
            return None  # "What to bring" beside "The knowledge test": only the first answers
        depth = len(section.path)
        subs = [
            s
            for s in doc.sections
            if len(s.path) == depth + 1 and s.path[:depth] == section.path and s.heading
        ]
        if len(subs) < 2:
            return None
        parts: list[Part] = []
        room = self.limit
        first = first_unit(doc, section)
        if first is not None and self.kind(first) == "sentence":
            parts.append(Part(first, "sentence"))
            room -= self.piece_length(parts[0])
        # Each sub-section's units as turns: its heading comes with its first unit, and a
        # list's lead ("Send the form with:") with its first item.
        queues: list[list[list[Part]]] = []
        for sub in subs:
            turns: list[list[Part]] = []
            for b in scope_blocks(doc, sub):
                for u in doc.blocks[b].units:
                    if turns and turns[-1][-1].kind == "lead":
                        turns[-1].append(Part(u, self.kind(u)))
                    else:
                        turns.append([Part(u, self.kind(u))])
            if turns:
                turns[0].insert(0, Part(doc.sections.index(sub), "heading"))
                queues.append(turns)
        shown = [0] * len(queues)
        growing = set(range(len(queues)))  # a sub-section stops at its first turn not fitting
        while growing:
            for i in sorted(growing):
                turn = queues[i][shown[i]] if shown[i] < len(queues[i]) else []
                cost = sum(self.piece_length(p) for p in turn)
                if not turn or cost > room:
                    growing.discard(i)
                    continue
                parts.extend(turn)
                room -= cost
                shown[i] += 1
        if sum(n > 0 for n in shown) < 2:
            return None
        more = any(n < len(q) for n, q in zip(shown, queues, strict=True))
        parts.sort(key=lambda p: (self.position(p), not p.heads))
        return Shaped(parts, "digest", more)

    def filled(self, parts: list[Part], section: Section, opening: Part | None) -> list[Part]:
        """The room a list answer leaves, filled from its own section before the
        composer looks to another: the rest of the opening paragraph ("Request one
        through Fairhaven 311"), then what follows the last piece shown ("Low-cost rabies
        vaccinations ... A vaccination costs $10."), whole sentences in the page's order."""
        doc = self.doc
        room = self.limit - sum(self.piece_length(p) for p in parts)
        if opening is not None and parts[0] == opening:
            rest = [u for u in doc.blocks[self.block(opening)].units if u > opening.index]
            room = self.insert(parts, 1, rest, room)
        last = max(self.position(p) for p in parts)
        after = [u for b in section.blocks for u in doc.blocks[b].units if u > last]
        self.insert(parts, len(parts), after, room)
        return parts

    def insert(self, parts: list[Part], at: int, units: list[int], room: int) -> int:
        """``units`` into ``parts`` from ``at`` on, in order, while they fit in ``room``
        and are not shown already; a list's lead stops it (its items may not follow).
        The room left."""
        for u in units:
            piece = Part(u, self.kind(u))
            cost = self.piece_length(piece)
            if piece in parts or piece.kind == "lead" or cost > room:
                break
            parts.insert(at, piece)
            at += 1
            room -= cost
        return room

    # ---- ways and steps --------------------------------------------------------------
    def ways(self, best: int, question: str) -> Shaped | None:
        """ "Ways to pay: Online / By phone / By mail / In person" (or "Step 1 / Step 2"):
        each way's heading and its first sentence."""
        doc = self.doc
        here = doc.blocks[doc.units[best].block].section
        path = doc.sections[here].path
        groups = way_groups(doc)
        chosen = None
        # The nearest group around the best unit: the ways of its own section or of one
        # it sits in, or the group it is one of; from the page's opening, the only group.
        for parent, ways in sorted(groups.items(), key=lambda g: -len(doc.sections[g[0]].path)):
            parent_path = doc.sections[parent].path
            if path[: len(parent_path)] == parent_path and (len(parent_path) > 1 or here in ways):
                chosen = (parent, ways)
                break
        if chosen is None and len(path) == 1 and len(groups) == 1:
            chosen = next(iter(groups.items()))
        if chosen is None:
            return None
        parent, ways = chosen
        if here in ways and self.singles_out(question, here, ways):
            return None  # "water bill autopay": that way, whole
        pieces: list[Part] = []
        opening = first_unit(doc, doc.sections[parent])
        if opening is not None and (len(doc.sections[parent].path) > 1 or here == parent):
            pieces.append(Part(opening, "sentence"))
        length = sum(self.length(p.index) + SENTENCE_COST for p in pieces)
        more = False
        shown = 0
        for way in ways:
            words = self.first_words(doc.sections[way])
            if not words:
                continue
            extra = len(doc.sections[way].heading) + 2 + ITEM_COST
            extra += sum(self.length(u) + SENTENCE_COST for u in words) - SENTENCE_COST
            if length + extra > self.limit:
                more = True
                continue
            pieces.append(Part(way, "way"))
            pieces.extend(Part(u, "sentence") for u in words)
            length += extra
            shown += 1
            # Each way shows its first sentence: the rest of it is on the page.
            units = sum(len(doc.blocks[b].units) for b in doc.sections[way].blocks)
            more = more or units > len(words)
        if shown < 2:
            return None
        fuller = self.ways_with_lists(pieces, ways)
        if fuller is not None:
            return Shaped(fuller, "ways", more)
        return Shaped(pieces, "ways", more)

    def ways_with_lists(self, pieces: list[Part], ways: list[int]) -> list[Part] | None:
        """The ways, each under its heading, a way that opens with a list's lead ("You can
        renew online at ... if all of these are true:") with that whole list: who may use
        which way is part of the answer. None unless every way so fits and one has a list.
        ``pieces`` are the ways as :meth:`ways` shapes them, after the group's opening."""
        doc = self.doc
        fuller = pieces[:1] if pieces and not pieces[0].heads else []
        listed = False
        for way in ways:
            section = doc.sections[way]
            first = first_unit(doc, section)
            items: list[int] = []
            while first is not None and self.kind(first) == "lead":
                after = first + len(items) + 1
                if after >= len(doc.units) or self.kind(after) != "item":
                    break
                if doc.section_of(after) is not section:
                    break
                items.append(after)
            if first is not None and items:
                fuller += [Part(way, "heading"), Part(first, "lead")]
                fuller += [Part(u, "item") for u in items]
                listed = True
            elif words := self.first_words(section):
                fuller += [Part(way, "heading"), *(Part(u, "sentence") for u in words)]
        if not listed or sum(self.piece_length(p) for p in fuller) > self.limit:
            return None
        return fuller

    def overview(self, best: int) -> Shaped | None:
        """For a problem stated to a page's opening ("my water bill is way higher than
        usual"): its first sentence, then what can be done about it, each of the page's
        best-scoring top-level sections as its heading and first sentence, in the page's
        order."""
        doc = self.doc
        opening = doc.section_of(best)
        lead = first_unit(doc, opening)
        if lead is None:
            return None
        tops = []
        for i, section in enumerate(doc.sections):
            if len(section.path) != 2 or not section.heading:
                continue
            first = self.first_words(section)
            units = [u for b in scope_blocks(doc, section) for u in doc.blocks[b].units]
            if not first or not units:
                continue
            tops.append((max(float(self.scores[u]) for u in units), i, first))
        length = self.length(lead) + SENTENCE_COST
        chosen = []
        for _, i, first in sorted(tops, reverse=True):
            extra = len(doc.sections[i].heading) + 2 + ITEM_COST
            extra += sum(self.length(u) + SENTENCE_COST for u in first) - SENTENCE_COST
            if length + extra > self.limit:
                continue
            chosen.append((i, first))
            length += extra
        if len(chosen) < 2:
            return None
        pieces = [Part(lead, "sentence")]
        for i, first in sorted(chosen):
            pieces.append(Part(i, "way"))
            pieces.extend(Part(u, "sentence") for u in first)
        return Shaped(pieces, "overview", True)

    def first_words(self, section: Section) -> list[int]:
        """A section's first sentence, with what it introduces when it ends in a colon
        ("... and a stamped self-addressed envelope to:" and the address after it): a
        sentence ending in a colon never stands alone."""
        doc = self.doc
        first = first_sentence(doc, section)
        if first is None:
            return []
        after = first + 1
        if (
            doc.unit_text(first).rstrip().endswith(":")
            and after < len(doc.units)
            and doc.units[after].kind == "sentence"
            and doc.blocks[doc.units[after].block].section
            == doc.blocks[doc.units[first].block].section
        ):
            return [first, after]
        return [first]

    def singles_out(self, question: str, way: int, ways: list[int]) -> bool:
        """Whether the question names this way ("autopay") and none of the others."""
        asked = _terms(question)
        others = frozenset().union(
            *(_terms(self.doc.sections[w].heading) for w in ways if w != way)
        )
        return bool(asked & (_terms(self.doc.sections[way].heading) - others))

    # ---- fees --------------------------------------------------------------------------
    def fees(self, best: int, question: str) -> Shaped | None:
        """Every fee line of the section that best answers a cost question, the line for
        the citizen's situation first. A question that only asks whether something is
        free gets them only if the section chosen for it has a fee line too."""
        who = situation(question)
        doc = self.doc
        fees_in: dict[int, list[int]] = {}
        allowed = set(scope_blocks(doc, doc.section_of(best))) if self.own_section else None
        for u in range(len(doc.units)):
            if allowed is not None and doc.units[u].block not in allowed:
                continue
            if _AMOUNT.search(doc.unit_text(u)):
                fees_in.setdefault(doc.blocks[doc.units[u].block].section, []).append(u)
        if not fees_in:
            return None
        chosen = set(scope_blocks(doc, outermost(doc, doc.section_of(best))))
        if not _PRICE.search(question) and not any(
            doc.units[u].block in chosen for units in fees_in.values() for u in units
        ):
            # "Can someone help me file a VA claim for free?" asks about the help the
            # chosen section describes, not for the page's fees elsewhere.
            return None
        # Where the best-scoring fee line is, widened to the outermost heading below the
        # title ("Fees", not just "Fees › Late fees").
        home = max(fees_in, key=lambda s: max(float(self.scores[u]) for u in fees_in[s]))
        section = outermost(doc, doc.sections[home])
        scope = set(scope_blocks(doc, section))
        fees = [u for s, us in sorted(fees_in.items()) for u in us if doc.units[u].block in scope]
        pieces: list[Part] = []
        opening = first_unit(doc, section)
        if (
            opening is not None
            and opening not in fees
            and not who
            # a list's lead ("... at five senior centers:") only before its own items
            and (self.kind(opening) != "lead" or opening + 1 in fees)
        ):
            pieces.append(Part(opening, self.kind(opening)))
        fitting = [u for u in fees if who and who.fits(doc.unit_text(u))]
        # The line the question names ("the late fee", last of seven) is never the one the
        # budget cuts: it is fitted first, then shown in the page's order.
        named = [] if fitting else [max(fees, key=lambda u: float(self.scores[u]))]
        ordered = fitting + named + [u for u in fees if u not in fitting and u not in named]
        pieces.extend(
            Part(u, "item" if doc.units[u].kind == "item" else "sentence") for u in ordered
        )
        parts, more = self.fit(pieces)
        if not any(p.index in fees and p.kind != "heading" for p in parts):
            return None
        if not fitting:  # in the page's order; a situation's own line stays first
            parts.sort(key=lambda p: p.index)
        return Shaped(parts, "fees", more)

    # ---- budget --------------------------------------------------------------------------
    def fit(self, pieces: list[Part]) -> tuple[list[Part], bool]:
        """The pieces that fit in the budget, in order; a heading or a list's lead is never
        left without the item after it."""
        parts: list[Part] = []
        length = 0
        for i, piece in enumerate(pieces):
            cost = self.piece_length(piece)
            needed = cost
            if piece.kind in ("heading", "lead") and i + 1 < len(pieces):
                needed += self.piece_length(pieces[i + 1])
            if length + needed > self.limit:
                return parts, True
            parts.append(piece)
            length += cost
        return parts, False

    def room_for(self, pieces: list[Part]) -> list[Part]:
        """``pieces`` with the last list items before the final piece left out until it
        fits (two items at least stay): the sentence after a list that bears on the
        question ("If you quit your job, you must show good cause") matters more than the
        list's tail."""
        pieces = list(pieces)
        items = [i for i, p in enumerate(pieces[:-1]) if p.kind == "item"]
        while sum(self.piece_length(p) for p in pieces) > self.limit and len(items) > 2:
            del pieces[items.pop()]
        return pieces

    def piece_length(self, part: Part) -> int:
        return piece_length(self.doc, part)

    def block(self, part: Part) -> int:
        """The block a unit's piece stands in."""
        return self.doc.units[part.index].block

    def position(self, part: Part) -> int:
        """Where a piece stands on the page, as a unit index (a heading: its first unit)."""
        if part.heads:
            unit = first_unit(self.doc, self.doc.sections[part.index])
            return part.index if unit is None else unit
        return part.index

    def length(self, unit: int) -> int:
        u = self.doc.units[unit]
        return u.end - u.start

    def kind(self, unit: int) -> str:
        return self.doc.units[unit].kind


def _labels(shaped: Shaped) -> int:
    """How many sub-section headings an answer shows."""
    return sum(p.kind == "heading" for p in shaped.parts)


def _terms(text: str) -> frozenset[str]:
    return frozenset(tokenize([text])[0]) - filler_words()

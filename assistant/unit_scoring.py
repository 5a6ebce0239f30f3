"""How well each sentence or list item of a page answers a question.

Every unit of the page's outline gets a handful of features and one score, a weighted
sum (the weights are in ``assistant/answer_model.json``). What counts, measured on the
dev questions:

- the question's words in the unit, weighted by how rare they are in the knowledge
  base and, above all, by how rare they are *within this page* (on the licence page
  "license" says nothing about which section answers; "late" does);
- the question's words in the headings the unit sits under;
- for a follow-up, the words of the message it follows;
- how the unit's passage was ranked by retrieval, and its cosine to the question;
- whether the unit looks like the kind of answer asked for ("how much" → an amount)
  and sits under a heading where such answers usually are ("Fees");
- a generic "Get help" section counts against, unless the question asks how to reach
  someone; longer units, first sentences of a section and list items a little for.

Sentence vectors were tried and left out: scored this way they moved the unit chosen
by less than run-to-run noise on dev, and embedding every sentence cost ingestion a
third of its time.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from assistant.answer_parts import first_unit
from assistant.answer_types import (
    AnswerType,
    Situation,
    asks_what_it_is,
    expected_types,
    gives,
    heading_suits,
    situation,
)
from knowledge_base.documents import Chunk
from knowledge_base.index_store import IndexSnapshot
from knowledge_base.lexical_index import reading, tokenize
from knowledge_base.outline import Outline, document_from_chunks, outline
from knowledge_base.retriever import RetrievalResult
from knowledge_base.terms import Rarity, filler_words, word_pairs_of

__all__ = [
    "SECTION_FEATURES",
    "UNIT_FEATURES",
    "Page",
    "PageOutlines",
    "ScoredPage",
    "UnitWeights",
    "score_units",
]

UNIT_FEATURES = (
    "question_words",  # rarity-weighted share of the question's words in the unit
    "heading_words",  # ... in the headings the unit sits under (below the title)
    "local_words",  # ... in the unit and its headings, weighted by rarity within the page
    "context_words",  # ... of the conversation's words (follow-ups), in the unit
    "passage_rank",  # 1 / (1 + rank) of the unit's passage among the retrieved ones
    "passage_cosine",  # the passage's cosine to the (contextual) question vector
    "gives_type",  # the unit looks like the kind of answer asked for
    "heading_type",  # the unit's heading is where that kind of answer usually is
    "help_section",  # a generic "Get help" section, for a question not asking for contact
    "length",  # characters, up to 300, over 300
    "section_lead",  # the first sentence of its section
    "list_item",  # a list item or the sentence introducing a list
    "age_rule",  # 1: states an age rule for the citizen's age ("under 18" for a 17-year-old);
    # -1: only rules for other ages; a sentence after one in its paragraph reads as it does
)

# A section is chosen first, then the unit in it: the facts of an answer are often spread
# over a section's sentences, no one of which holds most of the question's words.
SECTION_FEATURES = (
    "best_unit",  # the score of its best unit
    "coverage",  # rarity-weighted share of the question's words anywhere in it or its headings
    "local_coverage",  # ... weighted by rarity within the page
    "context_coverage",  # ... of the conversation's words (follow-ups)
    "heading_words",  # ... in its headings
    "heading_type",  # its heading is where the kind of answer asked for usually is
    "gives_type",  # share of its units that look like that kind of answer
    "opening",  # the page's opening text, under no heading
    "defines",  # ... for a question asking what the thing is ("What is 311?")
    "help_section",  # a generic "Get help" section, for a question not asking for contact
    "passage_cosine",  # the best cosine of its passages to the question
    "length",  # its characters, over 600
    # A question that names only the page's subject ("How do we get a marriage license?")
    # has no word to choose a section by; the kind of answer it asks for has to:
    "subject_type",  # heading_type, for such a question
    "subject_opening",  # opening, for such a question
)


# Unit features added since the first fitted weights files, with the weight such a file
# is read with.
_ADDED_LATER = {"age_rule": 0.0}


@dataclass(frozen=True, slots=True)
class UnitWeights:
    """One weight per feature of :data:`UNIT_FEATURES`, and per feature of
    :data:`SECTION_FEATURES` (by default a section scores as its best unit)."""

    weights: tuple[float, ...]
    section: tuple[float, ...] = (1.0,) + (0.0,) * (len(SECTION_FEATURES) - 1)

    def __post_init__(self) -> None:
        if len(self.weights) != len(UNIT_FEATURES):
            raise ValueError(f"expected {len(UNIT_FEATURES)} unit weights")
        if len(self.section) != len(SECTION_FEATURES):
            raise ValueError(f"expected {len(SECTION_FEATURES)} section weights")
        if not all(math.isfinite(w) for w in (*self.weights, *self.section)):
            raise ValueError("unit weights must be finite numbers")

    @classmethod
    def from_mapping(
        cls, values: dict[str, float], section: dict[str, float] | None = None
    ) -> UnitWeights:
        # A weights file written before a feature was added reads as not using it.
        values = {**_ADDED_LATER, **values}
        missing = [name for name in UNIT_FEATURES if name not in values]
        missing += [name for name in SECTION_FEATURES if section and name not in section]
        if missing:
            raise ValueError(f"unit weights missing: {', '.join(missing)}")
        units = tuple(float(values[name]) for name in UNIT_FEATURES)
        if section is None:
            return cls(units)
        return cls(units, tuple(float(section[name]) for name in SECTION_FEATURES))


@dataclass(frozen=True, slots=True)
class Page:
    """A page's outline with what scoring reads of it every turn, worked out once."""

    outline: Outline
    chunks: list[Chunk]  # the page's passages, in order
    rows: list[int]  # their rows in the index version
    unit_chunk: list[int]  # unit -> index into ``chunks``
    section_units: list[range]  # per section, its own units (not its sub-sections')
    unit_terms: list[frozenset[str]]
    heading_terms: list[frozenset[str]]  # per section, the headings below the title
    leads: frozenset[int]  # the first unit of each section
    pairs: frozenset[tuple[str, str]]  # adjacent terms anywhere on the page, its title too
    lines: tuple[frozenset[str], ...]  # the terms of each unit and of each heading path
    title_terms: frozenset[str]  # the terms of the page title
    # Per kind of answer, the units that look like one (worked out on first use).
    _gives: dict[AnswerType, frozenset[int]] = field(default_factory=dict, repr=False)
    _suits: dict[AnswerType, frozenset[int]] = field(default_factory=dict, repr=False)

    def giving(self, kind: AnswerType) -> frozenset[int]:
        """The units that look like an answer of this kind ("$42" for a cost)."""
        found = self._gives.get(kind)
        if found is None:
            doc = self.outline
            found = frozenset(i for i in range(len(doc.units)) if gives(kind, doc.unit_text(i)))
            self._gives[kind] = found
        return found

    def suited(self, kind: AnswerType) -> frozenset[int]:
        """The sections whose headings suit this kind of answer ("Fees" for a cost)."""
        found = self._suits.get(kind)
        if found is None:
            found = frozenset(
                i
                for i, s in enumerate(self.outline.sections)
                if heading_suits(kind, " ".join(s.path[1:]), s.heading)
            )
            self._suits[kind] = found
        return found

    @classmethod
    def build(cls, chunks: list[Chunk], rows: list[int]) -> Page:
        # A page is cached across turns: its terms are made in its own language, whatever
        # the turn that first read it.
        with reading(chunks[0].language if chunks else "en"):
            return cls._build(chunks, rows)

    @classmethod
    def _build(cls, chunks: list[Chunk], rows: list[int]) -> Page:
        doc = outline(document_from_chunks(chunks))
        starts = [c.start for c in chunks]
        tokens = tokenize([doc.unit_text(i) for i in range(len(doc.units))])
        headings = tokenize([" ".join(s.path) for s in doc.sections])
        unit_terms = [frozenset(t) for t in tokens]
        return cls(
            outline=doc,
            chunks=chunks,
            rows=rows,
            unit_chunk=[_last_at_or_before(starts, u.start) for u in doc.units],
            section_units=[_units_of(doc, s.blocks) for s in doc.sections],
            unit_terms=unit_terms,
            heading_terms=[_terms(" ".join(s.path[1:])) for s in doc.sections],
            leads=frozenset(u for u in (first_unit(doc, s) for s in doc.sections) if u is not None),
            pairs=word_pairs_of([*tokens, *headings]),
            lines=(*unit_terms, *(frozenset(t) for t in headings)),
            title_terms=_terms(doc.sections[0].path[0]) if doc.sections else frozenset(),
        )

    def together(self, pair: tuple[str, str]) -> bool:
        """Whether the two words of a question's phrase stand together on the page: side
        by side, or in one sentence, list item or heading. "apply for SNAP" is on the SNAP
        page as "Apply for Westmark Food Assistance (SNAP)"; side by side only, it was not,
        and the phrase counted as missing."""
        if pair in self.pairs:
            return True
        first, second = pair
        return any(first in line and second in line for line in self.lines)

    def chunk_at(self, position: int) -> int:
        """Index of the passage holding character ``position`` of the page."""
        return _last_at_or_before([c.start for c in self.chunks], position)


@dataclass(frozen=True, slots=True)
class ScoredPage:
    """Every unit of one page with its features and score."""

    page: Page
    features: np.ndarray  # units x features
    scores: np.ndarray
    section_features: np.ndarray  # sections x features
    section_scores: np.ndarray  # -inf for a section with no text of its own

    @property
    def outline(self) -> Outline:
        return self.page.outline

    @property
    def best_section(self) -> int:
        return int(np.argmax(self.section_scores))

    @property
    def best(self) -> int:
        """The answer's unit: the best-scoring one of the best section."""
        units = self.page.section_units[self.best_section]
        return units.start + int(np.argmax(self.scores[units.start : units.stop]))


class PageOutlines:
    """Recently answered pages, rebuilt from their passages in the index version (never
    from a full copy of every document held in memory)."""

    def __init__(self, size: int = 512) -> None:
        self._cache: OrderedDict[tuple[str, str], Page] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()  # turns of different conversations run at once

    def get(self, snapshot: IndexSnapshot, doc_id: str) -> Page:
        key = (snapshot.version, doc_id)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        rows = sorted(
            (int(r) for r in snapshot.rows_by_doc[doc_id]), key=lambda r: snapshot.chunks[r].start
        )
        page = Page.build([snapshot.chunks[r] for r in rows], rows)
        with self._lock:
            self._cache[key] = page
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return page


def score_units(
    page: Page,
    *,
    question: str,
    context: str,
    retrieval: RetrievalResult,
    snapshot: IndexSnapshot,
    weights: UnitWeights,
) -> ScoredPage | None:
    """Features and scores of every unit of ``page`` for ``question``."""
    doc = page.outline
    if not doc.units:
        return None
    hit_rank = {h.row: i for i, h in enumerate(retrieval.hits)}
    vector = retrieval.query_vector
    passage_cos = (
        np.asarray(snapshot.vectors[page.rows], dtype=np.float32) @ vector
        if vector is not None
        else np.zeros(len(page.rows), dtype=np.float32)
    )
    rarity = Rarity(snapshot.term_document_frequency, snapshot.term_passages)
    asked = frozenset(snapshot.speller.correct(sorted(_terms(question))))
    around = frozenset(snapshot.speller.correct(sorted(_terms(context)))) - asked
    kinds = expected_types(question)
    defining = asks_what_it_is(question)
    asks_contact = AnswerType.CONTACT in kinds
    with_headings = [
        page.unit_terms[i] | page.heading_terms[doc.blocks[u.block].section]
        for i, u in enumerate(doc.units)
    ]
    share = _Shares(asked, rarity)
    share_around = _Shares(around, rarity)
    share_local = _Shares(asked, _local_rarity(asked, with_headings).__getitem__)
    in_headings = [share(terms) for terms in page.heading_terms]
    subject_only = bool(asked) and asked <= page.title_terms
    giving = frozenset().union(*(page.giving(k) for k in kinds))
    suited = frozenset().union(*(page.suited(k) for k in kinds))
    helps = frozenset() if asks_contact else page.suited(AnswerType.CONTACT)
    who = situation(question)
    ages = _age_rules(doc, who if who.age is not None else situation(context))
    features = np.zeros((len(doc.units), len(UNIT_FEATURES)), dtype=np.float32)
    for i, unit in enumerate(doc.units):
        section_index = doc.blocks[unit.block].section
        section = doc.sections[section_index]
        c = page.unit_chunk[i]
        rank = hit_rank.get(page.rows[c])
        features[i] = (
            share(page.unit_terms[i]),
            in_headings[section_index],
            share_local(with_headings[i]),
            share_around(page.unit_terms[i]),
            1.0 / (1 + rank) if rank is not None else 0.0,
            float(passage_cos[c]),
            float(i in giving),
            float(section_index in suited),
            float(section_index in helps and heading_suits(AnswerType.CONTACT, section.heading)),
            min(unit.end - unit.start, 300) / 300,
            float(i in page.leads),
            float(unit.kind != "sentence"),
            ages[i],
        )
    scores = features @ np.asarray(weights.weights, dtype=np.float32)
    sections = np.zeros((len(doc.sections), len(SECTION_FEATURES)), dtype=np.float32)
    for s, section in enumerate(doc.sections):
        units = page.section_units[s]
        if not units:
            continue
        found = frozenset().union(page.heading_terms[s], *page.unit_terms[units.start : units.stop])
        chunks = sorted({page.unit_chunk[u] for u in units})
        sections[s] = (
            float(scores[units.start : units.stop].max()),
            share(found),
            share_local(found),
            share_around(found),
            in_headings[s],
            float(s in suited),
            sum(u in giving for u in units) / len(units),
            float(len(section.path) == 1),
            float(len(section.path) == 1 and defining),
            float(s in helps and heading_suits(AnswerType.CONTACT, section.heading)),
            float(passage_cos[chunks].max()),
            (doc.units[units.stop - 1].end - doc.units[units.start].start) / 600,
            float(subject_only and s in suited),
            float(subject_only and len(section.path) == 1),
        )
    section_scores = sections @ np.asarray(weights.section, dtype=np.float32)
    section_scores[[not units for units in page.section_units]] = -np.inf
    return ScoredPage(page, features, scores, sections, section_scores)


def _age_rules(doc: Outline, who: Situation) -> list[float]:
    """Each unit's age rule for the citizen (``Situation.age_rule``); a sentence that
    states none reads as the last one before it in its paragraph: "Drivers under 18 must
    hold the permit for 6 months. In that time you must complete 40 hours ..." """
    rules: list[float] = []
    for i, unit in enumerate(doc.units):
        rule = float(who.age_rule(doc.unit_text(i))) if who.age is not None else 0.0
        if not rule and i and doc.units[i - 1].block == unit.block and unit.kind == "sentence":
            rule = rules[-1]
        rules.append(rule)
    return rules


def _units_of(doc: Outline, blocks: range) -> range:
    """The units of consecutive blocks, as one range (empty for a heading with no text)."""
    units = [doc.blocks[b].units for b in blocks if doc.blocks[b].units]
    return range(units[0].start, units[-1].stop) if units else range(0)


def _last_at_or_before(starts: list[int], position: int) -> int:
    return max(bisect.bisect_right(starts, position) - 1, 0)


def _terms(text: str) -> frozenset[str]:
    return frozenset(tokenize([text])[0]) - filler_words() if text else frozenset()


def _local_rarity(terms: frozenset[str], units: list[frozenset[str]]) -> dict[str, float]:
    """Each term's rarity among the page's units: a word in every section ("license" on
    the licence page) says nothing about which section answers."""
    n = len(units)
    return {t: math.log((n + 1) / (sum(t in u for u in units) + 0.5)) for t in terms}


class _Shares:
    """Weighted share of a fixed set of terms found in other sets (the weights and their
    total worked out once: a page has a few dozen units to compare)."""

    def __init__(self, terms: frozenset[str], weight: Callable[[str], float]) -> None:
        self.weights = {t: weight(t) for t in terms}
        self.total = sum(self.weights.values())

    def __call__(self, found: frozenset[str]) -> float:
        if self.total <= 0:
            return 0.0
        return sum(w for t, w in self.weights.items() if t in found) / self.total

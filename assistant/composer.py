"""The default composer: an extractive answer assembled from the source page's own
structure.

Nothing is generated: every sentence, list item and heading of an answer is quoted
verbatim from one retrieved page and cited to the passage it stands in, so the output
check can prove it. What the composer decides is *what answers*:

1. The page: the top retrieved one (on the bundled set it is the right page for ~94%
   of the answerable questions; quoting a lower-ranked passage of another page was a
   common way to be wrong). When another page may be the right one (nearly tied with
   it, or first in the dense ranking), the answerability stage asks for that page's
   answer too and keeps the likelier one.
2. The unit: every sentence and list item of the page is scored against the question
   (``assistant.unit_scoring``).
3. The shape around the best unit (``assistant.answer_shapes``): every fee line, the
   ways or steps, the whole section when it fits, the section's lists, or the sentence
   and the ones after it. A message that asks two things ("how much is it and when do
   I renew?") gets a part for each, from the same page, each in an equal share of the
   room; a part cut short then takes the room another part left.

Answers are at most ``max_chars`` long, ``prose_chars`` for running text cut out of a
longer section; ``ComposedAnswer.more`` says when the section holds more than fits.
The same question gets the same answer: nothing depends on what was said before
except, for a follow-up, the words of the message it follows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from assistant.answer import AnswerSentence, Citation, ComposedAnswer
from assistant.answer_contact import contact_line
from assistant.answer_parts import Part, piece_length
from assistant.answer_shapes import shape_answer
from assistant.answer_types import question_parts
from assistant.unit_scoring import UNIT_FEATURES, PageOutlines, ScoredPage, UnitWeights, score_units
from knowledge_base.embeddings import Embedder
from knowledge_base.index_store import IndexSnapshot
from knowledge_base.lexical_index import tokenize
from knowledge_base.retriever import RetrievalResult
from knowledge_base.terms import content_terms, word_pairs

__all__ = ["ExtractiveComposer", "render"]

_CITE_SNIPPET_CHARS = 240


@dataclass(slots=True)
class _Shaping:
    """A message's parts shaped, each in its budget."""

    parts: list[Part] = field(default_factory=list)  # the answer's pieces, in order
    shapes: list[str] = field(default_factory=list)  # per part, the shape it took
    cut: list[bool] = field(default_factory=list)  # per part, whether it was cut short
    uncovered: list[str] = field(default_factory=list)  # parts naming what no page has
    used: list[int] = field(default_factory=list)  # per part, the characters it added


class ExtractiveComposer:
    """Answers from the top page's best unit, in the shape the question asks for."""

    def __init__(
        self,
        *,
        embedder: Embedder,
        weights: UnitWeights,
        max_chars: int = 600,
        prose_chars: int = 320,
        outline_cache_size: int = 1024,
        runner_up_margin: float = 2.0,
        runner_up_room: int = 100,
        opening_margin: float = 0.5,
    ) -> None:
        if max_chars < 80 or prose_chars < 80:
            raise ValueError("max_chars and prose_chars must leave room for a sentence")
        self.embedder = embedder
        self.weights = weights
        self.max_chars = max_chars
        self.prose_chars = min(prose_chars, max_chars)
        # The next-best section joins an answer that leaves ``runner_up_room`` characters
        # free, when it scores within ``runner_up_margin`` of the best section.
        self.runner_up_margin = runner_up_margin
        self.runner_up_room = runner_up_room
        # The page's opening as the next-best section starts from its first sentence
        # scoring within ``opening_margin`` of its best. Measured on dev: 0.5 gave 2 more
        # useful answers (0.670 -> 0.676) and answered one more question no page answers
        # (a library meeting room, 0.22 -> 0.28, its answer's words changed); 1.0 also
        # lost one a later paragraph answered; 0.25 moved nothing. Any section, not only
        # the opening, starting so: one useful answer fewer.
        self.opening_margin = opening_margin
        # About 110 kB a page (outline, terms, phrases): 1,024 pages hold every page of a
        # 10k-passage knowledge base in about 110 MB; a page not held costs ~0.7 ms.
        self.outlines = PageOutlines(outline_cache_size)

    def compose(
        self, *, question: str, retrieval: RetrievalResult, context: str = ""
    ) -> ComposedAnswer | None:
        """The answer to ``question`` from ``retrieval``; ``context`` is the conversation
        text that gives a follow-up ("how much is it?") its topic."""
        snapshot = retrieval.snapshot
        if not retrieval.hits or snapshot is None:
            return None
        asked = question_parts(question)
        share = len(asked)
        scored_parts: list[ScoredPage] = []
        for part in asked:
            # Each part ("when do I renew it?") is scored on its own words and its own
            # meaning: the page is already chosen by the whole message, whose words and
            # vector would pull every part to the section of the part that dominates it.
            # A part of few words ("how long does it take to clear?") keeps the message's
            # meaning beside its own, or it has no topic.
            own = retrieval
            if share > 1 and retrieval.query_vector is not None:
                vector = self.embedder.embed_query(part)
                if len(content_terms(part)) < 3:
                    vector = vector + retrieval.query_vector
                own = replace(retrieval, query_vector=vector / np.linalg.norm(vector))
            scored = self.score(question=part, retrieval=own, context=context)
            if scored is None:
                return None
            scored_parts.append(scored)
        first = scored_parts[0]  # a message is always at least one part
        budgets = [self.max_chars // share] * share
        shaping = self._shape_parts(asked, scored_parts, budgets, snapshot)
        # A part that added little leaves room a part cut short can use ("when does the
        # city declare a snow emergency, and how will I find out?": the second part's
        # section is the first's, so the first may take the whole answer's room).
        left = self.max_chars - sum(shaping.used)
        short = [i for i, cut in enumerate(shaping.cut) if cut]
        if share > 1 and short and left >= self.runner_up_room:
            for i in short:
                budgets[i] = max(budgets[i], shaping.used[i] + left // len(short))
            wider = self._shape_parts(asked, scored_parts, budgets, snapshot)
            if sum(wider.used) <= self.max_chars:
                shaping = wider
        if not shaping.parts:
            return None
        # "Call us" with no number is a dead end: the page's line that gives it, if it fits,
        # comes before the page's next-best section.
        room = self.max_chars - sum(piece_length(first.outline, p) for p in shaping.parts)
        shaping.parts.extend(contact_line(first.outline, shaping.parts, room))
        if share == 1:
            shaping.parts.extend(self._runner_up(first, shaping.parts, asked[0]))
        answer = self._assemble(
            first,
            shaping.parts,
            snapshot,
            shape=shaping.shapes[0] if share == 1 else "parts",
            more=any(shaping.cut),
        )
        # The question's phrases ("rent control") found together on the page, for the
        # answerability decision: the page's pairs are worked out once, with its outline.
        phrases = word_pairs(snapshot.speller.correct(tokenize([f"{question} {context}"])[0]))
        answer.signals["phrase_coverage"] = (
            sum(map(first.page.together, phrases)) / len(phrases) if phrases else 1.0
        )
        answer.signals["phrase_count"] = math.log1p(len(phrases))
        uncovered = tuple(shaping.uncovered)
        return replace(answer, uncovered=uncovered) if uncovered else answer

    def _shape_parts(
        self,
        asked: list[str],
        scored_parts: list[ScoredPage],
        budgets: list[int],
        snapshot: IndexSnapshot,
    ) -> _Shaping:
        """Each part of the message shaped in its budget."""
        share = len(asked)
        shaping = _Shaping()
        bests: set[int] = set()
        for part, scored, budget in zip(asked, scored_parts, budgets, strict=True):
            shaped = shape_answer(
                scored.outline,
                scored.scores,
                scored.best,
                part,
                limit=budget,
                prose=self.prose_chars if share == 1 else budget,
            )
            shaping.shapes.append(shaped.shape)
            pieces, dropped = _labelled(scored, shaped.parts, budget)
            shaping.cut.append(shaped.more or dropped)
            added = _without_bare_labels([p for p in pieces if p not in shaping.parts])
            if share > 1 and not added and scored.best in bests:
                # Both parts picked the same sentence ("when does the city declare a snow
                # emergency, and how will I find out?"): the later one, which has no
                # word of its own to choose by, gets its best sentence not yet shown.
                added = self._next_unshown(scored, shaping.parts, part, budget)
            bests.add(scored.best)
            if share > 1 and _names_the_unknown(part, snapshot):
                shaping.uncovered.append(part)
                added = []
            shaping.parts.extend(added)
            shaping.used.append(sum(piece_length(scored.outline, p) for p in added))
        return shaping

    def _next_unshown(
        self, scored: ScoredPage, parts: list[Part], question: str, budget: int
    ) -> list[Part]:
        """A part's best unit not already in the answer, shaped in the part's budget."""
        shown = {p.index for p in parts if not p.heads}
        ranked = (int(u) for u in np.argsort(-scored.scores, kind="stable"))
        unit = next((u for u in ranked if u not in shown), None)
        if unit is None:
            return []
        shaped = shape_answer(
            scored.outline, scored.scores, unit, question, limit=budget, prose=budget
        )
        pieces, _ = _labelled(scored, shaped.parts, budget)
        return _without_bare_labels([p for p in pieces if p not in parts])

    def score(
        self, *, question: str, retrieval: RetrievalResult, context: str = ""
    ) -> ScoredPage | None:
        """Every unit of the top retrieved page, scored for ``question`` (also what the
        fitting in ``eval`` reads)."""
        snapshot = retrieval.snapshot
        if not retrieval.hits or snapshot is None:
            return None
        page = self.outlines.get(snapshot, retrieval.hits[0].chunk.doc_id)
        return score_units(
            page,
            question=question,
            context=context,
            retrieval=retrieval,
            snapshot=snapshot,
            weights=self.weights,
        )

    def _runner_up(self, scored: ScoredPage, parts: list[Part], question: str) -> list[Part]:
        """The next-best section of the page, shaped for ``question``, in the room the
        answer leaves: its heading as a label (when the passage carries it, so the output
        check can prove it), then its pieces. Nothing when no section is close enough, or
        when it would have to be cut mid-sentence."""
        doc, page = scored.outline, scored.page
        room = self.max_chars - sum(piece_length(doc, p) for p in parts)
        if room < self.runner_up_room:
            return []
        shown = {doc.blocks[doc.units[p.index].block].section for p in parts if not p.heads}
        shown |= {p.index for p in parts if p.heads}
        floor = float(scored.section_scores[scored.best_section]) - self.runner_up_margin
        ranked = sorted(range(len(doc.sections)), key=lambda s: -scored.section_scores[s])
        for s in ranked:
            if float(scored.section_scores[s]) < floor:
                return []
            units = page.section_units[s]
            if s in shown or not units:
                continue
            section = doc.sections[s]
            label = []
            if len(section.path) > 1 and section.heading:
                passage = page.chunks[page.chunk_at(section.start)]
                if section.heading in passage.section_path:
                    label = [Part(s, "heading")]
            budget = room - sum(piece_length(doc, p) for p in label)
            if budget < self.runner_up_room // 2:
                return []
            best = units.start + int(np.argmax(scored.scores[units.start : units.stop]))
            if len(section.path) == 1:
                # The page's opening leads with its summary ("registrations last for 2
                # years. You can renew up to 90 days before ..."); the sentence scored a
                # little higher is often an aside after it ("... mails a renewal notice").
                top = float(scored.scores[best]) - self.opening_margin
                best = next(u for u in units if float(scored.scores[u]) >= top)
            shaped = shape_answer(
                doc, scored.scores, best, question, limit=budget, prose=budget, own_section=True
            )
            added = _without_bare_labels([p for p in shaped.parts if p not in parts])
            if not added or any(p.kind == "cut" for p in added):
                return []
            return added if added[0].heads else label + added
        return []

    def _assemble(
        self,
        scored: ScoredPage,
        parts: Sequence[Part],
        snapshot: IndexSnapshot,
        *,
        shape: str,
        more: bool,
    ) -> ComposedAnswer:
        """The answer's text and citations: one citation per passage quoted, in order."""
        doc = scored.outline
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        sentences: list[AnswerSentence] = []
        quoted_rows: list[int] = []
        for i, part in enumerate(parts):
            kind = part.kind
            if kind in ("heading", "way"):
                section = doc.sections[part.index]
                c = scored.page.chunk_at(section.start)
                text = section.heading
                # A label is cited with what it labels when that passage carries it too
                # ("Fees:" over a line of "Fees › Registration fees"): no "Fees: [1]".
                after = parts[i + 1] if i + 1 < len(parts) else None
                if after is not None and not after.heads:
                    theirs = scored.page.unit_chunk[after.index]
                    if text in scored.page.chunks[theirs].section_path:
                        c = theirs
            else:
                c = scored.page.unit_chunk[part.index]
                text = doc.unit_text(part.index)
                if kind == "cut":
                    text, kind = _truncate(text, part.limit), "sentence"
            chunk = scored.page.chunks[c]
            if chunk.chunk_id not in numbers:
                numbers[chunk.chunk_id] = len(numbers) + 1
                quoted_rows.append(scored.page.rows[c])
                citations.append(
                    Citation(
                        n=numbers[chunk.chunk_id],
                        doc_id=chunk.doc_id,
                        title=chunk.title,
                        url=chunk.url,
                        section=chunk.section,
                        snippet=_truncate(chunk.text, _CITE_SNIPPET_CHARS),
                    )
                )
            sentences.append(AnswerSentence(text, chunk.chunk_id, numbers[chunk.chunk_id], kind))
        mean = np.asarray(snapshot.vectors[quoted_rows], dtype=np.float32).mean(axis=0)
        best = scored.best
        return ComposedAnswer(
            text=render(sentences),
            citations=citations,
            sentences=sentences,
            vector=mean / max(float(np.linalg.norm(mean)), 1e-12),
            vector_model=self.embedder.name,
            doc_id=doc.doc_id,
            section=doc.section_of(best).path,
            shape=shape,
            more=more,
            signals={
                "unit_score": float(scored.scores[best]),
                **{
                    f"unit_{name}": float(v)
                    for name, v in zip(UNIT_FEATURES, scored.features[best], strict=True)
                },
            },
        )


def _labelled(scored: ScoredPage, parts: list[Part], budget: int) -> tuple[list[Part], bool]:
    """``parts`` with their section's heading first when they open with a list item and
    nothing says what the list is ("Other street problems you can report to 311", "What
    we do not collect": without it a citizen may read the list as its opposite). The
    label takes the room of the list's last items if need be, one item at least staying.
    Also whether an item gave way."""
    doc = scored.outline
    if not parts or parts[0].kind != "item":
        return parts, False
    # The label covers the list items the answer opens with: fee lines from
    # "Registration fees" and "Other fees" go under "Fees", the heading they share.
    run = next((i for i, p in enumerate(parts) if p.kind != "item"), len(parts))
    paths = [doc.section_of(p.index).path for p in parts[:run]]
    shared = paths[0]
    for path in paths[1:]:
        while path[: len(shared)] != shared:
            shared = shared[:-1]
    s = next((i for i, x in enumerate(doc.sections) if x.path == shared), None)
    if s is None or len(shared) < 2:
        return parts, False
    section = doc.sections[s]
    passage = scored.page.chunks[scored.page.chunk_at(section.start)]
    if section.heading not in passage.section_path:
        return parts, False  # the output check must find the label in the passage cited
    labelled = [Part(s, "heading"), *parts]
    dropped = False
    while sum(piece_length(doc, p) for p in labelled) > budget:
        items = [i for i, p in enumerate(labelled) if p.kind == "item"]
        if len(items) < 2:
            return parts, False
        del labelled[items[-1]]
        dropped = True
    return labelled, dropped


def _without_bare_labels(parts: list[Part]) -> list[Part]:
    """``parts`` less any label with nothing under it and any list lead with no item
    after it: pieces an earlier part showed, or a budget too small for a list's first
    item, can leave "- By mail:" or "Bring these to the DMV office:" standing alone."""
    kept: list[Part] = []
    for part in reversed(parts):
        after = kept[-1] if kept else None
        if part.heads and (after is None or after.heads):
            continue
        if part.kind == "lead" and (after is None or after.kind != "item"):
            continue
        kept.append(part)
    return kept[::-1]


def render(sentences: Sequence[AnswerSentence]) -> str:
    """The answer text, one line per paragraph or list item:

    - running sentences joined on one line;
    - a list item on a line of its own, starting with "- ";
    - a heading as a label line ending in ":" ("Proof of identity (one document):");
    - a way as an item whose label leads its first sentence ("- By mail: Send ...");

    and " [n]" after the last piece quoted from passage n before the next passage's.
    """
    lines: list[str] = []
    for i, sentence in enumerate(sentences):
        closing = i + 1 == len(sentences) or sentences[i + 1].citation_n != sentence.citation_n
        mark = f" [{sentence.citation_n}]" if closing else ""
        last = lines[-1] if lines else ""
        if sentence.kind == "way":
            lines.append(f"- {sentence.text}:")
        elif last.startswith("- ") and last.endswith(":"):
            lines[-1] = f"{last} {sentence.text}{mark}"  # the way's first sentence
        elif sentence.kind == "item":
            lines.append(f"- {sentence.text}{mark}")
        elif sentence.kind == "heading":
            lines.append(f"{sentence.text}:{mark}")
        elif sentence.kind == "lead" or not last or last.startswith("- ") or last.endswith(":"):
            lines.append(f"{sentence.text}{mark}")
        else:
            lines[-1] = f"{last} {sentence.text}{mark}"
    return "\n".join(lines)


def _names_the_unknown(asked: str, snapshot: IndexSnapshot) -> bool:
    """Whether one part of a message names a thing no page mentions ("can I pay with
    bitcoin?"): whatever was quoted for it, it is not answered. A part whose words are
    all known is taken as answered, since its words may simply be phrased otherwise."""
    terms = snapshot.speller.correct(sorted(content_terms(asked)))
    return any(t not in snapshot.term_document_frequency for t in terms)


def _truncate(text: str, limit: int) -> str:
    """Cut at a word and mark the cut with "…" (the quoted part stays verbatim)."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"

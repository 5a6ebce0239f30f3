"""Realistic synthetic knowledge bases and questions, derived from the bundled sample.

Each synthetic document is a sample document moved to another city, state and agency
(place names swapped, numbers and amounts changed), whose sections are rebuilt as one
~100-word passage each: the section's own sentences, in order, topped up with sentences
from the same-named or a random section of another sample document. Everything is
deterministic for a given seed and size, so the bench's processes agree on the corpus.

Questions are generated from a passage's heading or one of its sentences, with the
document's city, so every question is different (no cache flatters the figures) and
has a known source passage to measure recall against.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from knowledge_base.documents import Document
from knowledge_base.loaders import load_paths

SAMPLE_KB = Path(__file__).resolve().parents[2] / "knowledge_base" / "sample"

CITIES = [
    "Brookfield", "Riverton", "Ashford", "Millbrook", "Cedar Falls", "Lakeview", "Oakdale",
    "Pinecrest", "Harbor City", "Maple Grove", "Stonebridge", "Greenville", "Fairview",
    "Westfield", "Northport", "Clearwater", "Springdale", "Kingsley", "Elmwood", "Bayside",
    "Hillcrest", "Redwood", "Silver Lake", "Glenwood", "Easton", "Marlow", "Dunmore",
    "Highland Park", "Rosedale", "Sunnyvale", "Bridgeport", "Crestwood", "Avondale",
    "Linden", "Whitmore", "Foxborough", "Larkspur", "Tamarack", "Wrenfield", "Copperton",
]  # fmt: skip
STATES = [
    "Eastmark", "Northland", "Southvale", "Midland", "Coastshire", "Highmoor", "Lowfield",
    "Greystone", "Summerland", "Westvale", "Ironwood", "Bluewater",
]  # fmt: skip
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9$])")
_NUMBER = re.compile(r"(?<![\w.:])(\d{1,4})(?![\w:])")
_WORDS_MIN, _CHARS_MAX = 85, 640


@dataclass(frozen=True, slots=True)
class _Section:
    heading: str
    sentences: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Base:
    doc: Document
    sections: tuple[_Section, ...]


def _bases() -> list[_Base]:
    bases = []
    for doc in load_paths([SAMPLE_KB]).documents:
        marks = sorted(doc.sections)
        sections = []
        for i, (start, path) in enumerate(marks):
            end = marks[i + 1][0] if i + 1 < len(marks) else len(doc.text)
            body = doc.text[start:end].strip()
            heading = path[-1]
            if body.startswith(heading):
                body = body[len(heading) :].strip()
            sentences = tuple(
                s.strip(" -*\n")
                for line in body.splitlines()
                for s in _SENTENCE.split(line)
                if len(s.strip(" -*")) > 20
            )
            if sentences:
                sections.append(_Section(heading, sentences))
        if sections:
            bases.append(_Base(doc, tuple(sections)))
    return bases


@dataclass(frozen=True, slots=True)
class Place:
    city: str
    state: str


def _relocate(text: str, place: Place, rng: random.Random) -> str:
    """Move a sample text to ``place`` and change its numbers (same number of digits)."""
    text = text.replace("Fairhaven", place.city).replace("Westmark", place.state)
    text = text.replace("fairhaven", place.city.lower().replace(" ", ""))
    text = text.replace("westmark", place.state.lower())

    def number(match: re.Match[str]) -> str:
        digits = match.group(1)
        if rng.random() < 0.5 or (len(digits) == 4 and digits.startswith(("19", "20"))):
            return digits  # keep half of them, and years
        low = 10 ** (len(digits) - 1) if len(digits) > 1 else 1
        return str(rng.randint(low, 10 ** len(digits) - 1))

    return _NUMBER.sub(number, text)


def generate_documents(passages: int, *, seed: int = 7) -> list[Document]:
    """Documents with about ``passages`` passages of ~100 words in total (one a section)."""
    rng = random.Random(seed)
    bases = _bases()
    by_heading: dict[str, list[tuple[int, _Section]]] = {}
    for b, base in enumerate(bases):
        for section in base.sections:
            by_heading.setdefault(section.heading.lower(), []).append((b, section))
    documents: list[Document] = []
    made = 0
    n = 0
    while made < passages:
        b = n % len(bases)
        base = bases[b]
        place = Place(CITIES[(n // len(bases)) % len(CITIES)], STATES[rng.randrange(len(STATES))])
        doc_rng = random.Random(f"{seed}-{n}")
        title = f"{_relocate(base.doc.title, place, doc_rng)} ({place.city})"
        parts: list[str] = []
        sections: list[tuple[int, tuple[str, ...]]] = []
        offset = 0
        for section in base.sections[: passages - made]:
            sentences = list(section.sentences)
            donors = [s for d, s in by_heading.get(section.heading.lower(), []) if d != b]
            while len(" ".join(sentences).split()) < _WORDS_MIN:
                donor = (
                    doc_rng.choice(donors)
                    if donors and doc_rng.random() < 0.5
                    else doc_rng.choice(bases[doc_rng.randrange(len(bases))].sections)
                )
                sentences.append(doc_rng.choice(donor.sentences))
            body = _relocate(" ".join(sentences), place, doc_rng)
            if len(body) > _CHARS_MAX:
                body = body[:_CHARS_MAX].rsplit(". ", 1)[0].rstrip(".") + "."
            heading = _relocate(section.heading, place, doc_rng)
            block = f"{heading}\n\n{body}"
            sections.append((offset, (title, heading)))
            parts.append(block)
            offset += len(block) + 2
            made += 1
        documents.append(
            Document(
                doc_id=f"{base.doc.doc_id}--{n}",
                title=title,
                text="\n\n".join(parts),
                url=(base.doc.url or "https://example.gov/").replace(
                    "fairhaven", place.city.lower().replace(" ", "")
                )
                + f"?v={n}",
                agency=_relocate(base.doc.agency or "", place, doc_rng) or None,
                topic=base.doc.topic,
                language=base.doc.language,
                sections=tuple(sections),
            )
        )
        n += 1
    return documents


@dataclass(frozen=True, slots=True)
class Question:
    """A question and the passage it was generated from (``chunk_id``)."""

    text: str
    chunk_id: str
    doc_id: str
    section: str


_STARTS = [
    ("You can ", "Can I "),
    ("You must ", "Must I "),
    ("You need ", "Do I need "),
    ("You do not need ", "Do I need "),
    ("You will ", "Will I "),
    ("You may ", "May I "),
    ("If you ", "What if I "),
]


def _question_from_sentence(sentence: str, city: str, rng: random.Random) -> str:
    sentence = sentence.rstrip(".!:;")
    for prefix, question in _STARTS:
        if sentence.startswith(prefix):
            rest = sentence[len(prefix) :]
            return f"{question}{rest} in {city}?"
    words = sentence.split()
    begin = rng.randrange(0, max(1, len(words) - 8))
    snippet = " ".join(words[begin : begin + rng.randint(6, 10)])
    template = rng.choice(["{s} in {c}?", "{c}: {s}?", "is it true that {s} ({c})?"])
    return template.format(s=snippet[:1].lower() + snippet[1:], c=city)


def _question_from_heading(heading: str, title: str, city: str, rng: random.Random) -> str:
    topic = title.split(" (")[0]
    template = rng.choice(
        [
            "{h} — {t} in {c}",
            "What about {h_lower} for {t_lower} in {c}?",
            "{t} in {c}: {h_lower}?",
        ]
    )
    return template.format(
        h=heading, h_lower=heading.lower(), t=topic, t_lower=topic.lower(), c=city
    )


def generate_questions(chunks: list[object], count: int, *, seed: int = 11) -> list[Question]:
    """``count`` distinct questions, each from a different random passage of ``chunks``."""
    from knowledge_base.documents import Chunk

    rng = random.Random(seed)
    rows = rng.sample(range(len(chunks)), min(count, len(chunks)))
    questions: list[Question] = []
    seen: set[str] = set()
    for row in rows:
        chunk = chunks[row]
        assert isinstance(chunk, Chunk)
        city = chunk.title.rsplit("(", 1)[-1].rstrip(")")
        heading = chunk.section_path[-1]
        sentences = [s for s in _SENTENCE.split(chunk.text.split("\n\n", 1)[-1]) if len(s) > 30]
        if sentences and rng.random() < 0.7:
            text = _question_from_sentence(rng.choice(sentences), city, rng)
        else:
            text = _question_from_heading(heading, chunk.title, city, rng)
        if text in seen:
            continue
        seen.add(text)
        questions.append(Question(text, chunk.chunk_id, chunk.doc_id, heading))
    return questions


def iter_words(documents: list[Document]) -> Iterator[int]:
    """Words per section body, for the report's passage-length figure."""
    for document in documents:
        for block in document.text.split("\n\n")[1::2]:
            yield len(block.split())

"""The values that flow through the knowledge base: documents in, chunks out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Document:
    """One source document, as loaded, before chunking.

    ``text`` is the document's plain text; chunk offsets point into it. ``sections``
    lists ``(start, heading_path)`` pairs in order of ``start``: from character
    ``start`` on, the text belongs under ``heading_path`` (outermost heading first),
    until the next entry. Loaders that cannot see headings leave it empty.
    """

    doc_id: str
    title: str
    text: str
    url: str | None = None
    agency: str | None = None
    topic: str | None = None
    language: str = "en"
    last_reviewed: str | None = None
    source_path: str | None = None
    sections: tuple[tuple[int, tuple[str, ...]], ...] = ()
    metadata: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything that ends up in the index changes."""
        digest = hashlib.sha256()
        for part in (
            self.title,
            self.url or "",
            self.agency or "",
            self.topic or "",
            self.language,
            self.last_reviewed or "",
            repr(self.sections),
            self.text,
        ):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x00")
        # Added later: only counted when set, so existing documents keep their hashes.
        if review_due := self.metadata.get("review_due"):
            digest.update(b"review_due\x00" + review_due.encode("utf-8"))
        return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of a document: the unit that is indexed, retrieved and cited."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    section_path: tuple[str, ...]
    title: str
    url: str | None = None
    agency: str | None = None
    topic: str | None = None
    language: str = "en"

    @property
    def section(self) -> str | None:
        """The heading path below the title, e.g. ``Fees › Late fees``."""
        inner = (
            self.section_path[1:] if self.section_path[:1] == (self.title,) else self.section_path
        )
        return " › ".join(inner) or None


@dataclass(frozen=True, slots=True)
class LoadError:
    """A document that could not be read, and why; the rest of a batch still goes in."""

    path: Path
    reason: str

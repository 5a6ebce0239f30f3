"""Split documents into passages that keep their section path and character offsets."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING

from knowledge_base.documents import Chunk, Document

if TYPE_CHECKING:
    from langchain_text_splitters import RecursiveCharacterTextSplitter


class Chunker:
    """Splits each section of a document separately, so no passage straddles two headings.

    Sizes are in characters. The splitter prefers paragraph, then line, then sentence
    boundaries, so a passage is readable on its own; its ``[start, end)`` range points
    into ``Document.text`` exactly.
    """

    def __init__(self, *, chunk_size: int, chunk_overlap: int = 0) -> None:
        if chunk_size < 50:
            raise ValueError("chunk_size must be at least 50 characters")
        if not 0 <= chunk_overlap < chunk_size:
            raise ValueError("chunk_overlap must be between 0 and chunk_size")
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap

    @cached_property
    def _splitter(self) -> RecursiveCharacterTextSplitter:
        # Imported on first use: a server that only answers never loads LangChain.
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        return RecursiveCharacterTextSplitter(
            chunk_size=self.chunk_size,
            chunk_overlap=self.chunk_overlap,
            separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
            keep_separator="end",
            add_start_index=True,
            strip_whitespace=True,
        )

    def split(self, document: Document) -> list[Chunk]:
        """The passages of one document, in document order."""
        chunks: list[Chunk] = []
        for start, end, path in _section_spans(document):
            section_text = document.text[start:end]
            if not section_text.strip():
                continue
            for piece in self._splitter.create_documents([section_text]):
                offset = start + int(piece.metadata["start_index"])
                text = piece.page_content
                if document.text[offset : offset + len(text)] != text:  # pragma: no cover
                    offset = document.text.find(text, start)
                chunks.append(
                    Chunk(
                        chunk_id=_chunk_id(document.doc_id, len(chunks), text),
                        doc_id=document.doc_id,
                        text=text,
                        start=offset,
                        end=offset + len(text),
                        section_path=path,
                        title=document.title,
                        url=document.url,
                        agency=document.agency,
                        topic=document.topic,
                        language=document.language,
                    )
                )
        return chunks

    def split_all(self, documents: Iterable[Document]) -> Iterator[Chunk]:
        for document in documents:
            yield from self.split(document)


def _section_spans(document: Document) -> Iterator[tuple[int, int, tuple[str, ...]]]:
    """``(start, end, heading_path)`` for each run of text under one heading path."""
    marks = sorted(document.sections) or [(0, (document.title,))]
    if marks[0][0] > 0:
        marks.insert(0, (0, (document.title,)))
    for i, (start, path) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(document.text)
        if end > start:
            yield start, end, path or (document.title,)


def _chunk_id(doc_id: str, position: int, text: str) -> str:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()
    return f"{doc_id}#{position}-{digest}"


def indexed_text(chunk: Chunk) -> str:
    """What the indexes see: the title and section path give a passage its context."""
    heading = " › ".join(dict.fromkeys((chunk.title, *chunk.section_path)))
    return f"{heading}\n{chunk.text}"

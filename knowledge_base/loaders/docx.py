"""A Word document via python-docx: Title and Heading 1-3 become sections, lists and
tables become lines."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from knowledge_base.documents import Document
from knowledge_base.loaders.common import (
    UnreadableDocument,
    _assemble,
    _Block,
    _language,
    _one_line,
    _require_text,
)


def _load_docx(path: Path, doc_id: str) -> Document:
    """A Word document: Title/Heading 1-3 paragraphs become sections, lists and tables lines."""
    return _docx_document(
        path.read_bytes(), doc_id, fallback_title=path.stem, source_path=str(path)
    )


def _docx_document(
    data: bytes, doc_id: str, *, fallback_title: str, source_path: str | None
) -> Document:
    """The Document for a DOCX file's bytes (see ``_load_docx``)."""
    try:
        document: DocxDocument = docx.Document(io.BytesIO(data))
    except Exception:
        raise UnreadableDocument("corrupt or unreadable DOCX (not a Word document?)") from None
    items = list(document.iter_inner_content())
    has_title_style = any(
        isinstance(item, DocxParagraph) and _docx_style(item) == "title" for item in items
    )
    blocks: list[_Block] = []
    groups = itertools.count(1)
    list_group: int | None = None
    title = ""
    for item in items:
        if isinstance(item, DocxTable):
            list_group = None
            table_group = next(groups)
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:  # merged cells repeat; keep each text once
                    cell_text = _one_line(cell.text)
                    if cell_text and (not cells or cells[-1] != cell_text):
                        cells.append(cell_text)
                blocks.append(_Block(" | ".join(cells), group=table_group))
            continue
        style = _docx_style(item)
        text = item.text
        depth = _docx_heading_depth(style, has_title_style)
        if style == "title" and not title:
            title = _one_line(text)
        if style.startswith("list"):
            list_group = list_group or next(groups)
            blocks.append(_Block("- " + text, group=list_group))
        else:
            list_group = None
            blocks.append(_Block(text, depth=depth))
    core_title = _one_line(document.core_properties.title or "")
    first_h1 = next((b.text for b in blocks if b.depth == 0 and _one_line(b.text)), "")
    title = title or core_title or _one_line(first_h1) or fallback_title
    metadata: dict[str, str] = {}
    language = _language(document.core_properties.language, metadata)
    text, sections = _assemble(blocks, title)
    return Document(
        doc_id=doc_id,
        title=title,
        text=_require_text(text),
        language=language,
        source_path=source_path,
        sections=sections,
        metadata=metadata,
    )


def _docx_style(paragraph: DocxParagraph) -> str:
    """The paragraph's style name, lowercased ("" if it has none)."""
    style = paragraph.style
    return (style.name or "").strip().lower() if style is not None else ""


def _docx_heading_depth(style: str, has_title_style: bool) -> int | None:
    """Section depth for a Title / Heading 1-3 paragraph, None for body text.

    With a Title paragraph, Heading 1 is a top-level section; without one, Heading 1
    plays the title's part (as ``#`` does in Markdown).
    """
    if style == "title":
        return 0
    match = re.fullmatch(r"heading ([123])", style)
    if match is None:
        return None
    level = int(match.group(1))
    return level if has_title_style else level - 1

"""Plain UTF-8 text: the first non-empty line is the title."""

from __future__ import annotations

from pathlib import Path

from knowledge_base.documents import Document
from knowledge_base.loaders.common import _decode, _first_line, _normalise, _require_text


def _load_txt(path: Path, doc_id: str) -> Document:
    """Plain UTF-8 text; the first non-empty line is the title."""
    raw = _decode(path.read_bytes())
    return _text_document(raw, doc_id, fallback_title=path.stem, source_path=str(path))


def _text_document(
    raw: str, doc_id: str, *, fallback_title: str, source_path: str | None
) -> Document:
    """The Document for plain text (see ``_load_txt``)."""
    text = _require_text(_normalise(raw))
    title = _first_line(text) or fallback_title
    return Document(doc_id=doc_id, title=title, text=text, source_path=source_path)

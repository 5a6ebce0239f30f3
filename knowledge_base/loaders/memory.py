"""``load_bytes``: one document of a known kind from memory, parsed as ``load_paths`` would."""

from __future__ import annotations

from knowledge_base.documents import Document
from knowledge_base.loaders.common import (
    DocumentKind,
    DocumentTooLarge,
    UnreadableDocument,
    _decode,
)
from knowledge_base.loaders.docx import _docx_document
from knowledge_base.loaders.html import _html_document
from knowledge_base.loaders.markdown import _markdown_document
from knowledge_base.loaders.pdf import _pdf_document
from knowledge_base.loaders.text import _text_document


def load_bytes(
    kind: DocumentKind,
    data: bytes,
    doc_id: str,
    *,
    fallback_title: str | None = None,
    max_text_chars: int | None = None,
) -> Document:
    """Read one document of a known ``kind`` from memory; nothing touches the disk.

    The parsing is exactly that of ``load_paths``. ``fallback_title`` stands in for the
    file name where a loader would use it (no title in the file); ``max_text_chars``
    caps the extracted text (a PDF stops extracting as soon as it is passed). Raises
    UnreadableDocument (or its DocumentHasNoText / DocumentTooLarge) with a reason.
    """
    if kind not in ("markdown", "html", "pdf", "docx", "text"):
        raise ValueError(f"unknown document kind {kind!r}")
    name = fallback_title or doc_id
    try:
        if kind == "markdown":
            document = _markdown_document(
                _decode(data), doc_id, fallback_title=fallback_title, source_path=None
            )
        elif kind == "html":
            document = _html_document(data, doc_id, fallback_title=name, source_path=None)
        elif kind == "pdf":
            document = _pdf_document(
                data, doc_id, fallback_title=name, source_path=None, max_text_chars=max_text_chars
            )
        elif kind == "docx":
            document = _docx_document(data, doc_id, fallback_title=name, source_path=None)
        else:
            document = _text_document(_decode(data), doc_id, fallback_title=name, source_path=None)
    except UnreadableDocument:
        raise
    except RecursionError:
        raise UnreadableDocument(f"{kind.upper()} nested too deeply to read") from None
    except Exception as exc:  # as in _load_file: a parser choking on a corrupt file
        raise UnreadableDocument(
            f"corrupt or unreadable {kind.upper()} ({type(exc).__name__})"
        ) from None
    if max_text_chars is not None and len(document.text) > max_text_chars:
        raise DocumentTooLarge(f"more than {max_text_chars:,} characters of text")
    return document

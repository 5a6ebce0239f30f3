"""A PDF's text, page by page, via pypdf (no sections: PDFs rarely say where they are)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from pypdf import PdfReader

from knowledge_base.documents import Document
from knowledge_base.loaders.common import (
    DocumentHasNoText,
    DocumentTooLarge,
    UnreadableDocument,
    _first_line,
    _normalise,
    _one_line,
)

# Titles that authoring tools write for you: "Microsoft Word - form 12.docx", "untitled".
_PLACEHOLDER_PDF_TITLE = re.compile(
    r"^(microsoft \w+ - |untitled\b)|\.(docx?|pdf|xlsx?|pptx?|rtf|odt|indd|txt)$",
    re.IGNORECASE,
)


def _load_pdf(path: Path, doc_id: str) -> Document:
    """A PDF's text, page by page, separated by blank lines (no sections)."""
    return _pdf_document(path.read_bytes(), doc_id, fallback_title=path.stem, source_path=str(path))


def _pdf_document(
    data: bytes,
    doc_id: str,
    *,
    fallback_title: str,
    source_path: str | None,
    max_text_chars: int | None = None,
) -> Document:
    """The Document for a PDF's bytes; stops extracting once ``max_text_chars`` is passed."""
    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception:
        raise UnreadableDocument("corrupt or unreadable PDF") from None
    if reader.is_encrypted:
        try:  # restrictions-only PDFs open with an empty password
            unlocked = bool(reader.decrypt(""))
        except Exception:
            unlocked = False
        if not unlocked:
            raise UnreadableDocument("PDF is encrypted (password-protected)")
    pages: list[str] = []
    extracted = 0
    try:
        for page in reader.pages:
            page_text = _normalise(page.extract_text() or "")
            if page_text:
                pages.append(page_text)
                extracted += len(page_text) + 2
            if max_text_chars is not None and extracted > max_text_chars:
                raise DocumentTooLarge(f"more than {max_text_chars:,} characters of text")
    except DocumentTooLarge:
        raise
    except Exception:
        raise UnreadableDocument("corrupt or unreadable PDF (text extraction failed)") from None
    text = "\n\n".join(pages)
    if not text:
        raise DocumentHasNoText("no extractable text in PDF (scanned image?)")
    try:
        info = reader.metadata
        title = _one_line(str(info.title)) if info is not None and info.title else ""
    except Exception:  # broken metadata should not cost us the text
        title = ""
    if _PLACEHOLDER_PDF_TITLE.search(title):
        title = ""
    title = title or _first_line(text) or fallback_title
    return Document(doc_id=doc_id, title=title, text=text, source_path=source_path)

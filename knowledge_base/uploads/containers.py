"""DOCX (ZIP) packages and PDFs, checked before anything in them is unpacked or extracted.

Only a ZIP's directory and a PDF's page tree are read, so a "zip bomb" or a 10,000-page
PDF is refused cheaply, before the loaders ever see it.
"""

from __future__ import annotations

import io
import re
import zipfile

from pypdf import PdfReader

from knowledge_base.uploads.common import (
    UploadLimits,
    UploadRejected,
    _bomb,
    _format_size,
    _not_a_document,
)

_ZIP_ENCRYPTED_FLAG = 0x1
_MAIN_DOCUMENT_PART = re.compile(r"word/document\d*\.xml")


def _check_docx_package(data: bytes, limits: UploadLimits) -> None:
    """Refuse a ZIP that is damaged, bomb-like, encrypted or not a Word document.

    Only the ZIP's directory is read: nothing is unpacked.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise UploadRejected(
            "This file looks like a Word document or ZIP archive, but it is damaged or "
            "incomplete, so we cannot open it. Save it again and upload the new copy.",
            problem="malformed",
        ) from None
    if len(entries) > limits.max_zip_entries:
        raise _bomb(f"it holds {len(entries):,} parts, far more than a Word document has")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limits.max_unpacked_bytes:
        raise _bomb(
            f"it would unpack to {_format_size(unpacked, limits.max_unpacked_bytes)}, more "
            f"than the {_format_size(limits.max_unpacked_bytes, unpacked)} we allow"
        )
    for entry in entries:
        if (
            entry.file_size >= limits.ratio_checked_from_bytes
            and entry.file_size > limits.max_compression_ratio * max(entry.compress_size, 1)
        ):
            raise _bomb("part of it is compressed far more than any real document")
    if any(entry.flag_bits & _ZIP_ENCRYPTED_FLAG for entry in entries):
        raise UploadRejected(
            "This file is password-protected (encrypted), so we cannot read it. Remove the "
            "password, save it and upload it again.",
            problem="encrypted",
        )
    names = {entry.filename for entry in entries}
    if any(_MAIN_DOCUMENT_PART.fullmatch(name) for name in names):
        if "word/vbaProject.bin" in names:
            raise UploadRejected(
                "This Word document contains macros (.docm), which we do not accept. Save it "
                "as a plain Word document (.docx) and upload that.",
                problem="not_a_document",
            )
        return
    if any(name.startswith("word/") for name in names):
        raise UploadRejected(
            "This Word document is incomplete: its main text (word/document.xml) is "
            "missing. Open it in Word, save it again and upload the new copy.",
            problem="malformed",
        )
    raise _not_a_document(_zip_description(names))


def _zip_description(names: set[str]) -> str:
    if "xl/workbook.xml" in names:
        return "an Excel spreadsheet"
    if "ppt/presentation.xml" in names:
        return "a PowerPoint presentation"
    if "content.xml" in names and "mimetype" in names:
        return "an OpenDocument file (.odt or similar); save it as .docx or PDF instead"
    if "META-INF/container.xml" in names:
        return "an e-book (EPUB)"
    return "a ZIP archive; upload the documents inside it one at a time"


def _check_pdf(data: bytes, limits: UploadLimits) -> None:
    """Refuse a PDF that is cut short, damaged, encrypted or too big to extract cheaply."""
    if b"%%EOF" not in data[-65536:]:
        raise UploadRejected(
            "This PDF is incomplete: its end is missing, so it may not have finished "
            "downloading or saving. Save or download it again and upload the new copy.",
            problem="malformed",
        )
    damaged = UploadRejected(
        "This PDF is damaged, so we cannot read it. Open it and save (or print) it as a new "
        "PDF, then upload that.",
        problem="malformed",
    )
    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception:  # pypdf raises many kinds of error for a broken file
        raise damaged from None
    if reader.is_encrypted:
        try:  # restrictions-only PDFs open with an empty password, as on ingest
            unlocked = bool(reader.decrypt(""))
        except Exception:
            unlocked = False
        if not unlocked:
            raise UploadRejected(
                "This PDF is password-protected, so we cannot read it. Save a copy without "
                "the password and upload that.",
                problem="encrypted",
            )
    try:
        pages = len(reader.pages)
    except Exception:
        raise damaged from None
    if pages > limits.max_pdf_pages:
        raise UploadRejected(
            f"This PDF has {pages:,} pages; we read at most {limits.max_pdf_pages:,}. Split "
            "it into smaller documents.",
            problem="too_complex",
        )
    content = 0
    try:
        for page in reader.pages:
            stream = page.get_contents()
            content += len(stream.get_data()) if stream is not None else 0
            if content > limits.max_pdf_content_bytes:
                raise _bomb("its pages hold far more drawing instructions than any real document")
    except UploadRejected:
        raise
    except Exception:  # includes pypdf's LimitReachedError for one huge stream
        raise _bomb("part of it unpacks to far more data than any real document") from None

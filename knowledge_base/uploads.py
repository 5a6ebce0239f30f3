"""Turn a file a content editor uploads (or text they paste) into a Markdown draft, safely.

Nothing about an upload is trusted:

- its type is read from its bytes, never from its name (the extension only decides
  between Markdown and plain text when the content does not);
- its name is only ever shown, never used as a path, and nothing is written to disk;
- size, archive, page and text limits are checked before anything is unpacked or
  extracted, so a "zip bomb" or a 10,000-page PDF is refused cheaply;
- HTML is sanitised with nh3, and raw HTML inside Markdown is cleaned with the same
  rules: no scripts, styles, frames, event handlers or ``javascript:`` links survive.

Parsing itself is the loaders' (``knowledge_base.loaders``), so a draft reads exactly as
the same file would on ``ingest``. Every refusal is an ``UploadRejected`` whose reason is
written for the editor who uploaded the file.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import functools
import html
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

import nh3
from bs4 import BeautifulSoup, Tag
from pypdf import PdfReader

from knowledge_base.documents import Document
from knowledge_base.loaders import (
    DocumentHasNoText,
    DocumentKind,
    DocumentTooLarge,
    UnreadableDocument,
    document_to_markdown,
    load_bytes,
    markdown_with_front_matter,
    parse_markdown,
    slugify,
    split_front_matter,
)

__all__ = [
    "DEFAULT_LIMITS",
    "DRAFT_FIELDS",
    "MB",
    "UploadKind",
    "UploadLimits",
    "UploadProblem",
    "UploadRejected",
    "UploadedDraft",
    "check_size",
    "document_to_markdown",
    "markdown_with_front_matter",
    "parse_markdown",
    "read_pasted",
    "read_upload",
    "safe_display_name",
    "sanitise_markdown",
]

MB = 1_000_000  # sizes are shown in these megabytes (CA_UPLOAD_MAX_MB counts them too)

UploadKind = Literal["markdown", "html", "pdf", "docx", "text", "paste"]

# Why an upload was refused (``UploadRejected.status`` turns it into an HTTP status).
UploadProblem = Literal[
    "empty", "too_large", "not_a_document", "malformed", "encrypted", "too_complex", "no_text"
]

# The fields a draft carries besides its title (see docs/editor-api.md).
DRAFT_FIELDS = ("agency", "topic", "url", "language", "last_reviewed", "review_due")

_UPLOAD_HINT = "Upload a PDF, a Word document (.docx), a web page (HTML), Markdown or plain text."


class UploadRejected(Exception):
    """Why an upload cannot become a draft. ``reason`` is written for a content editor."""

    def __init__(self, reason: str, *, problem: UploadProblem = "malformed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.problem = problem

    @property
    def status(self) -> int:
        """The HTTP status for this refusal: 413 too large, 415 not a document, else 422."""
        return {"too_large": 413, "not_a_document": 415}.get(self.problem, 422)


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """Limits that keep a hostile or broken file from costing much; all checked early.

    The byte size of the upload itself is ``max_bytes`` of ``read_upload`` (a setting).
    """

    max_zip_entries: int = 1_000  # parts inside a DOCX (a typical one has 10-40)
    max_unpacked_bytes: int = 50 * MB  # total declared size of those parts, unpacked
    max_compression_ratio: float = 100.0  # unpacked:packed, for parts over the next size
    ratio_checked_from_bytes: int = 1 * MB
    max_pdf_pages: int = 500
    max_pdf_content_bytes: int = 20 * MB  # page drawing instructions, unpacked, all pages
    max_text_chars: int = 2_000_000  # text of one document, whatever its kind
    max_html_depth: int = 200  # nesting of HTML elements (real pages stay under 50)

    def __post_init__(self) -> None:
        for limit in dataclasses.fields(self):
            if getattr(self, limit.name) <= 0:
                raise ValueError(f"UploadLimits.{limit.name} must be positive")


DEFAULT_LIMITS = UploadLimits()


@dataclass(frozen=True, slots=True)
class UploadedDraft:
    """A new document's draft, read from an upload or a paste.

    ``markdown_body`` has no front matter; ``fields`` holds the ``DRAFT_FIELDS`` the file
    itself carried (front matter, HTML ``<meta>``/canonical link, document properties).
    ``display_name`` is safe to show but is not a path; ``warnings`` are for the editor.
    """

    title: str
    markdown_body: str
    fields: dict[str, str]
    display_name: str
    kind: UploadKind
    suggested_doc_id: str
    warnings: list[str]


# --------------------------------------------------------------------------- entry points


def read_upload(
    filename: str, data: bytes, *, max_bytes: int, limits: UploadLimits = DEFAULT_LIMITS
) -> UploadedDraft:
    """Read an uploaded file into a draft, or raise UploadRejected saying why not.

    ``filename`` is only shown (sanitised) and breaks a tie between Markdown and plain
    text; nothing is written anywhere.
    """
    display_name = safe_display_name(filename)
    check_size(len(data), max_bytes, "file")
    kind, text, warnings = _sniff(data, display_name, limits)
    stem = PurePosixPath(display_name).stem or display_name
    if kind == "markdown":
        return _markdown_draft(
            text,
            kind="markdown",
            display_name=display_name,
            title=None,
            fallback_title=stem,
            limits=limits,
            warnings=warnings,
        )
    if kind == "html":
        document, warnings = _read_html(text, stem, limits, warnings)
    elif kind == "text":
        _check_text_length(len(text), limits, "text file")
        document = _load(kind, text.encode("utf-8"), stem, limits)
    elif kind == "pdf":
        _check_pdf(data, limits)
        document = _load(kind, data, stem, limits)
        warnings.append(
            "Text taken from a PDF can have broken lines and no headings: check the draft "
            "against the PDF, and add headings (## Heading) where the document has them."
        )
    else:
        document = _load(kind, data, stem, limits)
    return _document_draft(document, kind, display_name, stem, warnings)


def read_pasted(
    text: str, *, title: str | None, max_bytes: int, limits: UploadLimits = DEFAULT_LIMITS
) -> UploadedDraft:
    """Read pasted Markdown (front matter allowed) into a draft; raw HTML is sanitised.

    ``title``, when given, wins over a title in the text.
    """
    check_size(len(text.encode("utf-8", "surrogatepass")), max_bytes, "text")
    text = _strip_controls(text)
    if not text.strip():
        raise UploadRejected(
            "There is no text to save. Paste the document's text and try again.",
            problem="empty",
        )
    given_title = _clean_title(title)
    return _markdown_draft(
        text,
        kind="paste",
        display_name=given_title or "Pasted text",
        title=given_title,
        fallback_title=None,
        limits=limits,
        warnings=[],
    )


# --------------------------------------------------------------------------- names and sizes

_UNSHOWABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_MAX_DISPLAY_NAME = 120


def safe_display_name(filename: str) -> str:
    """The file's own name, safe to show: no folders, drive, control or bidi characters,
    no ``..``, at most 120 characters (keeping the extension); ``upload`` if nothing is left.
    """
    name = "".join(
        " " if ch in "\t\n\r\v\f" else ch
        for ch in unicodedata.normalize("NFC", filename)
        if ch in "\t\n\r\v\f" or unicodedata.category(ch) not in _UNSHOWABLE
    )
    name = next((part for part in reversed(re.split(r"[\\/]", name)) if part.strip()), "")
    name = re.sub(r"^[A-Za-z]:", "", name)  # "C:x.md" names a file relative to drive C
    name = re.sub(r"\.{2,}", ".", " ".join(name.split())).strip(" .")
    if len(name) > _MAX_DISPLAY_NAME:
        path = PurePosixPath(name)
        suffix = path.suffix if 1 < len(path.suffix) <= 10 else ""
        name = name[: len(name) - len(suffix)][: _MAX_DISPLAY_NAME - len(suffix)].rstrip(" .")
        name += suffix
    return name or "upload"


def _format_size(size: int, other: int) -> str:
    """``size`` for a person (``12.3 MB``), precise enough to differ from ``other``."""
    if size < 1000:
        return f"{size:,} bytes"
    unit, scale = ("MB", MB) if size >= MB else ("KB", 1000)
    for decimals in (1, 2, 3):
        text = f"{size / scale:.{decimals}f}".rstrip("0").rstrip(".")
        if round(size / scale, decimals) != round(other / scale, decimals):
            break
    return f"{text} {unit}"


def check_size(size: int, max_bytes: int, what: str) -> None:
    """Refuse an empty or oversized ``what`` ("file", "text") with a reason for an editor."""
    if size == 0:
        raise UploadRejected(
            f"The {what} is empty. Check that you chose the right {what} and try again.",
            problem="empty",
        )
    if size > max_bytes:
        hint = " or leave out large images" if what == "file" else ""
        raise UploadRejected(
            f"The {what} is {_format_size(size, max_bytes)}; the limit is "
            f"{_format_size(max_bytes, size)}. Split it into smaller documents{hint}.",
            problem="too_large",
        )


def _check_text_length(length: int, limits: UploadLimits, what: str) -> None:
    if length > limits.max_text_chars:
        raise _too_much_text(what, limits)


def _too_much_text(what: str, limits: UploadLimits) -> UploadRejected:
    return UploadRejected(
        f"This {what} holds more than {limits.max_text_chars:,} characters of text, far "
        "more than one service page should. Split it into smaller documents.",
        problem="too_complex",
    )


# --------------------------------------------------------------------------- what is it?

_PDF_MAGIC = b"%PDF-"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# fmt: off
# Files that are clearly not documents: (magic, offset, what it looks like).
_BINARY_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "a PNG image"),
    (b"\xff\xd8\xff", 0, "a JPEG image"),
    (b"GIF87a", 0, "a GIF image"), (b"GIF89a", 0, "a GIF image"),
    (b"WEBP", 8, "a WebP image"),
    (b"II*\x00", 0, "a TIFF image"), (b"MM\x00*", 0, "a TIFF image"),
    (b"ftypheic", 4, "a HEIC photo"), (b"ftypheix", 4, "a HEIC photo"),
    (b"ftypmif1", 4, "a HEIC photo"), (b"ftypavif", 4, "an AVIF image"),
    (b"ftyp", 4, "a video or audio file"),
    (b"\x1a\x45\xdf\xa3", 0, "a video file"),
    (b"ID3", 0, "an MP3 audio file"), (b"OggS", 0, "an audio file"), (b"fLaC", 0, "an audio file"),
    (b"WAVE", 8, "an audio file"), (b"AVI ", 8, "a video file"),
    (b"\x7fELF", 0, "a program"), (b"MZ", 0, "a Windows program"),
    (b"\xcf\xfa\xed\xfe", 0, "a program"), (b"\xca\xfe\xba\xbe", 0, "a program"),
    (b"\x1f\x8b", 0, "a compressed archive (gzip)"),
    (b"BZh", 0, "a compressed archive (bzip2)"), (b"\xfd7zXZ\x00", 0, "a compressed archive (xz)"),
    (b"\x28\xb5\x2f\xfd", 0, "a compressed archive (zstd)"),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive"), (b"Rar!\x1a\x07", 0, "a RAR archive"),
    (b"SQLite format 3\x00", 0, "a database file"),
    (b"BM", 0, "a bitmap image"), (b"\x00\x00\x01\x00", 0, "an icon image"),
)
# Text formats that we do not read (checked before decoding, since they are text).
_TEXT_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"{\\rtf", "an RTF document; save it as a Word document (.docx) or PDF instead"),
    (b"%!PS", "a PostScript file; save it as PDF instead"),
)
# fmt: on


def _sniff(
    data: bytes, display_name: str, limits: UploadLimits
) -> tuple[DocumentKind, str, list[str]]:
    """The kind of document in ``data`` from its content; with the decoded text for the
    text kinds (``""`` for PDF and DOCX) and any warnings about the decoding."""
    if data.lstrip(b" \t\r\n\x00")[:5] == _PDF_MAGIC:
        return "pdf", "", []
    if data.startswith(_ZIP_MAGICS):
        _check_docx_package(data, limits)
        return "docx", "", []
    if data.startswith(_OLE2_MAGIC):
        raise _ole2_rejection(data)
    for magic, what in _TEXT_SIGNATURES:
        if data.startswith(magic):
            raise _not_a_document(what)
    warnings: list[str] = []
    text = _decode_text(data, warnings)
    if text is None:
        raise _not_a_document(_binary_description(data))
    kind = _text_kind(text, PurePosixPath(display_name).suffix.lower())
    return kind, text, warnings


def _not_a_document(looks_like: str | None) -> UploadRejected:
    if looks_like is None:
        reason = "This is not a document we can read: it is not text, a PDF or a Word document."
    else:
        reason = f"This is not a document we can read: it looks like {looks_like}."
    return UploadRejected(f"{reason} {_UPLOAD_HINT}", problem="not_a_document")


def _binary_description(data: bytes) -> str | None:
    for magic, offset, what in _BINARY_SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return what
    return None


def _ole2_rejection(data: bytes) -> UploadRejected:
    """An OLE2 compound file: a legacy Office file, or a password-protected new one."""

    def has_stream(name: str) -> bool:  # directory entries hold names in UTF-16LE
        return name.encode("utf-16-le") in data

    if has_stream("EncryptedPackage"):
        return UploadRejected(
            "This Office document is password-protected, so we cannot read it. Open it, "
            "remove the password (in Word: File › Info › Protect Document › Encrypt with "
            "Password, and clear it), save it and upload it again.",
            problem="encrypted",
        )
    if has_stream("WordDocument"):
        what = "an old-style Word document (.doc)"
    elif has_stream("Workbook") or has_stream("Book"):
        what = "an old-style Excel spreadsheet (.xls)"
    elif has_stream("PowerPoint Document"):
        what = "an old-style PowerPoint presentation (.ppt)"
    else:
        what = "an old-style or password-protected Microsoft Office file"
    return UploadRejected(
        f"This is {what}, which we cannot read. Open it and save it as a Word document "
        "(.docx) or PDF, without a password, then upload that.",
        problem="not_a_document",
    )


# --------------------------------------------------------------------------- text


def _decode_text(data: bytes, warnings: list[str]) -> str | None:
    """The text in ``data`` (UTF-8, UTF-16, or Windows-1252 with a warning); None if binary.

    Raises UploadRejected for text in an encoding we cannot tell.
    """
    if data.startswith(codecs.BOM_UTF8):
        text = _decode_or_reject(data[3:], "utf-8", "UTF-8")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode_or_reject(data, "utf-16", "UTF-16")
    elif b"\x00" in data[:4096]:
        encoding = _utf16_without_bom(data)
        if encoding is None:
            return None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            return None
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            if _looks_binary(data) or _binary_description(data) is not None:
                return None
            text = _decode_windows_1252(data)
            warnings.append(
                "The file was not saved as UTF-8, so we read it as Windows-1252 (Western "
                "European). Check accented letters, quotes and symbols such as € in the draft."
            )
    return None if _looks_binary_text(text) else text


def _decode_or_reject(data: bytes, encoding: str, label: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise UploadRejected(
            f"This file says it is {label} text, but part of it is not (it may be damaged or "
            "cut short). Open it in a text editor, save it as UTF-8 and upload it again.",
            problem="malformed",
        ) from None


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when every other byte of ASCII-heavy text is zero, else None."""
    sample = data[:4096]
    if len(sample) < 2:
        return None
    even_zeros = sample[0::2].count(0) / len(sample[0::2])
    odd_zeros = sample[1::2].count(0) / max(len(sample[1::2]), 1)
    if odd_zeros > 0.6 and even_zeros < 0.1:
        return "utf-16-le"
    if even_zeros > 0.6 and odd_zeros < 0.1:
        return "utf-16-be"
    return None


_BINARY_BYTES = bytes(b for b in range(32) if chr(b) not in "\t\n\r\f\v\x1a\x1b")
_BINARY_CHARS = frozenset(_BINARY_BYTES.decode("ascii"))


def _looks_binary(data: bytes) -> bool:
    """More than 1% control bytes: not text in any 8-bit encoding."""
    sample = data[:65536]
    controls = len(sample) - len(sample.translate(None, _BINARY_BYTES))
    return controls > len(sample) / 100


def _looks_binary_text(text: str) -> bool:
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch in _BINARY_CHARS)
    return "\x00" in sample or controls > len(sample) / 100


def _decode_windows_1252(data: bytes) -> str:
    """Windows-1252 text (Western European Windows' "ANSI"), or a refusal.

    Text in that encoding is mostly ASCII; a file where many bytes are high, or that
    uses bytes Windows-1252 does not define, is in some other encoding.
    """
    unknown = UploadRejected(
        "This text file is not saved as UTF-8, and we cannot tell which encoding it uses. "
        "Open it in a text editor, save it as UTF-8 and upload it again.",
        problem="malformed",
    )
    if sum(1 for byte in data if byte >= 0x80) > len(data) * 0.3:
        raise unknown
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise unknown from None


def _strip_controls(text: str) -> str:
    """``text`` without NULs and other control characters (tabs and line breaks stay)."""
    return text.translate({ord(ch): None for ch in _BINARY_CHARS})


_LEADING_NOISE = re.compile(r"(?:\s+|<!--.*?-->|<\?xml[^>]*\?>)*", re.DOTALL)
_DEFINITELY_HTML = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_HTML_START = re.compile(
    r"<(?:title|meta|link|base|main|article|section|header|nav|footer|aside|div|p|h[1-6]|"
    r"ul|ol|dl|table|form|blockquote|figure|pre|style|script|noscript|address|details|"
    r"hr|br|span|a|img|b|i|strong|em)[\s>/]",
    re.IGNORECASE,
)
_MARKDOWN_STRONG = re.compile(
    r"^(?:#{1,6}[ \t]+\S|```|~~~|\|?[ \t]*:?-{3,}:?[ \t]*\|)|\[[^\]\n]{1,500}\]\([^)\s]{1,2000}\)",
    re.MULTILINE,
)
_MARKDOWN_WEAK = re.compile(
    r"^(?:[-*+][ \t]+\S|\d{1,9}[.)][ \t]+\S|>[ \t]?\S|(?:=+|-{3,})[ \t]*$)"
    r"|\*\*[^*\n]{1,500}\*\*|__[^_\n]{1,500}__",
    re.MULTILINE,
)


def _text_kind(text: str, suffix: str) -> DocumentKind:
    """HTML, Markdown or plain text, from the content; the extension only breaks a tie."""
    start = text.lstrip("\ufeff")
    noise = _LEADING_NOISE.match(start[:65536])
    head = start[noise.end() if noise else 0 :][:4096]
    if _DEFINITELY_HTML.match(head):
        return "html"
    if re.match(r"<svg[\s>]", head, re.IGNORECASE):
        raise _not_a_document("an SVG image")
    markdown_evidence = _MARKDOWN_STRONG.search(text) is not None or start.startswith("---")
    if _HTML_START.match(head) and not markdown_evidence:
        return "html"
    if markdown_evidence:
        return "markdown"
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix == ".txt":
        return "text"
    return "markdown" if _MARKDOWN_WEAK.search(text) else "text"


# --------------------------------------------------------------------------- DOCX packages

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


def _bomb(why: str) -> UploadRejected:
    return UploadRejected(
        f"We did not open this file: {why}. Files like this are built to overload the "
        "systems that unpack them. If it is a real document, save it again as .docx or PDF.",
        problem="too_complex",
    )


# --------------------------------------------------------------------------- PDF


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


# --------------------------------------------------------------------------- HTML

# What survives sanitising: nh3's safe defaults plus the landmarks and attributes the
# loader uses to find a page's main content and skip hidden parts.
_HTML_TAGS = frozenset(nh3.ALLOWED_TAGS | {"main", "section"})
_HTML_ATTRIBUTES = {
    **{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"lang", "title", "hidden", "aria-hidden", "role"},
}
_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Removed together with everything inside them.
_DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "noframes", "noscript", "noembed",
        "object", "embed", "applet", "template", "svg", "math", "textarea", "select", "title",
        "xmp", "plaintext",
    }
)  # fmt: skip
_META_FIELDS = {
    "agency": "agency",
    "dcterms.publisher": "agency",
    "dc.publisher": "agency",
    "topic": "topic",
    "last_reviewed": "last_reviewed",
    "last-reviewed": "last_reviewed",
    "review_due": "review_due",
    "review-due": "review_due",
}
_VOID_TAGS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "keygen", "frame",
    }
)  # fmt: skip
# Closed implicitly by the parser, so an author may never close them.
_OPTIONAL_CLOSE_TAGS = frozenset(
    {
        "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody",
        "tfoot", "colgroup", "caption", "rb", "rt", "rtc", "rp", "html", "head", "body",
    }
)  # fmt: skip
_TAG_TOKEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*?(/?)>")


@functools.cache
def _html_cleaner() -> nh3.Cleaner:
    """nh3 configured once with our rules (configuring it per call costs 15x more)."""
    return nh3.Cleaner(
        tags=set(_HTML_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes=_HTML_ATTRIBUTES,
        url_schemes=set(_URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )


def _sanitise_html(source: str) -> str:
    """``source`` with nh3's rules applied: no scripts, styles, frames or handlers."""
    return _html_cleaner().clean(source)


def _html_depth(source: str) -> int:
    """How deeply elements nest (roughly, counting only tags that must be closed)."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG_TOKEN.findall(source):
        name = name.lower()
        if name in _VOID_TAGS or name in _OPTIONAL_CLOSE_TAGS or self_closing:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _read_html(
    source: str, stem: str, limits: UploadLimits, warnings: list[str]
) -> tuple[Document, list[str]]:
    """The Document for an HTML page: metadata read from the page, text from its
    sanitised body."""
    if _html_depth(source) > limits.max_html_depth:
        raise UploadRejected(
            f"This web page nests its elements more than {limits.max_html_depth} levels "
            "deep, far more than a real page, so we did not read it.",
            problem="too_complex",
        )
    soup = BeautifulSoup(source, "lxml")  # only read: nothing in the page is run
    head = _html_head(soup)
    if _has_active_content(soup):
        warnings.append(
            "We removed scripts, styles, embedded frames and other active content from the "
            "page; only its text is kept."
        )
    page = f"<!doctype html><html{head}<body>{_sanitise_html(source)}</body></html>"
    document = _load("html", page.encode("utf-8"), stem, limits)
    meta_fields: dict[str, str] = {}
    for meta in soup.find_all("meta", attrs={"name": True, "content": True}):
        field = _META_FIELDS.get(str(meta["name"]).strip().lower())
        if field is not None:
            meta_fields.setdefault(field, str(meta["content"]))
    document = dataclasses.replace(
        document,
        agency=meta_fields.get("agency"),
        topic=meta_fields.get("topic"),
        last_reviewed=meta_fields.get("last_reviewed"),
        metadata={**document.metadata, **_only(meta_fields, "review_due")},
    )
    return document, warnings


def _html_head(soup: BeautifulSoup) -> str:
    """The rest of a safe ``<html>`` start tag and a ``<head>`` with the page's title,
    language and address, all escaped; the loader reads them from there."""
    html_tag = soup.find("html")
    lang = html_tag.get("lang") if isinstance(html_tag, Tag) else None
    parts = [f' lang="{html.escape(lang)}">' if isinstance(lang, str) else ">", "<head>"]
    title = soup.find("title")
    if isinstance(title, Tag):
        parts.append(f"<title>{html.escape(title.get_text())}</title>")
    for link in soup.find_all("link", href=True):
        rel = link.get("rel")
        rels = rel if isinstance(rel, list) else str(rel or "").split()
        if "canonical" in (r.lower() for r in rels):
            parts.append(f'<link rel="canonical" href="{html.escape(str(link["href"]))}">')
            break
    og = soup.find("meta", attrs={"property": "og:url"})
    if isinstance(og, Tag) and og.get("content"):
        parts.append(f'<meta property="og:url" content="{html.escape(str(og["content"]))}">')
    return "".join(parts) + "</head>"


_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "xlink:href"})


def _has_active_content(soup: BeautifulSoup) -> bool:
    """Whether the page has anything that runs or embeds: scripts, frames, handlers."""
    if soup.find(list(_DROPPED_WITH_CONTENT - {"title"})) is not None:
        return True
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            if name.lower().startswith("on"):
                return True
            if (
                name.lower() in _URL_ATTRIBUTES
                and isinstance(value, str)
                and _url_scheme(value) in ("javascript", "vbscript", "livescript")
            ):
                return True
    return False


def _only(mapping: dict[str, str], *keys: str) -> dict[str, str]:
    return {key: mapping[key] for key in keys if key in mapping}


# --------------------------------------------------------------------------- Markdown

_SCRIPT_SCHEME = re.compile(r"(?:java|vb|live)script:", re.IGNORECASE)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_URL_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


def _url_scheme(url: str) -> str | None:
    """The scheme a browser would see in ``url`` (entities decoded, blanks removed)."""
    cleaned = _URL_INVISIBLE.sub("", html.unescape(url.replace("\\", "")))
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def _is_unsafe_url(url: str) -> bool:
    """Whether a link to ``url`` could run code: any scheme but http(s), mailto and tel."""
    scheme = _url_scheme(url)
    return scheme is not None and scheme not in _URL_SCHEMES


_ATTRIBUTE = (
    r"""[ \t\r\n]+[A-Za-z_:][A-Za-z0-9_.:-]{0,127}"""
    r"""(?:[ \t\r\n]*=[ \t\r\n]*(?:[^ \t\r\n"'=<>`]{1,4096}|'[^']{0,4096}'|"[^"]{0,4096}"))?"""
)
_ATTRIBUTE_NAME = re.compile(r"""[ \t\r\n]+([A-Za-z_:][A-Za-z0-9_.:-]*)""")
_OPEN_TAG = re.compile(rf"<([A-Za-z][A-Za-z0-9-]{{0,63}})((?:{_ATTRIBUTE}){{0,64}})[ \t\r\n]*/?>")
_CLOSE_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]{0,63})[ \t\r\n]*>")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\x00-\x20]{0,4096})>")
_EMAIL_AUTOLINK = re.compile(r"<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,256}@[A-Za-z0-9.-]{1,256}>")
_UNFINISHED_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]{0,63})|<[!?/]")
_KNOWN_TAGS = _HTML_TAGS | _DROPPED_WITH_CONTENT | _VOID_TAGS | {"form", "button", "input"}
_NON_ELEMENTS = (
    (re.compile(r"<!--"), "-->", False),
    (re.compile(r"<!\[CDATA\["), "]]>", True),
    (re.compile(r"<\?"), "?>", True),
    (re.compile(r"<![A-Za-z]"), ">", True),
)
_CLEAN_START_TAG = r"""<{name}(?:\s+[^\s=>]+(?:="[^"]*")?)*\s*/?>"""
# Where a lone start tag must sit for an HTML parser to keep it.
_TAG_CONTEXT = {
    "td": "<table><tbody><tr>", "th": "<table><tbody><tr>", "tr": "<table><tbody>",
    "tbody": "<table>", "thead": "<table>", "tfoot": "<table>", "caption": "<table>",
    "colgroup": "<table>", "col": "<table><colgroup>", "li": "<ul>", "dt": "<dl>",
    "dd": "<dl>", "rt": "<ruby>", "rp": "<ruby>", "rtc": "<ruby>",
}  # fmt: skip
# A Markdown link or image destination, and a link reference definition.
_LINK_DESTINATION = re.compile(
    r"(\]\([ \t]*\n?[ \t]*)"
    r"(<[^<>\n]{0,4096}>|[^\s()<>]{1,4096}(?:\([^\s()<>]{0,4096}\)[^\s()<>]{0,4096})*)"
)
_REFERENCE_DEFINITION = re.compile(
    r"^([ ]{0,3}\[[^\]\n]{1,999}\]:[ \t]*\n?[ \t]*)(<[^<>\n]{0,4096}>|\S{1,4096})", re.MULTILINE
)


def sanitise_markdown(markdown: str) -> str:
    """``markdown`` with its raw HTML cleaned by nh3's rules; Markdown itself is kept.

    Use it on every Markdown an editor saves (pasted, uploaded or edited).
    """
    return _sanitise_markdown(markdown)[0]


def _sanitise_markdown(markdown: str) -> tuple[str, bool]:
    """``markdown`` with its raw HTML cleaned, and whether anything unsafe was removed.

    Every HTML tag is rebuilt by nh3 (attributes it does not allow, such as ``on*=`` and
    ``javascript:`` links, are dropped); scripts, styles, frames and the like go with their
    content; comments go; links and images whose address runs code point nowhere (``#``).
    Markdown itself is left as written.
    """
    out: list[str] = []
    removed = False
    position = 0
    while (start := markdown.find("<", position)) != -1:
        out.append(markdown[position:start])
        replacement, position, unsafe = _sanitise_markup_at(markdown, start)
        out.append(replacement)
        removed = removed or unsafe
    out.append(markdown[position:])
    text = "".join(out)
    text, links_removed = _neutralise_link_destinations(text)
    # Anything still naming a script scheme is in prose or code: break the scheme so no
    # renderer can ever turn it into a link.
    text, leftovers = _SCRIPT_SCHEME.subn(lambda m: m.group()[:-1] + " :", text)
    return text, removed or links_removed or leftovers > 0


def _sanitise_markup_at(text: str, start: int) -> tuple[str, int, bool]:
    """What replaces the markup starting at ``text[start] == "<"``, where it ends, and
    whether something unsafe was dropped."""
    # Comments, CDATA, processing instructions and declarations go whole; unfinished,
    # their "<" is escaped so that no parser sees them start.
    for opener, closer, unsafe in _NON_ELEMENTS:
        if opener.match(text, start):
            end = text.find(closer, start + 2)
            if end == -1:
                return "&lt;", start + 1, unsafe
            return "", end + len(closer), unsafe
    if match := _AUTOLINK.match(text, start):
        if _is_unsafe_url(match.group(1)):
            return "", match.end(), True
        return match.group(), match.end(), False
    if match := _EMAIL_AUTOLINK.match(text, start):
        return match.group(), match.end(), False
    if match := _CLOSE_TAG.match(text, start):
        name = match.group(1).lower()
        keep = name in _HTML_TAGS
        return (f"</{name}>" if keep else ""), match.end(), not keep
    if match := _OPEN_TAG.match(text, start):
        name = match.group(1).lower()
        if name in _DROPPED_WITH_CONTENT and name not in _VOID_TAGS:
            # Gone up to its end tag; without one, only the tag goes (what follows is
            # then plain text, and the rest of the document is not lost).
            end_tag = re.compile(rf"</{name}[ \t\r\n]*>", re.IGNORECASE).search(text, match.end())
            return "", match.end() if end_tag is None else end_tag.end(), True
        if name not in _HTML_TAGS:
            return "", match.end(), True
        clean = _sanitise_start_tag(name, match.group())
        before = {a.lower() for a in _ATTRIBUTE_NAME.findall(match.group(2))}
        after = {a.lower() for a in _ATTRIBUTE_NAME.findall(clean[len(name) + 1 :])}
        return clean, match.end(), not before <= after
    if unfinished := _UNFINISHED_TAG.match(text, start):  # make sure it stays text
        return "&lt;", start + 1, (unfinished.group(1) or "").lower() in _KNOWN_TAGS
    return "<", start + 1, False


@functools.lru_cache(maxsize=4096)
def _sanitise_start_tag(name: str, tag: str) -> str:
    """One start tag, cleaned by nh3 in a context where a parser keeps it."""
    context = _TAG_CONTEXT.get(name, "")
    cleaned = _sanitise_html(context + tag)
    found = re.search(_CLEAN_START_TAG.format(name=re.escape(name)), cleaned)
    return found.group() if found else ""


def _neutralise_link_destinations(text: str) -> tuple[str, bool]:
    """Markdown links and reference definitions whose address would run code point to ``#``."""
    changed = False

    def replace(match: re.Match[str]) -> str:
        nonlocal changed
        if not _is_unsafe_url(match.group(2).strip("<>")):
            return match.group()
        changed = True
        return match.group(1) + "#"

    text = _LINK_DESTINATION.sub(replace, text)
    text = _REFERENCE_DEFINITION.sub(replace, text)
    return text, changed


def _markdown_draft(
    source: str,
    *,
    kind: UploadKind,
    display_name: str,
    title: str | None,
    fallback_title: str | None,
    limits: UploadLimits,
    warnings: list[str],
) -> UploadedDraft:
    """A draft from Markdown source: front matter becomes title and fields, and the body
    is kept as written, with raw HTML sanitised."""
    what = "text" if kind == "paste" else "Markdown file"
    source = _strip_controls(source)
    _check_text_length(len(source), limits, what)
    try:
        raw_fields, body = split_front_matter(source)
    except UnreadableDocument as exc:
        problem = str(exc).removeprefix("invalid front matter: ")
        raise UploadRejected(
            "The front matter at the top (the lines between '---' and '---') is not valid: "
            f"{problem}. Fix it, or remove it and fill in the fields in the editor.",
            problem="malformed",
        ) from None
    front = source[: len(source) - len(body)] if source.endswith(body) else ""
    body, unsafe = _sanitise_markdown(body)
    if unsafe:
        warnings.append(
            "We removed HTML that is not allowed in documents (scripts, styles, frames, "
            "event handlers or javascript: links)."
        )
    try:
        document = parse_markdown(front + body, "draft", fallback_title=fallback_title)
    except DocumentHasNoText:
        raise UploadRejected(
            f"This {what} has no text in it. Check that it is the right one.", problem="no_text"
        ) from None
    except UnreadableDocument:
        raise UploadRejected(
            f"We could not read this {what}. Save it as UTF-8 text and try again.",
            problem="malformed",
        ) from None
    unknown = sorted(set(raw_fields) - {"title", "doc_id", *DRAFT_FIELDS})
    if unknown:
        warnings.append(
            "These front matter fields are not kept in the draft: " + ", ".join(unknown) + "."
        )
    found_title = title or _clean_title(str(raw_fields.get("title") or ""))
    if found_title is None:
        found_title = _clean_title(document.title) or "Untitled"
        if fallback_title is not None and document.title == fallback_title:
            warnings.append(_NO_TITLE_WARNING)
    fields, field_warnings = _clean_fields(_document_fields(document, raw_fields))
    given_id = str(raw_fields.get("doc_id") or "")
    parts = [slugify(part) for part in given_id.split("/") if re.search(r"[^\W_]", part)]
    suggested = "/".join(parts) or slugify(found_title)
    return UploadedDraft(
        title=found_title,
        markdown_body=body.strip("\n") + "\n",
        fields=fields,
        display_name=display_name,
        kind=kind,
        suggested_doc_id=suggested,
        warnings=warnings + field_warnings,
    )


# --------------------------------------------------------------------------- drafts

_NO_TITLE_WARNING = "The file has no title, so we used its name. Change the title if needed."
_MAX_TITLE = 200
_LABELS: dict[DocumentKind, str] = {
    "pdf": "PDF",
    "docx": "Word document",
    "html": "web page",
    "text": "text file",
    "markdown": "Markdown file",
}


def _load(kind: DocumentKind, data: bytes, stem: str, limits: UploadLimits) -> Document:
    """``load_bytes`` with its refusals turned into reasons for an editor."""
    label = _LABELS[kind]
    try:
        return load_bytes(
            kind, data, "draft", fallback_title=stem, max_text_chars=limits.max_text_chars
        )
    except DocumentTooLarge:
        raise _too_much_text(label, limits) from None
    except DocumentHasNoText:
        hint = (
            " It may be a scanned image: ask for a version with real text, or type the text in."
            if kind == "pdf"
            else " Check that it is the right file."
        )
        raise UploadRejected(
            f"We found no text in this {label}.{hint}", problem="no_text"
        ) from None
    except UnreadableDocument:
        raise UploadRejected(
            f"We could not read this {label}; it seems to be damaged. Open it in the program "
            "that made it, save it again and upload the new copy.",
            problem="malformed",
        ) from None


def _document_draft(
    document: Document,
    kind: DocumentKind,
    display_name: str,
    stem: str,
    warnings: list[str],
) -> UploadedDraft:
    title = _clean_title(document.title) or stem
    if document.title == stem:
        warnings.append(_NO_TITLE_WARNING)
    fields, field_warnings = _clean_fields(_document_fields(document, None))
    return UploadedDraft(
        title=title,
        markdown_body=document_to_markdown(document),
        fields=fields,
        display_name=display_name,
        kind=kind,
        suggested_doc_id=slugify(title),
        warnings=warnings + field_warnings,
    )


def _document_fields(
    document: Document, front_matter: dict[str, object] | None
) -> dict[str, str | None]:
    """The draft fields a document carries; the language only if the file stated one."""
    stated_language = (
        "language" in front_matter
        if front_matter is not None
        else document.language != "en" or "language_tag" in document.metadata
    )
    language = document.metadata.get("language_tag", document.language)
    return {
        "agency": document.agency,
        "topic": document.topic,
        "url": document.url,
        "language": language if stated_language else None,
        "last_reviewed": document.last_reviewed,
        "review_due": document.metadata.get("review_due"),
    }


def _clean_title(title: str | None) -> str | None:
    if title is None:
        return None
    title = " ".join(_strip_controls(title).split())
    if len(title) > _MAX_TITLE:
        title = title[:_MAX_TITLE].rsplit(" ", 1)[0] + "…"
    return title or None


_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


def _clean_fields(candidates: dict[str, str | None]) -> tuple[dict[str, str], list[str]]:
    """Fields as one-line strings; a bad address, date or language is left out, with a
    warning saying so."""
    fields: dict[str, str] = {}
    warnings: list[str] = []
    for key in DRAFT_FIELDS:
        raw = candidates.get(key)
        value = " ".join(_strip_controls(raw).split())[:500] if raw else ""
        if not value:
            continue
        if key == "url":
            parts = urlsplit(value)
            if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
                warnings.append(
                    f"We left out the address {value!r}: only web addresses starting with "
                    "https:// or http:// can be used."
                )
                continue
        elif key in ("last_reviewed", "review_due"):
            try:
                value = dt.date.fromisoformat(value[:10]).isoformat()
            except ValueError:
                warnings.append(
                    f"We left out {key.replace('_', ' ')} {value!r}: write dates as YYYY-MM-DD."
                )
                continue
        elif key == "language" and not _LANGUAGE_TAG.fullmatch(value):
            warnings.append(f"We left out the language {value!r}: use a code such as en or es.")
            continue
        fields[key] = value
    return fields, warnings

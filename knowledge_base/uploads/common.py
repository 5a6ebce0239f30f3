"""What every step of reading an upload shares: the refusal, the limits, sizes and names.

Every refusal is an :class:`UploadRejected` whose reason is written for the editor who
uploaded the file; its ``problem`` says what kind of refusal it is, for the HTTP status.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

MB = 1_000_000  # sizes are shown in these megabytes (CA_UPLOAD_MAX_MB counts them too)

UploadKind = Literal["markdown", "html", "pdf", "docx", "text", "paste"]

# Why an upload was refused (``UploadRejected.status`` turns it into an HTTP status).
UploadProblem = Literal[
    "empty", "too_large", "not_a_document", "malformed", "encrypted", "too_complex", "no_text"
]

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


def _bomb(why: str) -> UploadRejected:
    return UploadRejected(
        f"We did not open this file: {why}. Files like this are built to overload the "
        "systems that unpack them. If it is a real document, save it again as .docx or PDF.",
        problem="too_complex",
    )


def _not_a_document(looks_like: str | None) -> UploadRejected:
    if looks_like is None:
        reason = "This is not a document we can read: it is not text, a PDF or a Word document."
    else:
        reason = f"This is not a document we can read: it looks like {looks_like}."
    return UploadRejected(f"{reason} {_UPLOAD_HINT}", problem="not_a_document")

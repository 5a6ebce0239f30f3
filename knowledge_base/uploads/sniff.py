"""What an upload is, read from its bytes and never from its name.

The ``filetype`` library names binary formats by their signatures. The extension only
breaks a tie between Markdown and plain text when the content does not decide. Old
Office files are told apart here (their directory names the streams inside), because
the editor's next step differs: remove a password, or save as .docx.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import filetype

from knowledge_base.loaders import DocumentKind
from knowledge_base.uploads.common import UploadLimits, UploadRejected, _not_a_document
from knowledge_base.uploads.containers import _check_docx_package
from knowledge_base.uploads.decode import _decode_text

# filetype reads no more than this of a file.
_HEAD = 8192
# Some PDF writers put blank lines or NULs before the header, and PDF readers accept them.
_PDF_PADDING = b" \t\r\n\x00"
# Files in a ZIP container; which one it really is, is decided from its directory.
_ZIP_BASED = frozenset({"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"})
# An OLE2 compound file (legacy Office, or an encrypted new one); filetype does not name
# it unless a stream it knows comes first.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Text formats that we do not read, with what to do instead.
_UNREAD_TEXT_FORMATS = {
    "rtf": "an RTF document; save it as a Word document (.docx) or PDF instead",
    "ps": "a PostScript file; save it as PDF instead",
}
# How a format filetype names is described to an editor; others by their kind.
# fmt: off
_DESCRIPTIONS = {
    "png": "a PNG image", "jpg": "a JPEG image", "gif": "a GIF image", "webp": "a WebP image",
    "tif": "a TIFF image", "heic": "a HEIC photo", "avif": "an AVIF image",
    "bmp": "a bitmap image", "ico": "an icon image", "mp3": "an MP3 audio file",
    "elf": "a program", "exe": "a Windows program", "sqlite": "a database file",
    "gz": "a compressed archive (gzip)", "bz2": "a compressed archive (bzip2)",
    "xz": "a compressed archive (xz)", "zst": "a compressed archive (zstd)",
    "7z": "a 7-Zip archive", "rar": "a RAR archive",
}
# fmt: on


def _sniff(
    data: bytes, display_name: str, limits: UploadLimits
) -> tuple[DocumentKind, str, list[str]]:
    """The kind of document in ``data`` from its content; with the decoded text for the
    text kinds (``""`` for PDF and DOCX) and any warnings about the decoding."""
    if filetype.guess_extension(data.lstrip(_PDF_PADDING)[:_HEAD]) == "pdf":
        return "pdf", "", []
    found = filetype.guess_extension(data[:_HEAD])
    if found in _ZIP_BASED:
        _check_docx_package(data, limits)
        return "docx", "", []
    if data.startswith(_OLE2_MAGIC):
        raise _ole2_rejection(data)
    if found in _UNREAD_TEXT_FORMATS:
        raise _not_a_document(_UNREAD_TEXT_FORMATS[found])
    warnings: list[str] = []
    # Text first: a letter that starts "MZ" or "BM" matches a binary signature too.
    text = _decode_text(data, warnings, binary=found is not None)
    if text is None:
        raise _not_a_document(_binary_description(data))
    kind = _text_kind(text, PurePosixPath(display_name).suffix.lower())
    return kind, text, warnings


def _binary_description(data: bytes) -> str | None:
    """What a binary file looks like, for a person; None when filetype does not know it."""
    found = filetype.guess(data[:_HEAD])
    if found is None:
        return None
    if found.extension in _DESCRIPTIONS:
        return _DESCRIPTIONS[found.extension]
    kind = found.mime.split("/")[0]
    if kind in ("video", "audio", "font"):
        return f"{'an' if kind == 'audio' else 'a'} {kind} file"
    if kind == "image":
        return f"a {found.extension.upper()} image"
    return f"a .{found.extension} file"


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

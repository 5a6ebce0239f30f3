"""What every loader shares: the errors, text normalisation and assembling sections.

Every loader produces plain text normalised the same way (runs of spaces collapsed,
paragraphs separated by exactly one blank line, list items and table rows on their own
lines), built from :class:`_Block` values by :func:`_assemble`, so that
``Document.sections`` offsets point into that final text whatever the format.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# The kinds of document ``load_bytes`` reads (JSONL holds many documents, so it is not one).
DocumentKind = Literal["markdown", "html", "pdf", "docx", "text"]


class UnreadableDocument(Exception):
    """A document that cannot be read; ``str(exc)`` is the reason, for a person.

    Inside ``load_paths`` it becomes a LoadError; ``load_bytes`` and ``parse_markdown``
    raise it.
    """


class DocumentHasNoText(UnreadableDocument):
    """The document parsed, but holds no text (an empty page, a scanned PDF)."""


class DocumentTooLarge(UnreadableDocument):
    """The document holds more text than the caller's ``max_text_chars``."""


_SPACE_RUN = re.compile(r"[^\S\n]+")  # any whitespace except a newline (incl. NBSP, tabs)
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f\u00ad\u200b\u2060\ufeff]")
_LINE_BREAKS = str.maketrans(
    {"\r": "\n", "\v": "\n", "\f": "\n", "\u2028": "\n", "\u2029": "\n\n", "\x85": "\n"}
)


def _normalise(text: str) -> str:
    """Plain text with collapsed spaces, trimmed lines and single blank lines between paragraphs."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").translate(_LINE_BREAKS))
    paragraphs: list[str] = []
    lines: list[str] = []
    for raw_line in text.split("\n"):
        line = _SPACE_RUN.sub(" ", raw_line).strip()
        if line:
            lines.append(line)
        elif lines:
            paragraphs.append("\n".join(lines))
            lines = []
    if lines:
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _one_line(text: str) -> str:
    """``text`` normalised onto a single line (for titles and headings)."""
    return " ".join(_normalise(text).split())


@dataclass
class _Block:
    """A paragraph-level piece of a document before assembly.

    ``depth`` marks a heading: 0 is the title level (H1), 1 a section (H2), 2 a
    subsection (H3). Consecutive blocks sharing a ``group`` (the items of one list, the
    rows of one table) are joined by a newline instead of a blank line.
    """

    text: str
    depth: int | None = None
    group: int | None = None


def _assemble(
    blocks: Sequence[_Block], title: str
) -> tuple[str, tuple[tuple[int, tuple[str, ...]], ...]]:
    """Join blocks into the document text and work out the heading path of each part."""
    parts: list[str] = []
    sections: list[tuple[int, tuple[str, ...]]] = [(0, (title,))]
    headings: list[str] = []  # the open headings below the title
    position = 0
    previous_group: int | None = None
    for block in blocks:
        text = _one_line(block.text) if block.depth is not None else _normalise(block.text)
        if not text:
            continue
        if parts:
            joiner = "\n" if block.group is not None and block.group == previous_group else "\n\n"
            parts.append(joiner)
            position += len(joiner)
        if block.depth is not None:
            headings = headings[: max(block.depth - 1, 0)]
            if block.depth > 0:
                headings.append(text)
            path = (title, *headings)
            if sections[-1][0] == position:
                sections[-1] = (position, path)
            elif sections[-1][1] != path:
                sections.append((position, path))
        parts.append(text)
        position += len(text)
        previous_group = block.group
    return "".join(parts), tuple(sections)


def _require_text(text: str) -> str:
    """``text`` unless it is empty, in which case the file is reported as having no text."""
    if not text.strip():
        raise DocumentHasNoText("no text found (empty document)")
    return text


def _decode(data: bytes) -> str:
    """Decode UTF-8 (with or without a byte-order mark) or explain why it is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from None


def _slug(part: str) -> str:
    """A lowercase ASCII slug for one path component; never empty."""
    ascii_text = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or hashlib.sha1(part.encode("utf-8")).hexdigest()[:10]


def slugify(text: str, *, max_length: int = 80) -> str:
    """A lowercase ASCII slug such as ``renew-your-licence``; never empty.

    Text with no ASCII letters or digits gets a short hash instead.
    """
    slug = _slug(text)
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug


def _language(tag: str | None, metadata: dict[str, str]) -> str:
    """The primary language subtag (``es`` for ``es-MX``); the full tag goes in metadata."""
    tag = (tag or "").strip()
    if not tag:
        return "en"
    primary = tag.replace("_", "-").split("-")[0].lower()
    if primary != tag:
        metadata.setdefault("language_tag", tag)
    return primary or "en"


_MAX_DERIVED_TITLE = 120


def _first_line(text: str) -> str | None:
    """The first non-empty line of ``text`` as a title, shortened at a word if very long."""
    for line in text.splitlines():
        title = _one_line(line)
        if not title:
            continue
        if len(title) > _MAX_DERIVED_TITLE:
            cut = title[:_MAX_DERIVED_TITLE].rsplit(" ", 1)[0]
            title = cut.rstrip(" ,;:.-") + "…"
        return title
    return None


def _link_suffix(label: str, href: str) -> str:
    """`` (href)`` to follow a link's label, unless the URL adds nothing a reader can use."""
    if not href or href.startswith("#") or href in (label, f"mailto:{label}", f"tel:{label}"):
        return ""
    return f" ({href})"


_WHITESPACE = re.compile(r"\s+")


def _collapse(text: str) -> str:
    """HTML whitespace rules: any run of whitespace is one space."""
    return _WHITESPACE.sub(" ", text)

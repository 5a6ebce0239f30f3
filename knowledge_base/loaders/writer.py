"""Documents back to Markdown, so that any loaded document can be edited and read back.

``document_to_markdown`` escapes whatever Markdown would treat as markup, so that
``parse_markdown`` reads back the same text with the same sections;
``markdown_with_front_matter`` puts the metadata on top as YAML.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import yaml

from knowledge_base.documents import Document
from knowledge_base.loaders.common import _one_line

# Fields written to front matter, in this order; any others follow alphabetically.
_FRONT_MATTER_ORDER = ("title", "agency", "topic", "url", "language", "last_reviewed", "review_due")
_DATE_FIELDS = frozenset({"last_reviewed", "review_due"})
_LIST_ITEM = re.compile(r"(- |\d{1,9}\. )(.*)", re.DOTALL)
_ORDERED_NOT_ONE = re.compile(r"(?!1\. )\d{1,9}\. ")
# Characters that would start emphasis, code, links, raw HTML or a strikethrough.
_INLINE_SPECIAL = re.compile(r"[\\`*\[\]~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
# A line that would be a thematic break, a setext underline or a table delimiter row.
_RULE_LINE = re.compile(r"[-=|: ]*[-=][-=|: ]*")
_ORDERED_PAREN = re.compile(r"(\d{1,9})\)(?= |$)")


def document_to_markdown(document: Document) -> str:
    """The document's text as Markdown (no front matter), so any document can be edited.

    Headings come back from ``sections``: ``#`` for the title when the text opens with
    it, ``##`` and ``###`` below. List items stay list items, runs of table rows become a
    Markdown table, line breaks inside a paragraph become hard breaks (two trailing
    spaces), and everything else is escaped, so ``parse_markdown`` reads back the same
    text with the same sections.
    """
    headings = _heading_starts(document)
    out: list[str] = []
    position = 0
    for paragraph in document.text.split("\n\n"):
        heading = headings.get(position)
        position += len(paragraph) + 2
        if not paragraph:
            continue
        if heading is not None and "\n" not in paragraph and heading[1] in (None, paragraph):
            out.append("#" * heading[0] + " " + _escape_heading(paragraph))
            continue
        lines = paragraph.split("\n")
        if len(lines) > 1 and all(" | " in line for line in lines):
            out.append(_markdown_table(lines))
        else:
            out.append(_markdown_lines(lines))
    return "\n\n".join(out) + "\n" if out else ""


def markdown_with_front_matter(body: str, title: str, fields: Mapping[str, str | None]) -> str:
    """Markdown source: YAML front matter (``title`` first, empty fields left out), then
    ``body``. ISO dates in ``last_reviewed`` / ``review_due`` are written as YAML dates."""
    meta: dict[str, Any] = {"title": _one_line(title)}
    order = {key: index for index, key in enumerate(_FRONT_MATTER_ORDER)}
    for key in sorted(fields, key=lambda k: (order.get(k, len(order)), k)):
        value = fields[key]
        if key == "title" or value is None or not str(value).strip():
            continue
        value = str(value).strip()
        if key in _DATE_FIELDS:
            try:
                meta[key] = dt.date.fromisoformat(value)
                continue
            except ValueError:
                pass
        meta[key] = value
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{front}---\n\n{body.lstrip(chr(10)).rstrip()}\n"


def _heading_starts(document: Document) -> dict[int, tuple[int, str | None]]:
    """Offsets of heading paragraphs: ``(number of #, heading text or None if unknown)``."""
    headings: dict[int, tuple[int, str | None]] = {}
    for start, path in document.sections:
        if len(path) > 1:
            headings[start] = (min(len(path), 6), path[-1])
        elif start == 0:  # the title, when the text opens with it
            headings[start] = (1, document.title)
        else:  # a later top-level heading: its text is not recorded in the path
            headings[start] = (1, None)
    if 0 not in headings:
        headings[0] = (1, document.title)
    return headings


def _escape_inline(text: str) -> str:
    """``text`` with everything Markdown would treat as markup escaped."""
    text = _INLINE_SPECIAL.sub(lambda match: "\\" + match.group(), text)
    return _ENTITY.sub(r"\\&", text).replace("<", "&lt;")


def _escape_line(line: str, *, in_item: bool = False) -> str:
    """One line of running text, escaped so that it cannot start a block either.

    Inside a list item a ``- `` or ``1. `` would open a nested list, so it is escaped too.
    """
    line = _escape_inline(line)
    if line[:1] in ("#", ">", "+") or _RULE_LINE.fullmatch(line):
        return "\\" + line
    if in_item and line.startswith("- "):
        return "\\" + line
    if line[:1].isdigit():
        line = _ORDERED_PAREN.sub(r"\1\\)", line, count=1)
        if in_item:
            line = re.sub(r"^(\d{1,9})\. ", r"\1\\. ", line)
    return line


def _escape_heading(text: str) -> str:
    """Heading text, escaped; a trailing ``#`` would otherwise close the heading."""
    text = _escape_inline(text)
    return text[:-1] + "\\#" if text.endswith("#") else text


def _markdown_lines(lines: list[str]) -> str:
    """A paragraph or list: markers kept, text escaped, inner line breaks kept."""
    out: list[str] = []
    for index, line in enumerate(lines):
        item = _LIST_ITEM.fullmatch(line)
        if item is not None:
            text = item.group(1) + _escape_line(item.group(2), in_item=True)
        else:
            text = _escape_line(line)
        following = lines[index + 1] if index + 1 < len(lines) else None
        if following is not None:
            # A bullet, or an item in a list already open, starts a line of its own;
            # anything else would run on into this line, so it gets a hard break.
            starts_item = following.startswith("- ") or (
                _LIST_ITEM.fullmatch(following) is not None
                and (item is not None or not _ORDERED_NOT_ONE.match(following))
            )
            if not starts_item:
                text += "  "
        out.append(text)
    return "\n".join(out)


def _markdown_table(rows: list[str]) -> str:
    """Rows of ``a | b`` cells as a Markdown table, the first row as its header."""
    cells = [row.split(" | ") for row in rows]
    width = max(len(row) for row in cells)

    def line(row: list[str]) -> str:
        padded = [_escape_inline(cell).replace("|", "\\|") for cell in row]
        padded += [""] * (width - len(row))
        return "| " + " | ".join(padded) + " |"

    delimiter = "| " + " | ".join(["---"] * width) + " |"
    return "\n".join([line(cells[0]), delimiter, *(line(row) for row in cells[1:])])

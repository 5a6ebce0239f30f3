"""Markdown (with optional YAML front matter) to plain text with sections, via markdown-it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path

from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from markdown_it.token import Token

from knowledge_base.documents import Document
from knowledge_base.loaders.common import (
    _assemble,
    _Block,
    _collapse,
    _decode,
    _first_line,
    _link_suffix,
    _one_line,
    _require_text,
)
from knowledge_base.loaders.front_matter import _as_text, _fields_document, _split_front_matter

_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_BR_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)


def parse_markdown(
    text: str, doc_id: str, *, fallback_title: str | None = None, source: str | None = None
) -> Document:
    """A Document from Markdown source with optional YAML front matter.

    The title is the front matter's ``title``, else the first ``#`` heading, else
    ``fallback_title``, else the first line of text. A front matter ``doc_id`` wins over
    ``doc_id``. ``source`` is recorded as the document's ``source_path`` (it is not read).
    Raises UnreadableDocument (bad front matter, no text).
    """
    return _markdown_document(text, doc_id, fallback_title=fallback_title, source_path=source)


def _load_markdown(path: Path, doc_id: str) -> Document:
    """Markdown with optional YAML front matter, rendered to plain text with sections."""
    raw = _decode(path.read_bytes())
    return _markdown_document(raw, doc_id, fallback_title=path.stem, source_path=str(path))


def _markdown_document(
    raw: str, doc_id: str, *, fallback_title: str | None, source_path: str | None
) -> Document:
    """The Document for Markdown source; without a title or H1, ``fallback_title`` is used
    (or, when that is None, the first line of the text)."""
    fields, body = _split_front_matter(raw)
    blocks = _markdown_blocks(body)
    title = _as_text(fields.get("title"))
    if title is None:
        title = next((b.text for b in blocks if b.depth == 0 and _one_line(b.text)), None)
    if title is None:
        title = fallback_title
    if title is None:
        title = next(filter(None, (_first_line(b.text) for b in blocks)), doc_id)
    title = _one_line(title)
    text, sections = _assemble(blocks, title)
    _require_text(text)
    given_id = _as_text(fields.get("doc_id"))
    return _fields_document(
        fields,
        doc_id=given_id or doc_id,
        title=title,
        text=text,
        source_path=source_path,
        sections=sections,
    )


def _markdown_blocks(body: str) -> list[_Block]:
    """Walk markdown-it's block tokens, emitting one _Block per paragraph, item or row."""
    blocks: list[_Block] = []
    groups = itertools.count(1)
    group: int | None = None  # the outermost open list or table
    lists: list[bool] = []  # True for an ordered list, innermost last
    marker = ""  # list marker waiting for the item's first text
    heading_depth: int | None = None
    row: list[str] | None = None
    group_outside_table: int | None = None

    def emit(text: str, depth: int | None = None) -> None:
        nonlocal marker
        if not text.strip():
            return
        blocks.append(_Block(marker + text, depth=depth, group=group))
        marker = ""

    for token in _MARKDOWN.parse(body):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            if not lists:
                group = next(groups)
            lists.append(kind == "ordered_list_open")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            group = group if lists else None
        elif kind == "list_item_open":
            marker = f"{token.info}. " if lists[-1] and token.info else "- "
        elif kind == "list_item_close":
            marker = ""
        elif kind == "heading_open":
            level = int(token.tag[1])
            heading_depth = level - 1 if level <= 3 else None
        elif kind == "heading_close":
            heading_depth = None
        elif kind == "table_open":
            group_outside_table, group = group, next(groups)
        elif kind == "table_close":
            group = group_outside_table
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            emit(" | ".join(cell for cell in row if cell))
            row = None
        elif kind == "inline":
            text = _markdown_inline(token.children or [])
            if row is not None:
                row.append(_one_line(text))
            else:
                emit(text, heading_depth)
        elif kind in ("fence", "code_block"):
            emit(token.content)
        elif kind == "html_block":
            emit(_html_fragment_text(token.content))
    return blocks


def _markdown_inline(children: Sequence[Token]) -> str:
    """Plain text of an inline token run: markers dropped, links as ``label (url)``."""
    out: list[str] = []
    open_links: list[tuple[int, str]] = []
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline"):
            out.append(child.content)
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("\n")
        elif kind == "html_inline":
            if _BR_TAG.fullmatch(child.content.strip()):
                out.append("\n")
        elif kind == "link_open":
            open_links.append((len(out), str(child.attrGet("href") or "")))
        elif kind == "link_close" and open_links:
            start, href = open_links.pop()
            label = "".join(out[start:]).strip()
            out.append(_link_suffix(label, href))
        # emphasis, strikethrough and image tokens add no text
    return "".join(out)


def _html_fragment_text(fragment: str) -> str:
    """Text of raw HTML embedded in Markdown; scripts, styles and comments are dropped."""
    soup = BeautifulSoup(fragment, "lxml")
    for tag in soup.find_all(["script", "style", "template", "noscript"]):
        tag.decompose()
    return _collapse(soup.get_text(" "))

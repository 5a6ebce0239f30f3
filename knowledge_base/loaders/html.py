"""An HTML page's main content as plain text, with h1-h3 as sections, via BeautifulSoup.

Page chrome (navigation, headers and footers, scripts, forms, hidden parts) is dropped;
nothing in the page is run.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from knowledge_base.documents import Document
from knowledge_base.loaders.common import (
    _assemble,
    _Block,
    _collapse,
    _language,
    _link_suffix,
    _one_line,
    _require_text,
)

# fmt: off
# Page chrome and non-text elements; never part of a page's content.
_DROPPED_TAGS = (
    "nav", "header", "footer", "aside", "script", "style", "noscript", "form", "template",
    "svg", "iframe", "object", "embed", "canvas",
)
# Elements that end the paragraph before them and start a new one.
_BLOCK_TAGS = frozenset({
    "address", "article", "blockquote", "body", "caption", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "hgroup", "hr", "html", "legend", "main",
    "p", "section", "summary",
})
# fmt: on
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _load_html(path: Path, doc_id: str) -> Document:
    """An HTML page's main content as plain text, with h1-h3 as sections."""
    return _html_document(
        path.read_bytes(), doc_id, fallback_title=path.stem, source_path=str(path)
    )


def _html_document(
    data: bytes, doc_id: str, *, fallback_title: str, source_path: str | None
) -> Document:
    """The Document for an HTML page's bytes (see ``_load_html``)."""
    soup = BeautifulSoup(data, "lxml")
    metadata: dict[str, str] = {}
    url = _html_url(soup)
    html_tag = soup.find("html")
    lang = html_tag.get("lang") if isinstance(html_tag, Tag) else None
    language = _language(lang if isinstance(lang, str) else None, metadata)

    container = _main_content(soup)
    _drop_chrome(container)
    title_tag = soup.find("title")
    title = _one_line(title_tag.get_text()) if isinstance(title_tag, Tag) else ""
    if not title:
        h1 = container.find("h1")
        title = _one_line(_inline_text(h1)) if isinstance(h1, Tag) else ""
    title = title or fallback_title

    walker = _HtmlWalker()
    walker.walk(container)
    walker.flush()
    text, sections = _assemble(walker.blocks, title)
    return Document(
        doc_id=doc_id,
        title=title,
        text=_require_text(text),
        url=url,
        language=language,
        source_path=source_path,
        sections=sections,
        metadata=metadata,
    )


def _html_url(soup: BeautifulSoup) -> str | None:
    """The page's canonical URL, or its Open Graph URL."""
    for tag in soup.find_all("link", href=True):
        rel = tag.get("rel")
        rels = rel if isinstance(rel, list) else str(rel or "").split()
        if "canonical" in (r.lower() for r in rels):
            return str(tag["href"]).strip() or None
    og = soup.find("meta", attrs={"property": "og:url"})
    if isinstance(og, Tag) and og.get("content"):
        return str(og["content"]).strip() or None
    return None


def _main_content(soup: BeautifulSoup) -> Tag:
    """``<main>``, else ``<article>``, else ``[role=main]``, else ``<body>``."""
    for candidate in (
        soup.find("main"),
        soup.find("article"),
        soup.select_one("[role=main]"),
        soup.body,
    ):
        if isinstance(candidate, Tag):
            return candidate
    return soup


def _drop_chrome(container: Tag) -> None:
    """Remove navigation, page headers/footers, scripts, forms and hidden elements.

    A ``<header>`` inside an article or section that holds its heading is content, not
    page chrome, and is kept.
    """
    doomed = list(container.find_all(_DROPPED_TAGS))
    doomed += container.select("[hidden], [aria-hidden=true]")
    for tag in doomed:
        if tag.decomposed:
            continue
        if (
            tag.name == "header"
            and tag.find(["h1", "h2", "h3"])
            and tag.find_parent(["main", "article", "section"])
        ):
            continue
        tag.decompose()


def _inline_text(tag: Tag) -> str:
    """All text under ``tag`` on one line, with ``<br>`` as a space."""
    parts: list[str] = []
    for node in tag.descendants:
        if isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            parts.append(str(node))
        elif isinstance(node, Tag) and node.name == "br":
            parts.append(" ")
    return _collapse("".join(parts)).strip()


class _HtmlWalker:
    """Collects _Blocks from an element tree: block elements end paragraphs."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self._buffer: list[str] = []
        self._marker = ""
        self._group: int | None = None
        self._groups = itertools.count(1)
        self._counters: list[int | None] = []  # next number per open list; None if bulleted
        self._in_pre = False

    def flush(self) -> None:
        """End the current paragraph (if it has any text)."""
        text = "".join(self._buffer)
        self._buffer.clear()
        if text.strip():
            self.blocks.append(_Block(self._marker + text.strip(), group=self._group))
            self._marker = ""

    def walk(self, node: Tag) -> None:
        """Visit the children of ``node`` in document order."""
        for child in node.children:
            if isinstance(child, PreformattedString):  # comments, doctypes, CDATA
                continue
            if isinstance(child, NavigableString):
                self._buffer.append(str(child) if self._in_pre else _collapse(str(child)))
            elif isinstance(child, Tag):
                self._visit(child)

    def _visit(self, tag: Tag) -> None:
        name = tag.name
        if name in _HEADING_TAGS:
            self.flush()
            level = int(name[1])
            self.blocks.append(_Block(_inline_text(tag), depth=level - 1 if level <= 3 else None))
        elif name == "br":
            self._buffer.append("\n")
        elif name in ("ul", "ol", "table"):
            self._visit_group(tag)
        elif name == "li":
            self.flush()
            counters = self._counters
            if counters and counters[-1] is not None:
                number = counters[-1]
                counters[-1] = number + 1
                self._marker = f"{number}. "
            else:
                self._marker = "- "
            self.walk(tag)
            self.flush()
            self._marker = ""
        elif name == "tr":
            self.flush()
            cells = [_inline_text(cell) for cell in tag.find_all(["td", "th"], recursive=False)]
            row = " | ".join(cell for cell in cells if cell)
            if row:
                self.blocks.append(_Block(row, group=self._group))
        elif name == "a":
            start = len(self._buffer)
            self.walk(tag)
            href = tag.get("href")
            if isinstance(href, str) and href.strip().lower().startswith(("http://", "https://")):
                label = _collapse("".join(self._buffer[start:])).strip()
                self._buffer.append(_link_suffix(label, href.strip()))
        elif name == "pre":
            self.flush()
            self._in_pre = True
            self.walk(tag)
            self._in_pre = False
            self.flush()
        elif name in _BLOCK_TAGS:
            self.flush()
            self.walk(tag)
            self.flush()
        else:
            self.walk(tag)

    def _visit_group(self, tag: Tag) -> None:
        """A list or table: its items/rows share a group so they sit on adjacent lines."""
        self.flush()
        outer_group = self._group
        if self._group is None or tag.name == "table":
            self._group = next(self._groups)
        if tag.name in ("ul", "ol"):
            start = tag.get("start")
            first = int(start) if isinstance(start, str) and start.strip().isdigit() else 1
            self._counters.append(first if tag.name == "ol" else None)
        self.walk(tag)
        self.flush()
        if tag.name in ("ul", "ol"):
            self._counters.pop()
        self._group = outer_group

"""Turn files on disk into :class:`Document` values for the knowledge base.

``load_paths`` takes files and folders, reads every supported file it finds and returns
the documents together with a :class:`LoadError` for each file (or JSONL line) that
could not be read. One bad file never stops a batch, and no exception escapes.

``load_bytes`` and ``parse_markdown`` read one document from memory with the same parsers
(for the editor console), raising ``UnreadableDocument`` instead. ``document_to_markdown``
goes the other way, so any loaded document can be edited as Markdown and read back the same.

Every loader produces plain text: markup is parsed and thrown away, never rendered or
executed. Whitespace is normalised the same way everywhere (runs of spaces collapsed,
paragraphs separated by exactly one blank line, list items and table rows on their own
lines), and ``Document.sections`` offsets point into that final text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import docx
import yaml
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString
from docx.document import Document as DocxDocument
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph
from frontmatter.default_handlers import YAMLHandler
from markdown_it import MarkdownIt
from markdown_it.token import Token
from pypdf import PdfReader

from knowledge_base.documents import Document, LoadError

__all__ = [
    "SUPPORTED_SUFFIXES",
    "DocumentHasNoText",
    "DocumentKind",
    "DocumentTooLarge",
    "LoadResult",
    "UnreadableDocument",
    "document_to_markdown",
    "load_bytes",
    "load_paths",
    "markdown_with_front_matter",
    "parse_markdown",
    "slugify",
    "split_front_matter",
]

# The kinds of document ``load_bytes`` reads (JSONL holds many documents, so it is not one).
DocumentKind = Literal["markdown", "html", "pdf", "docx", "text"]

SUPPORTED_SUFFIXES = frozenset(
    {".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".txt", ".jsonl"}
)

# Fields a Markdown front matter block or a JSONL record may set on the Document itself.
_DOCUMENT_FIELDS = ("title", "url", "agency", "topic", "language", "last_reviewed", "doc_id")


@dataclass
class LoadResult:
    """What a batch load produced: the documents that loaded and the files that did not."""

    documents: list[Document] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)


class UnreadableDocument(Exception):
    """A document that cannot be read; ``str(exc)`` is the reason, for a person.

    Inside ``load_paths`` it becomes a LoadError; ``load_bytes`` and ``parse_markdown``
    raise it.
    """


class DocumentHasNoText(UnreadableDocument):
    """The document parsed, but holds no text (an empty page, a scanned PDF)."""


class DocumentTooLarge(UnreadableDocument):
    """The document holds more text than the caller's ``max_text_chars``."""


# --------------------------------------------------------------------------- entry point


def load_paths(paths: Iterable[Path | str]) -> LoadResult:
    """Load every supported document under ``paths`` (files and/or folders).

    Folders are walked recursively in sorted order; hidden files and folders (and Office
    lock files such as ``~$form.docx``) are skipped, as are files with an unsupported
    extension. A file with an unsupported extension named explicitly is an error. A file
    that is reached twice is loaded once. Problems are collected in ``errors``; nothing
    is raised for a bad file.
    """
    if isinstance(paths, (str, Path)):  # a lone path, not an iterable of them
        paths = [paths]
    result = LoadResult()
    seen_files: set[Path] = set()
    seen_ids: dict[str, Path] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = _walk(path, result.errors)
            candidates: Iterator[tuple[Path, Path | None]] = ((f, path) for f in files)
        elif path.is_file():
            candidates = iter([(path, None)])
        else:
            result.errors.append(LoadError(path, "no such file or folder"))
            continue
        for file, root in candidates:
            key = file.resolve()
            if key in seen_files:
                continue
            seen_files.add(key)
            documents, errors = _load_file(file, root)
            result.errors.extend(errors)
            for document in documents:
                first = seen_ids.get(document.doc_id)
                if first is not None:
                    result.errors.append(
                        LoadError(
                            file, f"duplicate doc_id {document.doc_id!r} (already used by {first})"
                        )
                    )
                    continue
                seen_ids[document.doc_id] = file
                result.documents.append(document)
    return result


def _walk(root: Path, errors: list[LoadError]) -> list[Path]:
    """Supported, non-hidden files under ``root``, sorted (ignoring case) by relative path."""

    def on_error(exc: OSError) -> None:
        errors.append(LoadError(Path(exc.filename or root), f"cannot read folder: {exc.strerror}"))

    found: list[Path] = []
    for folder, dirnames, filenames in os.walk(root, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith((".", "~$")):
                continue
            if Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(Path(folder) / name)

    def order(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
        parts = path.relative_to(root).parts
        return tuple(part.casefold() for part in parts), parts

    return sorted(found, key=order)


def _load_file(path: Path, root: Path | None) -> tuple[list[Document], list[LoadError]]:
    """Load one file; every failure comes back as a LoadError, never as an exception."""
    suffix = path.suffix.lower()
    doc_id = _derive_doc_id(path, root)
    try:
        if suffix in SUPPORTED_SUFFIXES and path.stat().st_size == 0:
            raise UnreadableDocument("empty file")
        if suffix == ".jsonl":
            return _load_jsonl(path)
        if suffix in (".md", ".markdown"):
            document = _load_markdown(path, doc_id)
        elif suffix in (".html", ".htm"):
            document = _load_html(path, doc_id)
        elif suffix == ".pdf":
            document = _load_pdf(path, doc_id)
        elif suffix == ".docx":
            document = _load_docx(path, doc_id)
        elif suffix == ".txt":
            document = _load_txt(path, doc_id)
        else:
            raise UnreadableDocument(f"unsupported file type {suffix or '(no extension)'!r}")
    except UnreadableDocument as exc:
        return [], [LoadError(path, str(exc))]
    except OSError as exc:
        return [], [LoadError(path, f"cannot read file: {exc.strerror or exc}")]
    except Exception as exc:  # a parser choking on a corrupt file must not stop the batch
        kind = suffix.lstrip(".").upper() or "file"
        return [], [LoadError(path, f"corrupt or unreadable {kind} ({type(exc).__name__})")]
    return [document], []


# --------------------------------------------------------------------------- from memory


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


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter fields of Markdown source (``{}`` if none) and its body.

    Raises UnreadableDocument when the front matter is not valid YAML key/value pairs.
    """
    return _split_front_matter(text)


def slugify(text: str, *, max_length: int = 80) -> str:
    """A lowercase ASCII slug such as ``renew-your-licence``; never empty.

    Text with no ASCII letters or digits gets a short hash instead.
    """
    slug = _slug(text)
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug


# --------------------------------------------------------------------------- shared helpers

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


def _derive_doc_id(path: Path, root: Path | None) -> str:
    """``driver-licenses/renew`` for ``<root>/driver-licenses/renew.md``; the stem otherwise."""
    relative = path.relative_to(root) if root is not None else Path(path.name)
    return "/".join(_slug(part) for part in relative.with_suffix("").parts)


def _as_text(value: Any) -> str | None:
    """A metadata value as a string (dates as ISO 8601, lists comma-separated), or None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(item for item in map(_as_text, value) if item)
    if isinstance(value, dict):
        return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)
    text = str(value).strip()
    return text or None


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


def _fields_document(
    fields: dict[str, Any],
    *,
    doc_id: str,
    title: str,
    text: str,
    source_path: str | None,
    sections: tuple[tuple[int, tuple[str, ...]], ...] = (),
) -> Document:
    """A Document from front matter / JSONL fields; unknown keys become string metadata."""
    metadata: dict[str, str] = {}
    for key, value in fields.items():
        if key in _DOCUMENT_FIELDS or key == "text":
            continue
        if key == "metadata" and isinstance(value, dict):
            for inner_key, inner_value in value.items():
                inner_text = _as_text(inner_value)
                if inner_text is not None:
                    metadata[str(inner_key)] = inner_text
            continue
        value_text = _as_text(value)
        if value_text is not None:
            metadata[str(key)] = value_text
    return Document(
        doc_id=doc_id,
        title=title,
        text=text,
        url=_as_text(fields.get("url")),
        agency=_as_text(fields.get("agency")),
        topic=_as_text(fields.get("topic")),
        language=_language(_as_text(fields.get("language")), metadata),
        last_reviewed=_as_text(fields.get("last_reviewed")),
        source_path=source_path,
        sections=sections,
        metadata=metadata,
    )


# --------------------------------------------------------------------------- Markdown

_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_BR_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)


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


def _split_front_matter(raw: str) -> tuple[dict[str, Any], str]:
    """Front matter fields and the Markdown body; invalid front matter is an error."""
    handler = YAMLHandler()
    if not handler.detect(raw):
        return {}, raw
    try:
        front, body = handler.split(raw)
    except ValueError:
        raise UnreadableDocument("invalid front matter: no closing '---' line") from None
    try:
        fields = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise UnreadableDocument(f"invalid front matter: not valid YAML{where}") from None
    if fields is None:
        return {}, body
    if not isinstance(fields, dict):
        raise UnreadableDocument("invalid front matter: expected 'key: value' lines")
    return {str(key): value for key, value in fields.items()}, body


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


def _link_suffix(label: str, href: str) -> str:
    """`` (href)`` to follow a link's label, unless the URL adds nothing a reader can use."""
    if not href or href.startswith("#") or href in (label, f"mailto:{label}", f"tel:{label}"):
        return ""
    return f" ({href})"


def _html_fragment_text(fragment: str) -> str:
    """Text of raw HTML embedded in Markdown; scripts, styles and comments are dropped."""
    soup = BeautifulSoup(fragment, "lxml")
    for tag in soup.find_all(["script", "style", "template", "noscript"]):
        tag.decompose()
    return _collapse(soup.get_text(" "))


# --------------------------------------------------------------------------- HTML

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
_WHITESPACE = re.compile(r"\s+")


def _collapse(text: str) -> str:
    """HTML whitespace rules: any run of whitespace is one space."""
    return _WHITESPACE.sub(" ", text)


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


# --------------------------------------------------------------------------- PDF


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


# --------------------------------------------------------------------------- DOCX


def _load_docx(path: Path, doc_id: str) -> Document:
    """A Word document: Title/Heading 1-3 paragraphs become sections, lists and tables lines."""
    return _docx_document(
        path.read_bytes(), doc_id, fallback_title=path.stem, source_path=str(path)
    )


def _docx_document(
    data: bytes, doc_id: str, *, fallback_title: str, source_path: str | None
) -> Document:
    """The Document for a DOCX file's bytes (see ``_load_docx``)."""
    try:
        document: DocxDocument = docx.Document(io.BytesIO(data))
    except Exception:
        raise UnreadableDocument("corrupt or unreadable DOCX (not a Word document?)") from None
    items = list(document.iter_inner_content())
    has_title_style = any(
        isinstance(item, DocxParagraph) and _docx_style(item) == "title" for item in items
    )
    blocks: list[_Block] = []
    groups = itertools.count(1)
    list_group: int | None = None
    title = ""
    for item in items:
        if isinstance(item, DocxTable):
            list_group = None
            table_group = next(groups)
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:  # merged cells repeat; keep each text once
                    cell_text = _one_line(cell.text)
                    if cell_text and (not cells or cells[-1] != cell_text):
                        cells.append(cell_text)
                blocks.append(_Block(" | ".join(cells), group=table_group))
            continue
        style = _docx_style(item)
        text = item.text
        depth = _docx_heading_depth(style, has_title_style)
        if style == "title" and not title:
            title = _one_line(text)
        if style.startswith("list"):
            list_group = list_group or next(groups)
            blocks.append(_Block("- " + text, group=list_group))
        else:
            list_group = None
            blocks.append(_Block(text, depth=depth))
    core_title = _one_line(document.core_properties.title or "")
    first_h1 = next((b.text for b in blocks if b.depth == 0 and _one_line(b.text)), "")
    title = title or core_title or _one_line(first_h1) or fallback_title
    metadata: dict[str, str] = {}
    language = _language(document.core_properties.language, metadata)
    text, sections = _assemble(blocks, title)
    return Document(
        doc_id=doc_id,
        title=title,
        text=_require_text(text),
        language=language,
        source_path=source_path,
        sections=sections,
        metadata=metadata,
    )


def _docx_style(paragraph: DocxParagraph) -> str:
    """The paragraph's style name, lowercased ("" if it has none)."""
    style = paragraph.style
    return (style.name or "").strip().lower() if style is not None else ""


def _docx_heading_depth(style: str, has_title_style: bool) -> int | None:
    """Section depth for a Title / Heading 1-3 paragraph, None for body text.

    With a Title paragraph, Heading 1 is a top-level section; without one, Heading 1
    plays the title's part (as ``#`` does in Markdown).
    """
    if style == "title":
        return 0
    match = re.fullmatch(r"heading ([123])", style)
    if match is None:
        return None
    level = int(match.group(1))
    return level if has_title_style else level - 1


# --------------------------------------------------------------------------- plain text


def _load_txt(path: Path, doc_id: str) -> Document:
    """Plain UTF-8 text; the first non-empty line is the title."""
    raw = _decode(path.read_bytes())
    return _text_document(raw, doc_id, fallback_title=path.stem, source_path=str(path))


def _text_document(
    raw: str, doc_id: str, *, fallback_title: str, source_path: str | None
) -> Document:
    """The Document for plain text (see ``_load_txt``)."""
    text = _require_text(_normalise(raw))
    title = _first_line(text) or fallback_title
    return Document(doc_id=doc_id, title=title, text=text, source_path=source_path)


# --------------------------------------------------------------------------- JSONL


def _load_jsonl(path: Path) -> tuple[list[Document], list[LoadError]]:
    """One document per line; a bad line is reported with its number, the rest still load."""
    data = path.read_bytes()
    documents: list[Document] = []
    errors: list[LoadError] = []
    seen: dict[str, int] = {}
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        if not raw_line.strip():
            continue
        try:
            document = _jsonl_record(raw_line, path, number)
        except UnreadableDocument as exc:
            errors.append(LoadError(path, f"line {number}: {exc}"))
            continue
        if document.doc_id in seen:
            errors.append(
                LoadError(
                    path,
                    f"line {number}: duplicate doc_id {document.doc_id!r} "
                    f"(already used on line {seen[document.doc_id]})",
                )
            )
            continue
        seen[document.doc_id] = number
        documents.append(document)
    if not documents and not errors:
        errors.append(LoadError(path, "no text found (empty file)"))
    return documents, errors


def _jsonl_record(raw_line: bytes, path: Path, number: int) -> Document:
    """One JSONL line as a Document; raises UnreadableDocument with a reason for a bad line."""
    try:
        line = raw_line.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        raise UnreadableDocument("not UTF-8 text") from None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UnreadableDocument(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise UnreadableDocument("expected a JSON object")
    missing = [key for key in ("doc_id", "title", "text") if key not in record]
    if missing:
        raise UnreadableDocument(
            f"missing required field{'s' if len(missing) > 1 else ''} "
            + ", ".join(repr(key) for key in missing)
        )
    if not isinstance(record["text"], str):
        raise UnreadableDocument("'text' must be a string")
    doc_id = _as_text(record["doc_id"])
    title = _one_line(_as_text(record["title"]) or "")
    if not doc_id or not title:
        raise UnreadableDocument("'doc_id' and 'title' must not be empty")
    text = _normalise(record["text"])
    if not text:
        raise UnreadableDocument("'text' is empty")
    return _fields_document(record, doc_id=doc_id, title=title, text=text, source_path=str(path))


# --------------------------------------------------------------------------- Markdown out

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
